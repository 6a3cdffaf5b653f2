// Package clocale keeps Fyne quiet under the C locale. With LANG=C.UTF-8 (the
// default in containers and CI) Fyne's locale lookup reads "C" as a language
// tag and logs "Error parsing user locale C" from its init, on every run,
// headless commands included. Imported by main, this package's init runs
// first (packages initialize in import-path order once their imports are
// ready, and "burrow/..." sorts before "fyne.io/...") and sets LANGUAGE=en,
// which only chooses the language of messages, so the character set stays.
package clocale

import (
	"os"
	"strings"
)

func init() { fix(os.Getenv, os.Setenv) }

// fix sets LANGUAGE when the locale in force is C or POSIX with a charset
// (plain C and POSIX are understood) and LANGUAGE is unset.
func fix(getenv func(string) string, setenv func(string, string) error) {
	if getenv("LANGUAGE") != "" {
		return
	}
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(name); v != "" {
			if strings.HasPrefix(v, "C.") || strings.HasPrefix(v, "POSIX.") {
				setenv("LANGUAGE", "en")
			}
			return
		}
	}
}
