//go:build !unix && !windows

package app

const defaultInstanceNetwork = "tcp"

func checkPrivateDir(dir string) error { return nil }
