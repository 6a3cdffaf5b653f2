// Package testenv finds the shared test data (../shared/testdata beside the
// repository, or $BURROW_TESTDATA). When it is missing a test is skipped on a
// developer's machine and fails in CI (CI set), so CI never passes by skipping.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the shared testdata folder, or "" when it cannot be found.
func Dir() string {
	if d := os.Getenv("BURROW_TESTDATA"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	// This file is <repo>/internal/testenv/testenv.go.
	repo := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	d := filepath.Join(repo, "..", "shared", "testdata")
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return filepath.Clean(d)
	}
	return ""
}

// Path returns the path of a file under the testdata folder, skipping the
// test (or failing it in CI) when the file is missing.
func Path(t testing.TB, rel ...string) string {
	t.Helper()
	d := Dir()
	if d == "" {
		missing(t, "shared testdata folder (../shared/testdata or $BURROW_TESTDATA)")
		return ""
	}
	p := filepath.Join(append([]string{d}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		missing(t, p)
	}
	return p
}

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("test data missing in CI: %s", what)
	}
	t.Skipf("test data missing: %s", what)
}
