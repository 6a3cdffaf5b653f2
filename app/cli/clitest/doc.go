// Package clitest holds end-to-end tests of the download commands: it builds
// a CLI-only burrow binary (app/cli/burrowcli: the commands without the Fyne window) and runs
// real pull, ls and rm processes against an in-process fake Hub.
package clitest
