//go:build windows

package instance

// defaultInstanceNetwork: a 127.0.0.1 port; the token in the address file,
// which only this user can read, keeps other local users out.
const defaultInstanceNetwork = "tcp"

// checkPrivateDir: the folder is under the user's own profile
// (%LOCALAPPDATA%), which other users cannot enter.
func checkPrivateDir(dir string) error { return nil }
