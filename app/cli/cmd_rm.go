package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"burrow/internal/units"
	"burrow/models"
)

func init() { register(newRmCmd) }

func newRmCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "rm PATH|OWNER/REPO/FILE",
		Short: "Delete a model from the library (only its file; asks first unless --yes)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lib := models.OpenLibrary()
			e, err := lib.Find(args[0])
			if err != nil {
				return err
			}
			if !yes && !confirm(cmd.InOrStdin(), cmd.ErrOrStderr(), e) {
				return fmt.Errorf("not deleted (pass --yes to delete without asking)")
			}
			if err := lib.Delete(e.Path); err != nil {
				return err
			}
			for _, f := range e.Files {
				fmt.Fprintln(cmd.OutOrStdout(), "deleted", f)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking")
	return cmd
}

// confirm asks on stderr and reads the answer; no answer (a closed stdin)
// means no.
func confirm(in io.Reader, out io.Writer, e models.Entry) bool {
	files := e.Files
	if len(files) == 0 {
		files = []string{e.Path}
	}
	fmt.Fprintf(out, "Delete %s (%s)? [y/N] ", strings.Join(files, ", "), units.Bytes(e.FileSize))
	line, _ := bufio.NewReader(in).ReadString('\n')
	ans := strings.ToLower(strings.TrimSpace(line))
	return ans == "y" || ans == "yes"
}
