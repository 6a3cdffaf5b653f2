// Package cli is burrow's headless commands (run, chat, serve, pull, ls, rm,
// inspect, tokenize, bench, perplexity, gguf, quantize), one file per command.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

// commands holds the constructors of the sub-commands; each command's file
// registers itself in an init function, so adding one touches one file.
var commands []func() *cobra.Command

func register(c func() *cobra.Command) { commands = append(commands, c) }

// NewCLI builds the headless command tree.
func NewCLI() *cobra.Command {
	root := &cobra.Command{
		Use:           "burrow",
		Short:         "Run large language models locally",
		Long:          "Burrow runs large language models on this machine. Without a sub-command it opens the window.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	for _, c := range commands {
		root.AddCommand(c())
	}
	return root
}

// IsCommand reports whether arg names a headless sub-command (or asks for help),
// so main knows not to open the window.
func IsCommand(arg string) bool {
	switch arg {
	case "-h", "--help", "help", "completion":
		return true
	}
	for _, c := range NewCLI().Commands() {
		if c.Name() == arg || c.HasAlias(arg) {
			return true
		}
	}
	return false
}

// RunCLI runs a sub-command and returns the process exit code. Ctrl+C cancels
// the command's context.
func RunCLI(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := NewCLI()
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "burrow:", err)
		return 1
	}
	return 0
}

// writeJSON prints v as the single JSON object on w (the --json contract).
func writeJSON(w io.Writer, v any) error {
	enc := jsonEncoder(w)
	return enc.Encode(v)
}
