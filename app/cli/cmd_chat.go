package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/llama"
	"burrow/inference/sample"
)

func init() { register(newChatCmd) }

// chatOptions are burrow chat's flags.
type chatOptions struct {
	model, system, template, onFull string
	sampler                         samplerFlags
	params                          sample.Params // resolved from sampler; Seed 0: random per reply
	policy                          inference.ContextPolicy
	maxTokens, ctxLen, threads      int
	kv                              llama.KVType
}

func newChatCmd() *cobra.Command {
	var o chatOptions
	cmd := &cobra.Command{
		Use:   "chat --model FILE.gguf",
		Short: "Chat with a model in the terminal",
		Long: "An interactive chat: type a message and press Enter; the reply streams as it is generated.\n" +
			"The conversation is rendered with the model's chat template (or a built-in one for its\n" +
			"family) and earlier turns stay in the KV cache, so only new text is evaluated.\n\n" +
			"  /reset   start a new conversation (the system prompt stays)\n" +
			"  /exit    quit (also Ctrl+D, or Ctrl+C at the prompt)\n\n" +
			"Ctrl+C while a reply streams stops the reply, not the program. Statistics for each reply\n" +
			"go to standard error. Without --seed each reply draws a random seed, which is reported.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.model == "" {
				return errors.New("chat: --model is required")
			}
			var err error
			if o.params, err = o.sampler.params(); err != nil {
				return fmt.Errorf("chat: %w", err)
			}
			if o.policy, err = contextPolicy(o.onFull); err != nil {
				return err
			}
			// Ctrl+C is ours from here on: it stops a reply, or quits at the prompt.
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, os.Interrupt)
			defer signal.Stop(sigs)
			return runChat(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), sigs, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.model, "model", "m", "", "GGUF model file")
	fl.StringVarP(&o.system, "system", "s", "", "system prompt")
	fl.StringVar(&o.template, "template", "", "chat template: a built-in ("+strings.Join(chat.BuiltinNames(), ", ")+") or a Jinja file, instead of the model's")
	fl.StringVar(&o.onFull, "context-full", "stop", "when the conversation outgrows the context: stop, or drop (the oldest turns, keeping the system prompt)")
	fl.IntVarP(&o.maxTokens, "max-tokens", "n", 0, "most tokens per reply (0: until the end or the context is full)")
	addSamplerFlags(cmd, &o.sampler)
	fl.IntVarP(&o.threads, "threads", "t", 0, "threads (default: physical cores)")
	fl.IntVarP(&o.ctxLen, "ctx", "c", 0, "context length (default: the model's, at most 4096)")
	addKVFlag(cmd, &o.kv, llama.DefaultKV, kvHelp)
	return cmd
}

// contextPolicy resolves --context-full.
func contextPolicy(arg string) (inference.ContextPolicy, error) {
	switch arg {
	case "stop":
		return inference.ContextStop, nil
	case "drop":
		return inference.ContextDropOldest, nil
	}
	return 0, fmt.Errorf("chat: --context-full %q: want stop or drop", arg)
}

// chatTemplate resolves --template: a built-in's name, else a file to read.
func chatTemplate(arg string) (string, error) {
	if arg == "" {
		return "", nil
	}
	if _, ok := chat.BuiltinSource(arg); ok {
		return arg, nil
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return "", fmt.Errorf("chat: --template %q is neither a built-in (%s) nor a readable file: %w", arg, strings.Join(chat.BuiltinNames(), ", "), err)
	}
	return string(b), nil
}

func runChat(in io.Reader, out, errOut io.Writer, sigs <-chan os.Signal, o chatOptions) error {
	tmpl, err := chatTemplate(o.template)
	if err != nil {
		return err
	}
	w := inference.NewWorker()
	defer w.Close()

	info, err := loadForChat(w, o, errOut, sigs)
	if err != nil {
		return err
	}
	fmt.Fprintf(errOut, "%s (%s), context %d tokens. /reset starts over, /exit quits; Ctrl+C stops a reply.\n",
		info.Name, info.Architecture, info.ContextLength)

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	var history []chat.Message
	if o.system != "" {
		history = append(history, chat.Message{Role: "system", Content: o.system})
	}
	system := len(history)
	shown := map[string]bool{} // notes already printed
	for {
		fmt.Fprint(out, "> ")
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
			if !ok {
				fmt.Fprintln(out)
				return nil
			}
		case <-sigs:
			fmt.Fprintln(out)
			return nil
		}
		line = strings.TrimSpace(line)
		switch line {
		case "":
			continue
		case "/exit", "/quit", "/bye":
			return nil
		case "/reset":
			history = history[:system]
			fmt.Fprintln(errOut, "(new conversation)")
			continue
		}
		history = append(history, chat.Message{Role: "user", Content: line})
		text, err := chatReply(w, history, tmpl, o, out, errOut, sigs, shown)
		if err != nil {
			// The turn failed (e.g. the context is full): forget it and let the user go on.
			history = history[:len(history)-1]
			fmt.Fprintln(errOut, "error:", err)
			continue
		}
		history = append(history, chat.Message{Role: "assistant", Content: text})
	}
}

// loadForChat loads the model, showing progress; Ctrl+C abandons the load.
func loadForChat(w *inference.Worker, o chatOptions, errOut io.Writer, sigs <-chan os.Signal) (*inference.ModelInfo, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := w.Load(ctx, o.model, inference.LoadOptions{ContextLength: o.ctxLen, Threads: o.threads, KV: o.kv})
	var info *inference.ModelInfo
	var loadErr error
	shown := -1
	live := isTerminal(errOut) // redraw one progress line only on a terminal
	for {
		ev, ok := nextEvent(events, sigs, cancel)
		if !ok {
			break
		}
		switch ev.Kind {
		case inference.EventProgress:
			if pct := int(ev.Progress * 100); live && pct != shown {
				fmt.Fprintf(errOut, "\rloading %s %3d%%", o.model, pct)
				shown = pct
			}
		case inference.EventLoaded:
			info = ev.Model
		case inference.EventError:
			loadErr = ev.Err
		}
	}
	if live && shown >= 0 {
		fmt.Fprint(errOut, "\r\033[K")
	}
	if loadErr != nil {
		return nil, loadErr
	}
	if info == nil {
		return nil, errors.New("chat: the model did not load")
	}
	return info, nil
}

// nextEvent waits for the worker's next event (false: there are no more);
// Ctrl+C meanwhile cancels the work, whose events still come to their end.
func nextEvent(events <-chan inference.Event, sigs <-chan os.Signal, cancel func()) (inference.Event, bool) {
	for {
		select {
		case <-sigs:
			cancel()
		case ev, ok := <-events:
			return ev, ok
		}
	}
}

// chatReply streams one reply to out and prints its statistics to errOut.
// It returns the text shown; Ctrl+C stops the reply and keeps what came.
// A note (a template fallback, dropped turns) is printed the first time only.
func chatReply(w *inference.Worker, history []chat.Message, tmpl string, o chatOptions, out, errOut io.Writer, sigs <-chan os.Signal, shown map[string]bool) (string, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := w.Generate(ctx, inference.GenerateRequest{
		Messages:      history,
		Template:      tmpl,
		Params:        o.params, // Seed 0 without --seed: the worker draws one per reply and reports it
		MaxTokens:     o.maxTokens,
		ContextPolicy: o.policy,
	})
	var rep inference.Reply
	for {
		ev, ok := nextEvent(events, sigs, cancel)
		if !ok {
			return rep.Text(), errors.New("the reply ended without a result")
		}
		rep.Add(ev)
		switch ev.Kind {
		case inference.EventPiece:
			// A thinking model's reasoning goes to stderr, so the
			// transcript on stdout is the answers.
			switch {
			case ev.Reasoning:
				io.WriteString(errOut, ev.Piece)
			case ev.Piece != "" && rep.Reasoning() != "" && rep.Text() == ev.Piece:
				fmt.Fprint(errOut, "\n\n") // the answer begins
				fallthrough
			default:
				io.WriteString(out, ev.Piece)
			}
		case inference.EventError:
			if rep.Text() != "" {
				fmt.Fprintln(out)
			}
			return "", rep.Err
		case inference.EventDone:
			fmt.Fprintln(out)
			if rep.Notice != "" && !shown[rep.Notice] {
				shown[rep.Notice] = true
				fmt.Fprintln(errOut, "note:", rep.Notice)
			}
			printChatStats(errOut, &rep)
			return rep.Text(), nil
		}
	}
}

func printChatStats(errOut io.Writer, rep *inference.Reply) {
	s := rep.Stats
	why := rep.StopReason
	switch why {
	case inference.StopLength:
		why += " (the context is full: /reset to start over, or use --context-full drop)"
	case inference.StopCancelled:
		why += " (Ctrl+C)"
	}
	fmt.Fprintf(errOut, "[%d tokens, %.1f tok/s, first token %.0f ms, prompt %d tokens (%d new), context %d/%d, seed %d, stop: %s]\n",
		s.GenTokens, s.TokensPerSecond(), durationMS(s.TimeToFirst), s.PromptTokens, s.EvaluatedTokens,
		s.ContextUsed, s.ContextSize, s.Receipt.Params.Seed, why)
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
