package models

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadName is wrapped by every repo or file name refused by validation.
var ErrBadName = errors.New("invalid model name")

// ValidateRepo checks an "owner/repo" id from the user or the network: two
// plain segments, nothing that could climb out of the library folder.
func ValidateRepo(repo string) error {
	parts := strings.Split(repo, "/")
	if len(parts) != 2 {
		return fmt.Errorf("%w: repo %q is not OWNER/REPO", ErrBadName, repo)
	}
	for _, p := range parts {
		if err := validSegment(p); err != nil {
			return fmt.Errorf("%w: repo %q: %v", ErrBadName, repo, err)
		}
	}
	return nil
}

// ValidateFile checks a file path inside a repo ("model.Q8_0.gguf" or
// "Q8_0/model-00001-of-00002.gguf"): relative, forward slashes only, no ".."
// and a .gguf extension, so it can be joined under the repo's folder safely.
func ValidateFile(file string) error {
	if file == "" {
		return fmt.Errorf("%w: empty file name", ErrBadName)
	}
	if !strings.HasSuffix(strings.ToLower(file), ".gguf") {
		return fmt.Errorf("%w: %q is not a .gguf file", ErrBadName, file)
	}
	if strings.HasPrefix(file, "/") {
		return fmt.Errorf("%w: %q is an absolute path", ErrBadName, file)
	}
	for _, p := range strings.Split(file, "/") {
		if err := validSegment(p); err != nil {
			return fmt.Errorf("%w: file %q: %v", ErrBadName, file, err)
		}
	}
	return nil
}

// validSegment refuses anything a file system could read as more than one
// plain name: empty, dot names, separators, drive letters, control bytes.
func validSegment(s string) error {
	switch {
	case s == "":
		return errors.New("empty path segment")
	case s == "." || s == "..":
		return errors.New("path traversal")
	case strings.ContainsAny(s, `\:`):
		return errors.New("backslash or colon in name")
	case len(s) > 255:
		return errors.New("name too long")
	case strings.HasSuffix(s, ".") || strings.HasSuffix(s, " "):
		return errors.New("name ends with a dot or space")
	case windowsReserved(s):
		return errors.New("reserved device name")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return errors.New("control character in name")
		}
	}
	return nil
}

// windowsReserved reports names Windows maps to devices (NUL, COM1, ...),
// whatever the extension, so a file list cannot make Burrow write to one.
func windowsReserved(s string) bool {
	base, _, _ := strings.Cut(strings.ToUpper(s), ".")
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	return len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) && base[3] >= '0' && base[3] <= '9'
}
