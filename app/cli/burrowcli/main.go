// Command burrowcli is the headless half of burrow without the window (no cgo,
// no Fyne), so tests can build a real binary in seconds and drive it as a user
// would: `burrow pull` killed mid-transfer, `burrow chat` in tmux.
package main

import (
	"os"

	"burrow/app/cli"
)

func main() { os.Exit(cli.RunCLI(os.Args[1:])) }
