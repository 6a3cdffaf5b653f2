package llama

import (
	"fmt"
	"strings"

	"burrow/internal/sysmem"
)

// availableMemory reports the memory the system can give a new allocation
// without swapping, and whether it knows. A variable so tests can pretend.
var availableMemory = systemAvailableMemory

const gib = 1 << 30

// checkMemory fails, before anything is allocated, when a context of
// ctxLen tokens needs more memory than the system has available.
func checkMemory(ctxLen int, need uint64) error {
	avail, ok := availableMemory()
	if !ok || need <= avail {
		return nil
	}
	return fmt.Errorf("not enough memory for a context of %d tokens: needs %.1f GiB, %.1f GiB available",
		ctxLen, float64(need)/gib, float64(avail)/gib)
}

// systemAvailableMemory asks the system (internal/sysmem, shared with the
// library's "fits" badge); where it cannot tell, the check is skipped.
func systemAvailableMemory() (uint64, bool) {
	n, err := sysmem.Available()
	return n, err == nil
}

// KVCacheBytes is the memory the KV cache of a State for ctxLen tokens
// takes: sliding-window layers hold a ring of twice Window+256 positions
// when that is smaller than the context, the others every position.
func (c *Config) KVCacheBytes(ctxLen int, kv KVType) uint64 {
	return kvCacheBytes(c, ctxLen, min(maxBatch, ctxLen), kv)
}

// WeightBytesPerToken is the bytes of weights one decoded token reads, and
// the bytes of all matrices, for a file of architecture arch with
// hyperparameters c; rowBytes gives the size of one row of a matrix (its
// type's). Every matrix is read whole but the embedding (one row, unless it
// is also the classifier) and the stacked experts (*_exps), of which each
// token reads ExpertsUsed of Experts.
func WeightBytesPerToken(arch string, c *Config, rowBytes func(TensorSpec) uint64) (perToken, total uint64, err error) {
	specs, err := Tensors(arch, c)
	if err != nil {
		return 0, 0, err
	}
	for _, s := range specs {
		if s.Kind != Matrix || (s.Name == "output.weight" && c.TiedOutput) {
			continue
		}
		rows := uint64(1)
		for _, d := range s.Shape[1:] {
			rows *= uint64(d)
		}
		rb := rowBytes(s)
		total += rows * rb
		switch {
		case s.Name == "token_embd.weight" && !c.TiedOutput:
			perToken += rb
		case strings.HasSuffix(s.Name, "_exps.weight") && c.Experts > 0:
			perToken += rows * rb / uint64(c.Experts) * uint64(c.ExpertsUsed)
		default:
			perToken += rows * rb
		}
	}
	return perToken, total, nil
}

// WeightBytesPerToken is WeightBytesPerToken for the model's own weights.
func (m *Model) WeightBytesPerToken() (perToken, total uint64) {
	L := &m.Layers[0]
	byName := map[string]uint64{}
	for _, s := range families[m.Config.Arch].specs(&m.Config) {
		if s.Kind != Matrix {
			continue
		}
		if s.Layer >= 0 {
			L = &m.Layers[s.Layer]
		}
		if mat := *s.decl.matrix(m, L); mat != nil {
			byName[s.Name] = uint64(mat.RowBytes)
		}
	}
	perToken, total, _ = WeightBytesPerToken(m.Config.Arch, &m.Config, func(s TensorSpec) uint64 { return byName[s.Name] })
	return perToken, total
}
