// Package ui is Burrow's window (Fyne). It holds no engine logic: it talks to
// app.Controller and posts results to the UI thread with fyne.Do.
package ui

import (
	"fmt"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"burrow/app"
	"burrow/app/api"
	"burrow/app/instance"
	"burrow/assets"
	"burrow/inference"
	"burrow/models"
)

// options are the window's command line (DESIGN.md): `burrow [FILE.gguf]`
// or `burrow --model F --prompt P --screenshot OUT.png`.
type options struct {
	model      string
	prompt     string
	screenshot string
}

func parseArgs(args []string) (options, error) {
	var o options
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		target := map[string]*string{"--model": &o.model, "-m": &o.model, "--prompt": &o.prompt, "-p": &o.prompt, "--screenshot": &o.screenshot}[name]
		switch {
		case target != nil && hasVal:
			*target = val
		case target != nil:
			if i+1 >= len(args) {
				return o, fmt.Errorf("%s needs a value", a)
			}
			i++
			*target = args[i]
		case strings.HasPrefix(a, "-"):
			return o, fmt.Errorf("unknown option %s (try burrow --help)", a)
		case o.model == "":
			o.model = a
		default:
			return o, fmt.Errorf("unexpected argument %q", a)
		}
	}
	if o.screenshot != "" && o.model == "" {
		return o, fmt.Errorf("--screenshot needs --model")
	}
	return o, nil
}

// Main opens the window and returns the exit code when it closes.
func Main(args []string) int {
	opts, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "burrow:", err)
		return 2
	}
	// One window per user: a launch while Burrow runs (a file manager's
	// "Open with Burrow") hands its file to that window and exits.
	var inst *instance.Instance
	if opts.screenshot == "" {
		var handed bool
		inst, handed, err = instance.ClaimInstance(opts.model)
		if handed {
			return 0
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "burrow:", err)
		}
	}
	a := fyneapp.NewWithID("app.burrow")
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	worker := inference.NewWorker()
	// A chat continues past a full context by dropping its oldest turns,
	// as chat apps do, rather than refusing the next message.
	worker.SetContextPolicy(inference.ContextDropOldest)
	lib := models.OpenLibrary()
	c := app.NewController(worker, lib)
	c.SetServerStarter(api.StartLocal) // app does not import its API server: wire it here
	defer c.Close()
	w := NewWindow(a, c)
	w.win.SetIcon(a.Icon())
	w.win.SetMaster()
	downloads := models.NewManager(models.Options{Library: lib})
	w.SetDownloadsView(NewDownloadsView(w.win, downloads, func(path string) {
		w.tabs.SelectIndex(0)
		w.loadModel(path)
	}))
	attachUnderHood(w) // Inspect and Tokens tabs (underhood.go)
	w.tools.open()     // the MCP servers of mcp.json (tools.go); c.Close stops them
	if inst != nil {
		defer inst.Close()
		go func() {
			for path := range inst.Paths() { // "" only asks for the window
				post(func() {
					w.win.Show()
					w.win.RequestFocus()
					if path != "" {
						w.tabs.SelectIndex(0)
						w.loadModel(path)
					}
				})
			}
		}()
	}

	model := opts.model
	if model == "" {
		if last := c.Settings().LastModel; last != "" {
			if _, err := os.Stat(last); err == nil {
				model = last
			}
		}
	}
	exit := make(chan int, 1)
	if opts.screenshot != "" {
		go runDemo(w, opts, exit)
	} else if model != "" {
		w.loadModel(model)
	}
	w.win.ShowAndRun()
	select {
	case code := <-exit:
		return code
	default:
		return 0
	}
}
