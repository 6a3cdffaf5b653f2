package filemap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"burrow/inference/gguf"
)

// Defaults for Options.
const (
	DefaultCells = 1 << 16 // 256×256 cells
	// MinChunk keeps a cell's entropy meaningful: n bytes can show at most
	// log2(n) bits of entropy, so chunks of 256 bytes or more are needed for
	// the scale to reach 8 bits.
	MinChunk = 256
	bufSize  = 1 << 20 // the one read buffer: memory does not grow with the file
)

// Options tune a scan.
type Options struct {
	// Cells is the most cells the picture may have (DefaultCells when 0);
	// the chunk size is the smallest that fits the file in that many.
	Cells int
	// Progress, if set, is called after each buffer with the bytes read so
	// far and the file size (from the scanning goroutine).
	Progress func(done, total int64)
}

// Map is a scanned file: the entropy of each chunk and the file's regions.
type Map struct {
	Path    string
	Size    int64
	Chunk   int64     // bytes per cell
	Entropy []float32 // per cell, bits per byte, 0..8
	Regions []Region  // sorted, gap-free, covering [0, Size)
}

// Cells is the number of cells.
func (m *Map) Cells() int { return len(m.Entropy) }

// CellRange is the byte range [start, end) of cell i.
func (m *Map) CellRange(i int) (start, end int64) {
	start = int64(i) * m.Chunk
	return start, min(start+m.Chunk, m.Size)
}

// RegionAt names the region holding the byte at offset.
func (m *Map) RegionAt(offset int64) (Region, bool) { return regionAt(m.Regions, offset) }

// ChunkSize is the bytes per cell that fit size bytes into at most cells
// cells (never below MinChunk).
func ChunkSize(size int64, cells int) int64 {
	if cells <= 0 {
		cells = DefaultCells
	}
	c := (size + int64(cells) - 1) / int64(cells)
	return max(c, MinChunk)
}

// Open scans a GGUF file: its regions from the header, and the entropy of
// every chunk in one streaming pass. Cancel ctx to stop it early.
func Open(ctx context.Context, path string, opts Options) (*Map, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	regions := Regions(f)
	size := f.Size
	f.Close() // the scan streams with read(2), so the mapping is not paged in
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("file map: %w", err)
	}
	defer fh.Close()
	m, err := Scan(ctx, fh, size, opts)
	if err != nil {
		return nil, fmt.Errorf("file map of %s: %w", path, err)
	}
	m.Path, m.Regions = path, regions
	return m, nil
}

// Scan reads size bytes from r and computes each chunk's entropy. The
// returned Map has no regions; Open adds them for a GGUF file.
func Scan(ctx context.Context, r io.Reader, size int64, opts Options) (*Map, error) {
	if size < 0 {
		return nil, fmt.Errorf("negative size %d", size)
	}
	chunk := ChunkSize(size, opts.Cells)
	cells := int((size + chunk - 1) / chunk)
	m := &Map{Size: size, Chunk: chunk, Entropy: make([]float32, 0, cells)}
	var hist histogram
	inCell := int64(0)
	done := int64(0)
	buf := make([]byte, min(int64(bufSize), max(size, 1)))
	for done < size {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := r.Read(buf[:min(int64(len(buf)), size-done)])
		b := buf[:n]
		for len(b) > 0 {
			take := min(int64(len(b)), chunk-inCell)
			hist.add(b[:take])
			inCell += take
			b = b[take:]
			if inCell == chunk {
				m.Entropy = append(m.Entropy, hist.entropy(inCell))
				hist, inCell = histogram{}, 0
			}
		}
		done += int64(n)
		if opts.Progress != nil && n > 0 {
			opts.Progress(done, size)
		}
		if errors.Is(err, io.EOF) && done < size {
			return nil, fmt.Errorf("%w after %d of %d bytes", io.ErrUnexpectedEOF, done, size)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
	}
	if inCell > 0 {
		m.Entropy = append(m.Entropy, hist.entropy(inCell))
	}
	return m, nil
}

// histogram counts byte values in four interleaved tables, so runs of one
// value (zeros, padding) do not make every increment wait on the same
// counter (BenchmarkHistogram*).
type histogram [4][256]uint32

// add counts b (a cell is at most a 4 GiB chunk, far beyond any file's
// size / cells, so uint32 cannot overflow).
func (h *histogram) add(b []byte) {
	for len(b) >= 4 {
		q := b[:4:4]
		h[0][q[0]]++
		h[1][q[1]]++
		h[2][q[2]]++
		h[3][q[3]]++
		b = b[4:]
	}
	for _, c := range b {
		h[0][c]++
	}
}

// entropy is the Shannon entropy of the counted bytes in bits per byte.
func (h *histogram) entropy(n int64) float32 {
	if n == 0 {
		return 0
	}
	e := 0.0
	total := float64(n)
	for v := range 256 {
		c := uint64(h[0][v]) + uint64(h[1][v]) + uint64(h[2][v]) + uint64(h[3][v])
		if c > 0 {
			p := float64(c) / total
			e -= p * math.Log2(p)
		}
	}
	return float32(e)
}
