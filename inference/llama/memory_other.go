//go:build !linux

package llama

// systemAvailableMemory is unknown outside Linux for now: the check is skipped.
func systemAvailableMemory() (uint64, bool) { return 0, false }
