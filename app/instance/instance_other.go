//go:build !unix && !windows

package instance

const defaultInstanceNetwork = "tcp"

func checkPrivateDir(dir string) error { return nil }
