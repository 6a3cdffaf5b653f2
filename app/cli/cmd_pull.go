package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"burrow/internal/units"
	"burrow/models"
)

func init() { register(newPullCmd) }

func newPullCmd() *cobra.Command {
	var quant string
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "pull OWNER/REPO[/FILE]",
		Short: "Download a GGUF model from Hugging Face into the library (resumes after interruptions)",
		Long: `Download a GGUF model from the Hugging Face Hub into the model library.

Without FILE the file with the --quant quantization is chosen. Split models
(-00001-of-0000N) download as a set. An interrupted download (Ctrl+C, a
crash, a lost connection) continues from where it stopped when the same
command runs again; the sha256 is checked before the model joins the library.

HF_ENDPOINT replaces the Hub's address; HF_TOKEN opens gated repos.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], quant, force, asJSON)
		},
	}
	cmd.Flags().StringVar(&quant, "quant", "Q8_0", "quantization to pick when FILE is not given")
	cmd.Flags().BoolVar(&force, "force", false, "download again even when the model is already in the library")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object (progress still goes to stderr)")
	return cmd
}

// pullReport is the --json object.
type pullReport struct {
	Repo    string   `json:"repo"`
	File    string   `json:"file"`
	Path    string   `json:"path"`
	Files   []string `json:"files"`
	Bytes   int64    `json:"bytes"`
	Already bool     `json:"already_present,omitempty"`
}

func runPull(ctx context.Context, stdout, stderr io.Writer, ref, quant string, force, asJSON bool) error {
	repo, file, err := splitModelRef(ref)
	if err != nil {
		return err
	}
	m := models.NewManager(models.Options{})
	if err := m.LoadError(); err != nil {
		fmt.Fprintln(stderr, "burrow:", err)
	}
	hub := m.Hub()
	files, err := hub.Files(ctx, repo)
	if err != nil {
		return err
	}
	var rm models.RemoteModel
	if file == "" {
		if rm, err = models.PickQuant(models.Models(files), quant); err != nil {
			return fmt.Errorf("%s: %w", repo, err)
		}
	} else if rm, err = findRemote(files, file); err != nil {
		return err
	}

	st, err := m.Enqueue(rm, force)
	if errors.Is(err, models.ErrExists) {
		path, _ := m.Library().PathFor(rm.Repo, rm.Name)
		fmt.Fprintf(stderr, "%s is already in the library (--force downloads it again)\n", path)
		return printPulled(stdout, asJSON, pullReport{Repo: rm.Repo, File: rm.Name, Path: path, Files: fileNames(rm), Bytes: rm.Size, Already: true})
	}
	if err != nil {
		return err
	}
	if st.Bytes > 0 && st.Bytes < st.Total {
		fmt.Fprintf(stderr, "resuming %s at %s of %s\n", st.ID, units.Bytes(st.Bytes), units.Bytes(st.Total))
	}

	events, stop := m.Subscribe()
	bar := newProgressBar(stderr)
	go func() {
		for ev := range events {
			if ev.ID == st.ID && ev.State == models.StateRunning {
				bar.update(ev)
			}
		}
	}()
	final, err := m.Run(ctx, st.ID)
	stop()
	if err == nil {
		bar.last = time.Time{} // draw the full bar whatever the throttle
		bar.update(final)
	}
	bar.finish()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted at %s of %s; run the same command again to resume", units.Bytes(final.Bytes), units.Bytes(final.Total))
		}
		return err
	}
	m.Remove(final.ID)
	fmt.Fprintf(stderr, "downloaded %s (%s), sha256 verified\n", final.Path, units.Bytes(final.Total))
	return printPulled(stdout, asJSON, pullReport{Repo: final.Repo, File: final.Name, Path: final.Path, Files: final.Files, Bytes: final.Total})
}

func printPulled(w io.Writer, asJSON bool, r pullReport) error {
	if asJSON {
		return writeJSON(w, r)
	}
	_, err := fmt.Fprintln(w, r.Path)
	return err
}

func fileNames(rm models.RemoteModel) []string {
	var out []string
	for _, f := range rm.Files {
		out = append(out, f.Path)
	}
	return out
}

// splitModelRef reads OWNER/REPO or OWNER/REPO/FILE (FILE may hold folders).
func splitModelRef(ref string) (repo, file string, err error) {
	ref = strings.TrimPrefix(ref, "hf.co/")
	ref = strings.TrimPrefix(ref, "https://huggingface.co/")
	parts := strings.SplitN(ref, "/", 3)
	if len(parts) < 2 {
		return "", "", fmt.Errorf("%q: want OWNER/REPO or OWNER/REPO/FILE.gguf", ref)
	}
	repo = parts[0] + "/" + parts[1]
	if err := models.ValidateRepo(repo); err != nil {
		return "", "", err
	}
	if len(parts) == 3 {
		file = parts[2]
		if err := models.ValidateFile(file); err != nil {
			return "", "", err
		}
	}
	return repo, file, nil
}

// findRemote finds the model (split set) that file belongs to.
func findRemote(files []models.RemoteFile, file string) (models.RemoteModel, error) {
	all := models.Models(files)
	for _, m := range all {
		for _, f := range m.Files {
			if f.Path == file {
				return m, nil
			}
		}
	}
	var names []string
	for _, m := range all {
		names = append(names, m.Name)
	}
	if len(names) == 0 {
		return models.RemoteModel{}, fmt.Errorf("%s: %w; the repo has no .gguf files", file, models.ErrNotFound)
	}
	return models.RemoteModel{}, fmt.Errorf("%s: %w; the repo has: %s", file, models.ErrNotFound, strings.Join(names, ", "))
}

// progressBar draws one updating line on stderr.
type progressBar struct {
	w     io.Writer
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer) *progressBar { return &progressBar{w: w} }

func (p *progressBar) update(st models.Status) {
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	const width = 30
	frac := 0.0
	if st.Total > 0 {
		frac = float64(st.Bytes) / float64(st.Total)
	}
	n := int(frac * width)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	if n > 0 && n < width {
		bar = strings.Repeat("=", n-1) + ">" + strings.Repeat(" ", width-n)
	}
	line := fmt.Sprintf("\r[%s] %3.0f%%  %s / %s", bar, frac*100, units.Bytes(st.Bytes), units.Bytes(st.Total))
	if st.Speed > 0 {
		line += fmt.Sprintf("  %s/s  ETA %s", units.Bytes(int64(st.Speed)), st.ETA)
	}
	fmt.Fprintf(p.w, "%-100s", line)
	p.drawn = true
}

func (p *progressBar) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
