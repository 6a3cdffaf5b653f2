package filemap

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

func TestRegionsMatchLayout(t *testing.T) {
	p := testenv.Path(t, "models", "stories260K-q8_0.gguf")
	f, err := gguf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Open(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := f.Layout
	want := map[string][2]int64{
		"header":       {0, l.HeaderEnd},
		"metadata":     {l.HeaderEnd, l.MetadataEnd},
		"tensor infos": {l.MetadataEnd, l.InfosEnd},
	}
	for _, ti := range f.Tensors {
		start := l.DataOffset + ti.Offset
		want[ti.Name] = [2]int64{start, start + ti.Size}
	}
	got := map[string][2]int64{}
	pos := int64(0)
	for _, r := range m.Regions {
		if r.Start != pos || r.End <= r.Start {
			t.Fatalf("region %+v does not follow on from %d", r, pos)
		}
		pos = r.End
		if r.Kind != KindPadding && r.Kind != KindTrailing {
			got[r.Name] = [2]int64{r.Start, r.End}
		}
		if r.Kind == KindTensor {
			ti, _ := f.Tensor(r.Name)
			if r.Type != ti.Type.String() {
				t.Errorf("%s type %s, want %s", r.Name, r.Type, ti.Type)
			}
		}
	}
	if pos != f.Size || m.Size != f.Size {
		t.Errorf("regions end at %d, map size %d, file %d", pos, m.Size, f.Size)
	}
	if len(got) != len(want) {
		t.Errorf("%d named regions, want %d", len(got), len(want))
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("region %q = %v, want %v", name, got[name], w)
		}
	}
	// The hover lookup agrees at the edges.
	for _, ti := range f.Tensors {
		start := l.DataOffset + ti.Offset
		for _, off := range []int64{start, start + ti.Size - 1} {
			if r, ok := m.RegionAt(off); !ok || r.Name != ti.Name {
				t.Errorf("RegionAt(%d) = %+v, want %s", off, r, ti.Name)
			}
		}
	}
	if r, ok := m.RegionAt(l.HeaderEnd); !ok || r.Kind != KindMetadata {
		t.Errorf("RegionAt(HeaderEnd) = %+v", r)
	}
	if _, ok := m.RegionAt(f.Size); ok {
		t.Error("RegionAt past the end found a region")
	}
	// Metadata is mostly text, the quantized weights look nearly random.
	if e := m.Entropy[len(m.Entropy)/2]; e < 6 {
		t.Errorf("entropy in the middle of the weights %.2f, want > 6", e)
	}
}

func TestEntropy(t *testing.T) {
	rnd := make([]byte, 1<<16)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	for _, tc := range []struct {
		name     string
		data     []byte
		min, max float32
	}{
		{"zeros", make([]byte, 4096), 0, 0},
		{"one value", bytes.Repeat([]byte{7}, 4096), 0, 0},
		{"two values", bytes.Repeat([]byte{1, 2}, 2048), 1, 1},
		{"random", rnd, 7.9, 8},
	} {
		m, err := Scan(context.Background(), bytes.NewReader(tc.data), int64(len(tc.data)), Options{Cells: 1})
		if err != nil {
			t.Fatal(err)
		}
		if m.Cells() != 1 {
			t.Fatalf("%s: %d cells", tc.name, m.Cells())
		}
		if e := m.Entropy[0]; e < tc.min-1e-6 || e > tc.max+1e-6 {
			t.Errorf("%s: entropy %.4f, want %.2f..%.2f", tc.name, e, tc.min, tc.max)
		}
	}
}

func TestScanChunksAndProgress(t *testing.T) {
	const size = 3*bufSize + 12345
	var last int64
	calls := 0
	m, err := Scan(context.Background(), io.LimitReader(zeroReader{}, size), size, Options{Cells: 1000,
		Progress: func(done, total int64) { calls++; last = done; _ = total }})
	if err != nil {
		t.Fatal(err)
	}
	if m.Chunk != ChunkSize(size, 1000) || m.Cells() > 1000 || int64(m.Cells())*m.Chunk < size {
		t.Errorf("chunk %d, %d cells for %d bytes", m.Chunk, m.Cells(), size)
	}
	if last != size || calls < 4 {
		t.Errorf("progress ended at %d after %d calls", last, calls)
	}
	if _, end := m.CellRange(m.Cells() - 1); end != size {
		t.Errorf("last cell ends at %d", end)
	}
}

func TestScanCancelAndShortRead(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Scan(ctx, zeroReader{}, 1<<30, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled scan: %v", err)
	}
	if _, err := Scan(context.Background(), bytes.NewReader(make([]byte, 10)), 100, Options{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short file: %v", err)
	}
}

func TestGridAndRender(t *testing.T) {
	p := testenv.Path(t, "models", "stories260K-q8_0.gguf")
	m, err := Open(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	img, g := Render(m, RenderOptions{Width: 800, Legend: true})
	if g.Cols*g.Rows < m.Cells() || g.Size().X > 800 || g.Size().Y > 800 {
		t.Errorf("grid %+v for %d cells", g, m.Cells())
	}
	for _, i := range []int{0, 1, g.Cols, m.Cells() - 1} {
		r := g.CellRect(i)
		if c, ok := g.CellAt(r.Min.X+g.CellPx/2, r.Min.Y+g.CellPx/2); !ok || c != i {
			t.Errorf("CellAt(centre of %d) = %d, %v", i, c, ok)
		}
	}
	if _, ok := g.CellAt(g.Size().X+1, 0); ok {
		t.Error("a cell right of the picture")
	}
	if img.Bounds().Dx() != g.Size().X || img.Bounds().Dy() <= g.Size().Y {
		t.Errorf("image %v, grid %v", img.Bounds(), g.Size())
	}
	if dir := os.Getenv("BURROW_FILEMAP_OUT"); dir != "" {
		fh, err := os.Create(filepath.Join(dir, "filemap.png"))
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		png.Encode(fh, img)
	}
}

func TestEntropyColorEnds(t *testing.T) {
	if c := EntropyColor(0); c != inferno[0] {
		t.Errorf("0 bits: %v", c)
	}
	if c := EntropyColor(8); c != inferno[len(inferno)-1] {
		t.Errorf("8 bits: %v", c)
	}
	if c := EntropyColor(99); c != inferno[len(inferno)-1] {
		t.Errorf("beyond 8 bits: %v", c)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func BenchmarkScan(b *testing.B) {
	data := make([]byte, 64<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data[len(data)/2:] { // half zeros, half random
		data[len(data)/2+i] = byte(r.Uint32())
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		// 1024 cells of 64 KiB: the chunk size of a 4 GiB file at the default budget.
		if _, err := Scan(context.Background(), bytes.NewReader(data), int64(len(data)), Options{Cells: 1024}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHistogramOneTable(b *testing.B) {
	data := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	var h [256]uint32
	for b.Loop() {
		for _, c := range data {
			h[c]++
		}
	}
}

func BenchmarkHistogramFourTables(b *testing.B) {
	data := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	var h histogram
	for b.Loop() {
		h.add(data)
	}
}

// BenchmarkRender draws a full map (65536 cells, 300 regions) at a window's
// size, as the UI does on every resize.
func BenchmarkRender(b *testing.B) {
	m := &Map{Size: 1 << 30, Chunk: 1 << 14, Entropy: make([]float32, 1<<16)}
	for i := range m.Entropy {
		m.Entropy[i] = float32(i%9) * 0.9
	}
	step := m.Size / 300
	for i := int64(0); i < 300; i++ {
		m.Regions = append(m.Regions, Region{Kind: KindTensor, Name: "blk." + string(rune('0'+i%10)) + ".attn_q.weight", Start: i * step, End: min((i+1)*step, m.Size)})
	}
	m.Regions[len(m.Regions)-1].End = m.Size
	for b.Loop() {
		Render(m, RenderOptions{Width: 830, MaxHeight: 660})
	}
}
