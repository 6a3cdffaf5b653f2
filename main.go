// Burrow runs large language models locally. With no sub-command it opens the
// window; a first argument that names a sub-command runs headless.
package main

import (
	"os"

	"burrow/app/cli"
	_ "burrow/internal/clocale" // before Fyne's init: see the package
	"burrow/ui"
)

func main() {
	if len(os.Args) > 1 && cli.IsCommand(os.Args[1]) {
		os.Exit(cli.RunCLI(os.Args[1:]))
	}
	os.Exit(ui.Main(os.Args[1:]))
}
