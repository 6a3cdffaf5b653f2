package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"burrow/inference/sample"
)

var samplerFlagNames = []string{"temp", "top-k", "top-p", "min-p", "repeat-penalty", "repeat-last-n",
	"frequency-penalty", "presence-penalty", "seed"}

// burrow run and burrow chat declare the same sampler flags, with the same
// defaults and help.
func TestRunAndChatShareSamplerFlags(t *testing.T) {
	run, chat := newRunCmd(), newChatCmd()
	for _, name := range samplerFlagNames {
		a, b := run.Flags().Lookup(name), chat.Flags().Lookup(name)
		if a == nil || b == nil {
			t.Errorf("--%s: run has it %v, chat %v", name, a != nil, b != nil)
			continue
		}
		if a.DefValue != b.DefValue || a.Usage != b.Usage {
			t.Errorf("--%s differs: run %q %q, chat %q %q", name, a.DefValue, a.Usage, b.DefValue, b.Usage)
		}
	}
}

func TestSamplerFlags(t *testing.T) {
	parse := func(args ...string) (*samplerFlags, error) {
		var s samplerFlags
		cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
		addSamplerFlags(cmd, &s)
		return &s, cmd.ParseFlags(args)
	}
	s, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.params(); err != nil || p != sample.DefaultParams() {
		t.Errorf("no flags: %+v, %v; want llama.cpp's defaults with seed 0 (random)", p, err)
	}
	if p, err := s.seededParams(); err != nil || p.Seed == 0 {
		t.Errorf("seeded without --seed: %+v, %v", p, err)
	}

	s, _ = parse("--temp", "0", "--top-k", "5", "--seed", "42", "--repeat-last-n", "-1")
	p, err := s.seededParams()
	want := sample.DefaultParams()
	want.Temperature, want.TopK, want.Seed, want.PenaltyLastN = 0, 5, 42, -1
	if err != nil || p != want {
		t.Errorf("flags: %+v, %v; want %+v", p, err, want)
	}

	for _, bad := range [][]string{{"--top-p", "0"}, {"--top-p", "1.5"}, {"--min-p", "-0.1"}, {"--top-k", "-1"},
		{"--repeat-penalty", "0"}, {"--repeat-last-n", "-2"}} {
		s, err := parse(bad...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.params(); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: error %v, want one naming %s", bad, err, bad[0])
		}
	}
}
