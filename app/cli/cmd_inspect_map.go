package cli

import (
	"fmt"
	"image/png"
	"os"

	"github.com/spf13/cobra"

	"burrow/inference/filemap"
	"burrow/internal/units"
)

// addMapFlag adds `--map OUT.png`: write the file map before the report.
func addMapFlag(cmd *cobra.Command) {
	var out string
	var width int
	cmd.Flags().StringVar(&out, "map", "", "also write the file map (entropy per chunk, regions outlined) to this PNG")
	cmd.Flags().IntVar(&width, "map-width", 1024, "width of the --map picture in pixels")
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if out != "" && len(args) == 1 {
			if err := writeFileMap(cmd, args[0], out, width); err != nil {
				return err
			}
		}
		return run(cmd, args)
	}
}

// writeFileMap scans the file in one streaming pass (progress on stderr,
// Ctrl+C stops it) and saves the picture.
func writeFileMap(cmd *cobra.Command, path, out string, width int) error {
	stderr := cmd.ErrOrStderr()
	lastPct := -1
	m, err := filemap.Open(cmd.Context(), path, filemap.Options{Progress: func(done, total int64) {
		if pct := int(100 * done / max(total, 1)); pct/10 != lastPct/10 {
			lastPct = pct
			fmt.Fprintf(stderr, "\rmapping %s: %d%%", path, pct)
		}
	}})
	if lastPct >= 0 {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	img, _ := filemap.Render(m, filemap.RenderOptions{Width: width, Legend: true})
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("file map: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("file map: write %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("file map: write %s: %w", out, err)
	}
	fmt.Fprintf(stderr, "wrote the file map to %s (%d cells of %s)\n", out, m.Cells(), units.IBytes(m.Chunk))
	return nil
}
