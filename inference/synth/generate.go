package synth

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"

	"burrow/inference/gguf"
	"burrow/inference/tensor"
)

// chunkFloats bounds the values generated before they are written (16 MiB
// of float32 plus the encoded bytes), whatever the model size.
const chunkFloats = 4 << 20

type generator struct {
	cfg   config
	specs map[string]tensorSpec
}

// fill is the gguf.FillFunc: it generates t's values a chunk of rows at a
// time, encodes them, and writes them. Each row has its own random stream
// (seed, tensor name, row), so the output does not depend on chunking or on
// how many goroutines generate.
func (g *generator) fill(t *gguf.TensorInfo, dst io.Writer) error {
	s, ok := g.specs[t.Name]
	if !ok {
		return fmt.Errorf("synth: no plan for tensor %q", t.Name)
	}
	cols := int(s.shape[0])
	rows := 1
	for _, d := range s.shape[1:] {
		rows *= int(d)
	}
	std := float32(g.cfg.std)
	// Gemma multiplies the embeddings by sqrt(Embd): store them that much
	// smaller so they enter the residual at the std's scale, and with a tied
	// classifier give the final norm that gain back so the logits are as
	// large as an untied model's (else random models echo their last token).
	gain := float32(1)
	if embedScaled(g.cfg.arch) {
		gain = float32(math.Sqrt(float64(g.cfg.Embd)))
	}
	switch {
	case t.Name == "token_embd.weight":
		std /= gain
	case t.Name == "output_norm.weight" && g.cfg.Tied && gain != 1:
		row := onesRow(cols)
		for i := range row {
			row[i] = gain
		}
		return writeRows(dst, s.typ, cols, row)
	}
	switch s.fill {
	case fillOnes:
		return writeRows(dst, s.typ, cols, onesRow(cols))
	case fillRopeFreqs:
		return writeRows(dst, s.typ, cols, Llama3RopeFactors(g.cfg.HeadSize(), g.cfg.RopeTheta, *g.cfg.Llama3Rope))
	case fillRopeShort:
		return writeRows(dst, s.typ, cols, g.cfg.LongRope.Short)
	case fillRopeLong:
		return writeRows(dst, s.typ, cols, g.cfg.LongRope.Long)
	case fillRopePartial:
		return writeRows(dst, s.typ, cols, PartialRopeFactors(2*cols, g.cfg.Gemma4.RopePartial))
	case fillOutScale:
		// Below 1, as trained models' are, so the residual does not grow
		// layer over layer.
		return writeRows(dst, s.typ, cols, []float32{0.75})
	}
	if t.Name == "per_layer_token_embd.weight" {
		std /= float32(math.Sqrt(float64(g.cfg.Gemma4.PerLayer))) // multiplied by sqrt(PerLayer) at run time
	}
	stream := nameSeed(g.cfg.seed, t.Name)
	if s.fill == fillNegExp || s.fill == fillScale {
		row := make([]float32, cols*rows)
		sign, sd := float32(-1), std
		if s.fill == fillScale {
			sign, sd = 1, 0.25
		}
		normalRow(row, stream, 0, sd)
		for i, v := range row {
			row[i] = sign * float32(math.Exp(float64(v)))
		}
		return writeRows(dst, s.typ, cols, row)
	}
	per := max(1, chunkFloats/cols)
	rowBytes := int(s.typ.RowSize(int64(cols)))
	vals := make([]float32, min(per, rows)*cols)
	enc := make([]byte, min(per, rows)*rowBytes)
	workers := min(runtime.GOMAXPROCS(0), 8)
	for r0 := 0; r0 < rows; r0 += per {
		n := min(per, rows-r0)
		parallel(n, workers, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				row := vals[i*cols : (i+1)*cols]
				normalRow(row, stream, uint64(r0+i), std)
				encodeRow(enc[i*rowBytes:(i+1)*rowBytes], s.typ, row)
			}
		})
		if _, err := dst.Write(enc[:n*rowBytes]); err != nil {
			return err
		}
	}
	return nil
}

// embedScaled reports the families whose embeddings are multiplied by
// sqrt(Embd) (gemma).
func embedScaled(arch string) bool { return strings.HasPrefix(arch, "gemma") }

func onesRow(n int) []float32 {
	r := make([]float32, n)
	for i := range r {
		r[i] = 1
	}
	return r
}

func writeRows(dst io.Writer, typ gguf.Type, cols int, vals []float32) error {
	enc := make([]byte, typ.RowSize(int64(len(vals))))
	rb := int(typ.RowSize(int64(cols)))
	for i := 0; i < len(vals)/cols; i++ {
		encodeRow(enc[i*rb:(i+1)*rb], typ, vals[i*cols:(i+1)*cols])
	}
	_, err := dst.Write(enc)
	return err
}

func nameSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	io.WriteString(h, name)
	return h.Sum64() ^ seed*0x9e3779b97f4a7c15
}

func normalRow(dst []float32, stream, row uint64, std float32) {
	rng := rand.New(rand.NewPCG(stream, row))
	for i := range dst {
		dst[i] = float32(rng.NormFloat64()) * std
	}
}

func encodeRow(dst []byte, typ gguf.Type, row []float32) {
	switch typ {
	case gguf.TypeQ8_0:
		tensor.QuantizeQ8_0(dst, row)
	case gguf.TypeF16:
		for i, v := range row {
			binary.LittleEndian.PutUint16(dst[2*i:], tensor.F32ToF16(v))
		}
	case gguf.TypeF32:
		for i, v := range row {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	default:
		// Any other weight type the engine writes (checked in newConfig).
		if err := tensor.QuantizeRow(typ, dst, row); err != nil {
			panic(err)
		}
	}
}

// parallel splits [0, n) among up to workers goroutines.
func parallel(n, workers int, f func(lo, hi int)) {
	if workers <= 1 || n < 2 {
		f(0, n)
		return
	}
	workers = min(workers, n)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() { defer wg.Done(); f(lo, hi) }()
	}
	wg.Wait()
}
