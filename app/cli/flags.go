package cli

import (
	"fmt"
	"math/rand/v2"

	"github.com/spf13/cobra"

	"burrow/inference"
	"burrow/inference/llama"
	"burrow/inference/sample"
)

// samplerFlags are the sampler settings that burrow run and burrow chat
// share, so both spell, document and default them the same way
// (llama.cpp's defaults, DESIGN.md).
type samplerFlags struct {
	p    sample.Params
	seed uint64
	cmd  *cobra.Command
}

// addSamplerFlags declares --temp, --top-k, --top-p, --min-p, the penalty
// flags and --seed on cmd, filling s with the defaults.
func addSamplerFlags(cmd *cobra.Command, s *samplerFlags) {
	s.p, s.cmd = sample.DefaultParams(), cmd
	p, fl := &s.p, cmd.Flags()
	fl.Float32Var(&p.Temperature, "temp", p.Temperature, "temperature (0: greedy)")
	fl.IntVar(&p.TopK, "top-k", p.TopK, "keep the K most likely tokens (0: off)")
	fl.Float32Var(&p.TopP, "top-p", p.TopP, "nucleus sampling threshold (1: off)")
	fl.Float32Var(&p.MinP, "min-p", p.MinP, "drop tokens less likely than this times the most likely (0: off)")
	fl.Float32Var(&p.RepeatPenalty, "repeat-penalty", p.RepeatPenalty, "penalty for tokens in the last --repeat-last-n (1: off)")
	fl.IntVar(&p.PenaltyLastN, "repeat-last-n", p.PenaltyLastN, "tokens the penalties look back over (0: none, -1: all)")
	fl.Float32Var(&p.FrequencyPenalty, "frequency-penalty", p.FrequencyPenalty, "frequency penalty (0: off)")
	fl.Float32Var(&p.PresencePenalty, "presence-penalty", p.PresencePenalty, "presence penalty (0: off)")
	fl.Uint64Var(&s.seed, "seed", 0, "random seed (default or 0: random, and reported)")
}

// params checks the flags and returns the settings. Seed is --seed, or 0
// when none was given: Generate and the worker then draw a seed and report
// it in the receipt.
func (s *samplerFlags) params() (sample.Params, error) {
	p := s.p
	switch {
	case p.TopK < 0:
		return p, fmt.Errorf("--top-k %d: want 0 (off) or more", p.TopK)
	case p.TopP <= 0 || p.TopP > 1:
		return p, fmt.Errorf("--top-p %g: want a value above 0 and at most 1 (off)", p.TopP)
	case p.MinP < 0 || p.MinP > 1:
		return p, fmt.Errorf("--min-p %g: want a value from 0 (off) to 1", p.MinP)
	case p.RepeatPenalty <= 0:
		return p, fmt.Errorf("--repeat-penalty %g: want a value above 0 (1 is off)", p.RepeatPenalty)
	case p.PenaltyLastN < -1:
		return p, fmt.Errorf("--repeat-last-n %d: want -1 (all), 0 (none) or more", p.PenaltyLastN)
	}
	if s.cmd.Flags().Changed("seed") {
		p.Seed = s.seed
	}
	return p, nil
}

// seededParams is params with the random seed drawn now when none was
// given, for a command that reports the seed before it generates.
func (s *samplerFlags) seededParams() (sample.Params, error) {
	p, err := s.params()
	if err == nil && p.Seed == 0 {
		p.Seed = rand.Uint64() | 1 // never 0, which would ask Generate for another
	}
	return p, err
}

// kvHelp documents --kv-type the same way wherever it appears.
const kvHelp = "KV cache type: f32, f16 (half the memory, llama.cpp's default arithmetic) or q8_0 (about a quarter, llama.cpp's -ctk/-ctv q8_0)"

// addKVFlag declares --kv-type, which fills a LoadOptions.KV (def first).
func addKVFlag(cmd *cobra.Command, kv *llama.KVType, def llama.KVType, help string) {
	*kv = def
	cmd.Flags().Var(kvFlag{kv}, "kv-type", help)
}

// kvFlag parses --kv-type as it is given, so a bad value fails before the
// model loads.
type kvFlag struct{ kv *llama.KVType }

func (f kvFlag) String() string {
	if f.kv == nil {
		return ""
	}
	return f.kv.String()
}

func (f kvFlag) Set(s string) error {
	t, err := llama.ParseKVType(s)
	if err == nil {
		*f.kv = t
	}
	return err
}

func (kvFlag) Type() string { return "type" }

// loadState loads the model at path and makes its KV cache, for the
// commands that drive inference.Generate or llama directly; done frees both.
func loadState(path string, opts inference.LoadOptions) (m *inference.Model, st *llama.State, done func(), err error) {
	m, err = inference.LoadModel(path, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	if st, err = m.NewState(); err != nil {
		m.Close()
		return nil, nil, nil, err
	}
	return m, st, func() { st.Close(); m.Close() }, nil
}
