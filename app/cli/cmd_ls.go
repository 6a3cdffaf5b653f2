package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"burrow/internal/units"
	"burrow/models"
)

func init() { register(newLsCmd) }

func newLsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the models in the library and unfinished downloads",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			lib := models.OpenLibrary()
			entries, err := lib.Scan()
			if err != nil {
				return err
			}
			jobs := models.NewManager(models.Options{Library: lib}).Jobs()
			if asJSON {
				if entries == nil {
					entries = []models.Entry{}
				}
				if jobs == nil {
					jobs = []models.Status{}
				}
				return writeJSON(cmd.OutOrStdout(), lsReport{Root: lib.Root, Models: entries, Downloads: jobs})
			}
			return printLs(cmd.OutOrStdout(), lib.Root, entries, jobs)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

type lsReport struct {
	Root      string          `json:"library"`
	Models    []models.Entry  `json:"models"`
	Downloads []models.Status `json:"downloads"`
}

func printLs(w io.Writer, root string, entries []models.Entry, jobs []models.Status) error {
	if len(entries) == 0 {
		fmt.Fprintf(w, "No models yet. Download one with: burrow pull %s/%s\n", models.Starters[0].Repo, models.Starters[0].File)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(entries) > 0 {
		fmt.Fprintln(tw, "MODEL\tARCH\tSIZE\tQUANT\tFILE\tMEMORY\tSTATUS\tPATH")
	}
	for _, e := range entries {
		name := e.Name
		if e.Repo != "" {
			name = e.Repo + "/" + filepath.Base(e.Path)
		}
		status := "ok"
		switch {
		case e.Err != "":
			status = "error: " + e.Err
		case !e.Supported:
			status = "unsupported: " + e.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, dash(e.Architecture), dash(e.SizeLabel), dash(e.Quant),
			units.Bytes(e.FileSize), units.Bytes(e.MemoryEstimate), status, e.Path)
	}
	tw.Flush()
	if len(jobs) > 0 {
		fmt.Fprintln(w, "\nDownloads:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, j := range jobs {
			fmt.Fprintf(tw, "%s\t%s\t%s / %s\t%s\n", j.ID, j.State, units.Bytes(j.Bytes), units.Bytes(j.Total), j.Error)
		}
		tw.Flush()
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
