package cli

import (
	"sync"
	"time"
	"unsafe"

	"burrow/inference/gguf"
	"burrow/inference/tensor"
)

// readBandwidth is the machine's best streaming read of a 1 GiB buffer
// with threads goroutines, in bytes per second: each reads its share with
// the engine's own SIMD F32 dot, so the figure is what a kernel that only
// loads could reach. Best of three passes. (Not the model file: repacked
// types have released its pages, and reading them back would fault.)
func readBandwidth(threads int) float64 {
	data := make([]byte, 1<<30)
	for i := range data {
		data[i] = 1
	}
	n := len(data)
	if threads < 1 {
		return 0
	}
	chunk := (n / threads) &^ 255
	var best time.Duration
	for pass := 0; pass < 3; pass++ {
		var wg sync.WaitGroup
		sums := make([]float32, threads) // keeps the reads alive
		t0 := time.Now()
		for t := 0; t < threads; t++ {
			lo, hi := t*chunk, (t+1)*chunk
			if t == threads-1 {
				hi = n
			}
			wg.Add(1)
			go func(t int, b []byte) {
				defer wg.Done()
				x := unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
				sums[t] = tensor.DotF32GGML(x, x)
			}(t, data[lo:hi])
		}
		wg.Wait()
		if d := time.Since(t0); pass == 0 || d < best {
			best = d
		}
		bandwidthSink = sums[0]
	}
	return float64(n) / best.Seconds()
}

var bandwidthSink float32

// decodeBytes is what one decoded token reads of the weights: every tensor
// but the token embedding, of which it reads one row (unless the output
// head is the embedding itself).
func decodeBytes(f *gguf.File) int64 {
	var total int64
	_, tied := f.Tensor("output.weight")
	tied = !tied
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if t.Name == "token_embd.weight" && !tied {
			continue
		}
		total += t.Size
	}
	return total
}
