package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"burrow/app/api"
	"burrow/inference"
	"burrow/inference/llama"
	"burrow/models"
)

func init() { register(newServeCmd) }

// serveShutdownGrace is how long Ctrl+C lets replies in flight finish.
const serveShutdownGrace = 5 * time.Second

func newServeCmd() *cobra.Command {
	var (
		model   string
		opts    api.ServerOptions
		load    inference.LoadOptions
		maxWait int
	)
	cmd := &cobra.Command{
		Use:   "serve --model FILE.gguf [--host H] [--port P] [--api-key K]",
		Short: "Serve a model over an OpenAI-compatible HTTP API",
		Long: "Loads the model and serves it to other programs with the OpenAI wire format\n" +
			"(POST /v1/chat/completions, POST /v1/completions, GET /v1/models) until Ctrl+C.\n" +
			"It listens on 127.0.0.1 only unless --host says otherwise.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if model == "" && len(args) == 1 {
				model = args[0]
			}
			if model == "" {
				return errors.New("serve: --model FILE.gguf is required")
			}
			if opts.APIKey == "" {
				opts.APIKey = os.Getenv("BURROW_API_KEY")
			}
			opts.MaxQueue = maxWait
			return runServe(cmd.Context(), cmd.ErrOrStderr(), model, load, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&model, "model", "m", "", "GGUF model file to serve")
	f.StringVar(&opts.Host, "host", api.DefaultServerHost, "address to listen on (0.0.0.0 exposes the model to the network)")
	f.IntVar(&opts.Port, "port", api.DefaultServerPort, "port to listen on (0 picks a free one)")
	f.StringVar(&opts.APIKey, "api-key", "", "require this key as \"Authorization: Bearer KEY\" (default $BURROW_API_KEY)")
	f.BoolVar(&opts.CORS, "cors", false, "allow web pages on other origins to call the API")
	f.BoolVar(&opts.NoOllama, "no-ollama", false, "serve only the OpenAI API, not Ollama's (/api/...)")
	f.IntVar(&load.ContextLength, "ctx", 0, "context length in tokens (0: the model's, capped at 4096)")
	f.IntVar(&load.Threads, "threads", 0, "threads for inference (0: physical cores)")
	addKVFlag(cmd, &load.KV, llama.DefaultKV, kvHelp)
	f.IntVar(&maxWait, "max-queue", api.DefaultMaxQueue, "requests that may wait behind the running one before 503")
	return cmd
}

// runServe loads the model, serves until ctx ends (Ctrl+C), then shuts
// down gracefully.
func runServe(ctx context.Context, log io.Writer, path string, load inference.LoadOptions, opts api.ServerOptions) error {
	if opts.Port == 0 {
		opts.Port = -1 // api.NewServer's "pick a free port"
	}
	w := inference.NewWorker()
	defer w.Close()
	info, err := loadModel(ctx, log, w, path, load)
	if err != nil {
		return err
	}
	opts.Model = func() *inference.ModelInfo { return info }
	lib := models.OpenLibrary()
	opts.Library, opts.Files = api.LibraryModelIDs(lib), api.LibraryFiles(lib)
	srv := api.NewServer(w, opts)
	if err := srv.Start(); err != nil {
		return err
	}
	fmt.Fprintf(log, "burrow: serving %s at %s (Ctrl+C stops)\n", api.ModelID(info), srv.Addr())
	<-ctx.Done()
	fmt.Fprintln(log, "burrow: stopping the server")
	stopCtx, cancel := context.WithTimeout(context.Background(), serveShutdownGrace)
	defer cancel()
	return srv.Stop(stopCtx)
}

// loadModel loads path in the worker, showing progress on log.
func loadModel(ctx context.Context, log io.Writer, w *inference.Worker, path string, opts inference.LoadOptions) (*inference.ModelInfo, error) {
	var info *inference.ModelInfo
	var lastPct = -1
	for ev := range w.Load(ctx, path, opts) {
		switch ev.Kind {
		case inference.EventProgress:
			if pct := int(ev.Progress * 100); pct/10 != lastPct/10 {
				lastPct = pct
				fmt.Fprintf(log, "\rburrow: loading %s %3d%%", path, pct)
			}
		case inference.EventLoaded:
			info = ev.Model
		case inference.EventError:
			if lastPct >= 0 {
				fmt.Fprintln(log)
			}
			return nil, fmt.Errorf("serve: load %s: %w", path, ev.Err)
		}
	}
	if lastPct >= 0 {
		fmt.Fprintln(log)
	}
	if info == nil {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("serve: load %s: %w", path, err)
		}
		return nil, fmt.Errorf("serve: load %s: the worker reported no model", path)
	}
	return info, nil
}
