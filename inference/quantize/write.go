package quantize

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"burrow/inference/gguf"
	"burrow/inference/tensor"
	"burrow/internal/atomicfile"
)

// Options says how File quantizes.
type Options struct {
	Ftype Ftype
	// AllowRequantize lets already-quantized tensors be converted to another
	// quantized type (they lose precision twice). F16 and BF16 inputs are
	// converted freely, as llama-quantize does.
	AllowRequantize bool
	Threads         int // goroutines quantizing one tensor's rows; 0 = GOMAXPROCS
	// Progress, if set, is called after each tensor is written.
	Progress func(Progress)
}

// Progress reports one written tensor.
type Progress struct {
	Index, Count      int // 1-based position, number of tensors
	Name              string
	Shape             []int64
	From, To          gguf.Type
	InBytes, OutBytes int64
}

// Result sums up a quantization.
type Result struct {
	Tensors           int
	Converted         int   // tensors written in a new type (the others are copied)
	Fallbacks         int   // tensors whose rows did not fit the recipe's type
	InBytes, OutBytes int64 // tensor data, before and after
	FileBytes         int64 // size of the written file
	Plan              []Planned
}

// chunkFloats bounds the rows converted at once (16 MiB of float32 plus
// their encoding), whatever the tensor size, so memory stays flat. A
// variable so a test can show that the heap does not grow with the file.
var chunkFloats = 4 << 20

// splitKeys are the keys of a split file; the output is always one file.
var splitKeys = []string{"split.no", "split.count", "split.tensors.count"}

// CheckPaths refuses to write the output over the input: the same path, or
// another name (link) of the same file.
func CheckPaths(in, out string) error {
	ai, err1 := filepath.Abs(in)
	ao, err2 := filepath.Abs(out)
	if err1 == nil && err2 == nil && ai == ao {
		return fmt.Errorf("quantize: the output %s is the input file; choose another name", out)
	}
	si, err := os.Stat(in)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	if so, err := os.Stat(out); err == nil && os.SameFile(si, so) {
		return fmt.Errorf("quantize: the output %s is the same file as the input %s; choose another name", out, in)
	}
	return nil
}

// PlanFile is the recipe applied to an open file, with the checks File
// makes before writing: every converted type can be written, and the
// input tensors can be read.
func PlanFile(f *gguf.File, o Options) ([]Planned, error) {
	if n, ok := f.Uint("split.count"); ok && n > 1 {
		return nil, fmt.Errorf("quantize: the input is part of a %d-way split file; merge it first", n)
	}
	ts := make([]Tensor, len(f.Tensors))
	for i, ti := range f.Tensors {
		ts[i] = Tensor{Name: ti.Name, Shape: ti.Shape, Type: ti.Type}
	}
	plan, err := Plan(o.Ftype, ModelOf(f), ts)
	if err != nil {
		return nil, err
	}
	for _, p := range plan {
		if p.Out == p.Type {
			continue
		}
		if !tensor.CanQuantize(p.Out) {
			return nil, fmt.Errorf("quantize: %s is not supported yet (%s %s needs it)", p.Out, o.Ftype, p.Name)
		}
		switch p.Type {
		case gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16:
		default:
			if !o.AllowRequantize {
				return nil, fmt.Errorf("quantize: tensor %s is already %s; requantizing loses precision twice (allow it with --allow-requantize, or start from an F32/F16/BF16 file)", p.Name, p.Type)
			}
		}
		if !tensor.Supported(p.Type) {
			return nil, fmt.Errorf("quantize: tensor %s: cannot read type %s", p.Name, p.Type)
		}
	}
	return plan, nil
}

// File quantizes the model at in to out. It reads one tensor at a time from
// the mapped input and writes the output sequentially to a temporary file
// beside out, renamed over out only when complete: an error, a cancelled
// ctx or a crash leaves out as it was.
func File(ctx context.Context, in, out string, o Options) (res Result, err error) {
	if err := CheckPaths(in, out); err != nil {
		return Result{}, err
	}
	f, err := gguf.Open(in)
	if err != nil {
		return Result{}, fmt.Errorf("quantize: %w", err)
	}
	defer f.Close()
	plan, err := PlanFile(f, o)
	if err != nil {
		return Result{}, err
	}
	w, err := header(f, o.Ftype, plan)
	if err != nil {
		return Result{}, err
	}
	res = Result{Tensors: len(plan), Plan: plan}
	for _, p := range plan {
		if p.Fallback {
			res.Fallbacks++
		}
	}
	j := &job{ctx: ctx, f: f, o: o, plan: plan, byName: map[string]int{}, res: &res}
	for i, p := range plan {
		j.byName[p.Name] = i
	}

	err = atomicfile.WriteWith(out, 0o644, func(tmp io.Writer) error {
		n, err := w.WriteTo(tmp, j.fill)
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("stopped, %s was not written: %w", out, cerr)
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", out, err)
		}
		res.FileBytes = n
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("quantize: %w", err)
	}
	return res, nil
}

// header copies the input's metadata, as llama-quantize does (split keys
// dropped, quantization_version and file_type set last), and plans the
// tensors in the recipe's order with their new types.
func header(f *gguf.File, ft Ftype, plan []Planned) (*gguf.Writer, error) {
	w := gguf.NewWriter()
	for _, kv := range f.KVs {
		if err := w.SetKV(kv); err != nil {
			return nil, fmt.Errorf("quantize: %w", err)
		}
	}
	for _, k := range splitKeys {
		w.Delete(k)
	}
	for _, kv := range []struct {
		k string
		v uint32
	}{{"general.quantization_version", 2}, {"general.file_type", ft.ID}} {
		w.Delete(kv.k)
		if err := w.Set(kv.k, kv.v); err != nil {
			return nil, fmt.Errorf("quantize: %w", err)
		}
	}
	for _, p := range plan {
		if _, err := w.AddTensor(p.Name, p.Out, p.Shape); err != nil {
			return nil, fmt.Errorf("quantize: %w", err)
		}
	}
	return w, nil
}

// job is one File call's state for the fill callback.
type job struct {
	ctx    context.Context
	f      *gguf.File
	o      Options
	plan   []Planned
	byName map[string]int
	res    *Result
	done   int
	vals   []float32
	enc    []byte
}

// copyChunk is how much of an unchanged tensor is written at a time, so a
// cancel is noticed within a big tensor too.
const copyChunk = 8 << 20

func (j *job) fill(ti *gguf.TensorInfo, dst io.Writer) error {
	i, ok := j.byName[ti.Name]
	if !ok {
		return fmt.Errorf("quantize: no plan for tensor %q", ti.Name)
	}
	p := j.plan[i]
	srcInfo := &j.f.Tensors[p.Index]
	src := j.f.TensorData(srcInfo)
	base := j.f.Layout.DataOffset + srcInfo.Offset
	if p.Out == p.Type {
		for off := 0; off < len(src); off += copyChunk {
			if err := j.ctx.Err(); err != nil {
				return err
			}
			end := min(len(src), off+copyChunk)
			if _, err := dst.Write(src[off:end]); err != nil {
				return err
			}
			releasePages(j.f, base+int64(off), int64(end-off))
		}
	} else {
		if err := j.convert(p, src, base, dst); err != nil {
			return err
		}
		j.res.Converted++
	}
	j.res.InBytes += srcInfo.Size
	j.res.OutBytes += ti.Size
	j.done++
	if j.o.Progress != nil {
		j.o.Progress(Progress{Index: j.done, Count: len(j.plan), Name: p.Name, Shape: p.Shape,
			From: p.Type, To: p.Out, InBytes: srcInfo.Size, OutBytes: ti.Size})
	}
	return nil
}

// convert decodes a chunk of rows to float32, encodes them in the new
// type on several goroutines, and writes them, until the tensor is done.
func (j *job) convert(p Planned, src []byte, base int64, dst io.Writer) error {
	cols := int(p.Shape[0])
	rows := 1
	for _, d := range p.Shape[1:] {
		rows *= int(d)
	}
	inRow, outRow := int(p.Type.RowSize(int64(cols))), int(p.Out.RowSize(int64(cols)))
	per := max(1, chunkFloats/cols)
	if need := min(per, rows) * cols; len(j.vals) < need {
		j.vals = make([]float32, need)
	}
	if need := min(per, rows) * outRow; len(j.enc) < need {
		j.enc = make([]byte, need)
	}
	workers := j.o.Threads
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	for r0 := 0; r0 < rows; r0 += per {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		n := min(per, rows-r0)
		err := parallel(n, workers, func(lo, hi int) error {
			for r := lo; r < hi; r++ {
				row := j.vals[r*cols : (r+1)*cols]
				if err := tensor.DequantizeRow(p.Type, row, src[(r0+r)*inRow:]); err != nil {
					return err
				}
				if err := tensor.QuantizeRow(p.Out, j.enc[r*outRow:(r+1)*outRow], row); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("quantize: tensor %s: %w", p.Name, err)
		}
		if _, err := dst.Write(j.enc[:n*outRow]); err != nil {
			return err
		}
		releasePages(j.f, base+int64(r0*inRow), int64(n*inRow))
	}
	return nil
}

// parallel splits [0, n) among up to workers goroutines and returns the
// first error.
func parallel(n, workers int, f func(lo, hi int) error) error {
	if workers <= 1 || n < 2 {
		return f(0, n)
	}
	workers = min(workers, n)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() { defer wg.Done(); errs[w] = f(lo, hi) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}
