// Package gguf reads and writes GGUF model files (the llama.cpp file format).
//
// A File is a memory-mapped view: opening parses only the header, and a
// tensor's data is a slice of the mapping. Every count and length in the
// header is checked against the file size before anything is allocated, so a
// truncated or hostile file gives an error, never a panic or a huge allocation.
package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unsafe"
)

// Sentinel errors; every error from this package wraps one of them.
var (
	ErrCorrupt     = errors.New("corrupt gguf file")
	ErrUnsupported = errors.New("unsupported gguf file")
)

const (
	magic            = 0x46554747 // "GGUF" little-endian
	defaultAlignment = 32
	maxDims          = 4
	maxArrayDepth    = 8
)

// Array is a metadata array value. Values holds a typed slice:
// []uint8, []int8, []uint16, []int16, []uint32, []int32, []float32, []bool,
// []string, []uint64, []int64, []float64 or []Array.
type Array struct {
	Type   ValueType
	Values any
}

// Len is the number of elements.
func (a Array) Len() int {
	switch v := a.Values.(type) {
	case []uint8:
		return len(v)
	case []int8:
		return len(v)
	case []uint16:
		return len(v)
	case []int16:
		return len(v)
	case []uint32:
		return len(v)
	case []int32:
		return len(v)
	case []float32:
		return len(v)
	case []bool:
		return len(v)
	case []string:
		return len(v)
	case []uint64:
		return len(v)
	case []int64:
		return len(v)
	case []float64:
		return len(v)
	case []Array:
		return len(v)
	}
	return 0
}

// Index returns element i as a Go value of the element type (an Array for
// nested arrays), or nil when i is out of range.
func (a Array) Index(i int) any {
	if i < 0 || i >= a.Len() {
		return nil
	}
	switch v := a.Values.(type) {
	case []uint8:
		return v[i]
	case []int8:
		return v[i]
	case []uint16:
		return v[i]
	case []int16:
		return v[i]
	case []uint32:
		return v[i]
	case []int32:
		return v[i]
	case []float32:
		return v[i]
	case []bool:
		return v[i]
	case []string:
		return v[i]
	case []uint64:
		return v[i]
	case []int64:
		return v[i]
	case []float64:
		return v[i]
	case []Array:
		return v[i]
	}
	return nil
}

// KV is one metadata entry. Value is the Go value of Type: uint8, int8,
// uint16, int16, uint32, int32, float32, bool, string, uint64, int64, float64
// or Array.
type KV struct {
	Key   string
	Type  ValueType
	Value any
}

// TensorInfo describes one tensor. Shape is in ggml order: Shape[0] is the
// length of a row (the fastest-moving dimension).
type TensorInfo struct {
	Name   string
	Shape  []int64
	Type   Type
	Offset int64 // from the start of the data section
	Size   int64 // bytes
	// InfoOffset is where this tensor's info record starts in the file.
	InfoOffset int64
}

// Elements is the number of elements (the product of the shape).
func (t *TensorInfo) Elements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Layout records where the parts of the file lie, for viewers.
type Layout struct {
	HeaderEnd   int64 `json:"header_end"`   // end of magic, version and the two counts
	MetadataEnd int64 `json:"metadata_end"` // end of the key-value section
	InfosEnd    int64 `json:"infos_end"`    // end of the tensor-info section
	DataOffset  int64 `json:"data_offset"`  // start of the (aligned) tensor data section
}

// File is a parsed GGUF file.
type File struct {
	Version   uint32
	Alignment int64
	Size      int64 // file size in bytes
	KVs       []KV
	Tensors   []TensorInfo
	Layout    Layout

	kvIndex     map[string]int
	tensorIndex map[string]int
	data        []byte
	unmap       func() error
	released    [][2]int       // byte ranges of data given to Release, in call order
	frees       []func() error // of the memory Alloc handed out
}

// Open maps the file read-only and parses its header.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a gguf file", path)
	}
	if st.Size() < 24 {
		return nil, fmt.Errorf("%s: %w: file is %d bytes, too small for a gguf header", path, ErrCorrupt, st.Size())
	}
	data, unmap, err := mmapFile(fh, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: map: %w", path, err)
	}
	f, err := Parse(data)
	if err != nil {
		unmap()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.unmap = unmap
	return f, nil
}

// Release tells the system that the mapped bytes b (inside one of f's
// tensors) will not be read again: a tensor the engine copied (repacked
// weights) stops counting towards the process's memory. Reading b later
// is still correct (the pages come back from the file). It does nothing
// for a File parsed from memory or where the platform reads files in.
func (f *File) Release(b []byte) {
	if f == nil || f.unmap == nil || len(b) == 0 || len(f.data) == 0 {
		return
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(f.data)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if p < base || p+uintptr(len(b)) > base+uintptr(len(f.data)) {
		return
	}
	lo := int(p - base)
	f.released = append(f.released, [2]int{lo, lo + len(b)})
	evictPages(b)
}

// TouchData reads one byte of every page of tensor data, except the
// ranges given to Release, so that the pages the engine reads are in
// memory (benchmarks count this in the load time). It returns the bytes'
// XOR so that the reads stay.
func (f *File) TouchData() byte {
	r := slices.Clone(f.released)
	slices.SortFunc(r, func(a, b [2]int) int { return a[0] - b[0] })
	var x byte
	for i := int(f.Layout.DataOffset); i < len(f.data); i += 4096 {
		for len(r) > 0 && r[0][1] <= i {
			r = r[1:]
		}
		if len(r) > 0 && r[0][0] <= i {
			i = r[0][1] - 4096 // on to the first byte after the range
			continue
		}
		x ^= f.data[i]
	}
	return x
}

// Alloc returns n zeroed bytes that live as long as the mapping: outside
// the Go heap where the platform allows (so copies of the weights, such as
// repacked ones, do not raise the garbage collector's heap target), freed
// by Close like the mapping itself.
func (f *File) Alloc(n int) []byte {
	if f == nil || f.unmap == nil || n <= 0 {
		return make([]byte, max(n, 0))
	}
	b, free := anonMemory(n)
	if free != nil {
		f.frees = append(f.frees, free)
	}
	return b
}

// Close unmaps the file. Tensor data slices must not be used afterwards.
func (f *File) Close() error {
	if f == nil || f.unmap == nil {
		return nil
	}
	u := f.unmap
	f.unmap, f.data = nil, nil
	err := u()
	for _, free := range f.frees {
		if e := free(); err == nil {
			err = e
		}
	}
	f.frees = nil
	return err
}

// Parse parses a whole GGUF file held in memory. The File refers to data.
func Parse(data []byte) (*File, error) {
	d := &decoder{buf: data}
	f := &File{Size: int64(len(data)), data: data, Alignment: defaultAlignment}
	if len(data) < 4 {
		return nil, fmt.Errorf("%w: file is %d bytes, too small for a gguf header", ErrCorrupt, len(data))
	}
	switch m := binary.LittleEndian.Uint32(data); m {
	case magic:
	case bits.ReverseBytes32(magic):
		return nil, fmt.Errorf("%w: byte-swapped magic", ErrCorrupt)
	default:
		return nil, fmt.Errorf("%w: not a gguf file (magic %q)", ErrCorrupt, data[:4])
	}
	d.pos = 4
	ver, err := d.u32("version")
	if err != nil {
		return nil, err
	}
	switch {
	case ver == 2 || ver == 3:
	case ver == 1:
		return nil, fmt.Errorf("%w: gguf version 1 (re-convert the model with a current llama.cpp)", ErrUnsupported)
	case bits.ReverseBytes32(ver) == 2 || bits.ReverseBytes32(ver) == 3:
		return nil, fmt.Errorf("%w: big-endian gguf file", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: gguf version %d", ErrUnsupported, ver)
	}
	f.Version = ver
	nTensors, err := d.u64("tensor count")
	if err != nil {
		return nil, err
	}
	nKV, err := d.u64("metadata count")
	if err != nil {
		return nil, err
	}
	f.Layout.HeaderEnd = int64(d.pos)
	// Each key-value takes at least 12 bytes (key length, type, a 1-byte value
	// would be 13), each tensor info at least 8+4+8+4+8 bytes.
	if nKV > uint64(d.remaining())/12 {
		return nil, fmt.Errorf("%w: metadata count %d at offset 16 does not fit in a %d-byte file", ErrCorrupt, nKV, len(data))
	}
	if nTensors > uint64(d.remaining())/32 {
		return nil, fmt.Errorf("%w: tensor count %d at offset 8 does not fit in a %d-byte file", ErrCorrupt, nTensors, len(data))
	}

	// Counts only bound the loops; slices grow with what is actually read,
	// so a lying count cannot make Parse allocate more than the file holds.
	alignAt := 0
	f.KVs = make([]KV, 0, min(nKV, 256))
	f.kvIndex = make(map[string]int, min(nKV, 256))
	for i := uint64(0); i < nKV; i++ {
		at := d.pos
		key, err := d.str("metadata key")
		if err != nil {
			return nil, err
		}
		if _, dup := f.kvIndex[key]; dup {
			return nil, fmt.Errorf("%w: duplicate metadata key %q at offset %d", ErrCorrupt, key, at)
		}
		vt, err := d.u32("type of " + key)
		if err != nil {
			return nil, err
		}
		val, err := d.value(ValueType(vt), key, 0)
		if err != nil {
			return nil, err
		}
		if key == "general.alignment" {
			alignAt = at
		}
		f.kvIndex[key] = len(f.KVs)
		f.KVs = append(f.KVs, KV{Key: key, Type: ValueType(vt), Value: val})
	}
	f.Layout.MetadataEnd = int64(d.pos)

	if kv, ok := f.kvIndex["general.alignment"]; ok {
		a, ok := asUint(f.KVs[kv].Value)
		if !ok || a == 0 || a&(a-1) != 0 || a > 1<<20 {
			return nil, fmt.Errorf("%w: general.alignment %v (key at offset %d) is not a power of two up to 1 MiB", ErrCorrupt, f.KVs[kv].Value, alignAt)
		}
		f.Alignment = int64(a)
	}

	f.Tensors = make([]TensorInfo, 0, min(nTensors, 1024))
	f.tensorIndex = make(map[string]int, min(nTensors, 1024))
	for i := uint64(0); i < nTensors; i++ {
		t, err := d.tensorInfo()
		if err != nil {
			return nil, err
		}
		if _, dup := f.tensorIndex[t.Name]; dup {
			return nil, fmt.Errorf("%w: duplicate tensor name %q at offset %d", ErrCorrupt, t.Name, t.InfoOffset)
		}
		f.tensorIndex[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}
	f.Layout.InfosEnd = int64(d.pos)
	f.Layout.DataOffset = alignUp(int64(d.pos), f.Alignment)
	if nTensors > 0 && f.Layout.DataOffset > f.Size {
		return nil, fmt.Errorf("%w: data section starts at %d, past the end of the %d-byte file", ErrCorrupt, f.Layout.DataOffset, f.Size)
	}
	if err := f.checkTensorData(); err != nil {
		return nil, err
	}
	return f, nil
}

// checkTensorData checks that every tensor lies aligned inside the file and
// that no two overlap.
func (f *File) checkTensorData() error {
	avail := f.Size - f.Layout.DataOffset
	order := make([]int, len(f.Tensors))
	for i := range order {
		order[i] = i
	}
	for _, i := range order {
		t := &f.Tensors[i]
		if t.Offset%f.Alignment != 0 {
			return fmt.Errorf("%w: tensor %q (info at offset %d): data offset %d is not aligned to %d", ErrCorrupt, t.Name, t.InfoOffset, t.Offset, f.Alignment)
		}
		if t.Offset > avail || t.Size > avail-t.Offset {
			return fmt.Errorf("%w: tensor %q (info at offset %d): data at offset %d, %d bytes, lies past the end of the %d-byte file (truncated?)", ErrCorrupt, t.Name, t.InfoOffset, f.Layout.DataOffset+t.Offset, t.Size, f.Size)
		}
	}
	sort.Slice(order, func(a, b int) bool { return f.Tensors[order[a]].Offset < f.Tensors[order[b]].Offset })
	for k := 1; k < len(order); k++ {
		prev, cur := &f.Tensors[order[k-1]], &f.Tensors[order[k]]
		if prev.Offset+prev.Size > cur.Offset {
			return fmt.Errorf("%w: tensors %q and %q overlap at offset %d", ErrCorrupt, prev.Name, cur.Name, f.Layout.DataOffset+cur.Offset)
		}
	}
	return nil
}

func alignUp(n, a int64) int64 { return (n + a - 1) / a * a }

// decoder reads little-endian values with bounds checks.
type decoder struct {
	buf []byte
	pos int
}

func (d *decoder) remaining() int { return len(d.buf) - d.pos }

func (d *decoder) need(n uint64, what string) error {
	if n > uint64(d.remaining()) {
		return fmt.Errorf("%w: %s at offset %d needs %d bytes, file ends after %d (truncated?)", ErrCorrupt, what, d.pos, n, d.remaining())
	}
	return nil
}

func (d *decoder) u32(what string) (uint32, error) {
	if err := d.need(4, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint32(d.buf[d.pos:])
	d.pos += 4
	return v, nil
}

func (d *decoder) u64(what string) (uint64, error) {
	if err := d.need(8, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint64(d.buf[d.pos:])
	d.pos += 8
	return v, nil
}

func (d *decoder) str(what string) (string, error) {
	b, err := d.strBytes(what, "")
	return string(b), err
}

// strBytes reads a length-prefixed string in place. The error message is
// what (plus " of "+key when key is set), built only on failure so hot
// loops over token arrays do not allocate it.
func (d *decoder) strBytes(what, key string) ([]byte, error) {
	at := d.pos
	if d.remaining() < 8 {
		return nil, d.strErr(what, key, at, 8, "length")
	}
	n := binary.LittleEndian.Uint64(d.buf[d.pos:])
	if n > uint64(d.remaining()-8) {
		return nil, d.strErr(what, key, at, n, "string")
	}
	d.pos += 8
	b := d.buf[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return b, nil
}

func (d *decoder) strErr(what, key string, at int, n uint64, part string) error {
	if key != "" {
		what += fmt.Sprintf(" of %q", key)
	}
	left := len(d.buf) - at
	if part == "length" {
		return fmt.Errorf("%w: %s at offset %d: file ends after %d bytes, before the 8-byte length (truncated?)", ErrCorrupt, what, at, left)
	}
	return fmt.Errorf("%w: %s at offset %d: length %d exceeds the %d bytes left in the file (truncated?)", ErrCorrupt, what, at, n, left-8)
}

func (d *decoder) value(vt ValueType, key string, depth int) (any, error) {
	if vt == ValArray {
		return d.array(key, depth)
	}
	if vt == ValString {
		return d.str("value of " + key)
	}
	size := vt.fixedSize()
	if size == 0 {
		return nil, fmt.Errorf("%w: key %q has unknown value type %d at offset %d", ErrCorrupt, key, uint32(vt), d.pos-4)
	}
	if err := d.need(uint64(size), "value of "+key); err != nil {
		return nil, err
	}
	b := d.buf[d.pos:]
	d.pos += size
	return scalar(vt, b), nil
}

func scalar(vt ValueType, b []byte) any {
	switch vt {
	case ValUint8:
		return b[0]
	case ValInt8:
		return int8(b[0])
	case ValBool:
		return b[0] != 0
	case ValUint16:
		return binary.LittleEndian.Uint16(b)
	case ValInt16:
		return int16(binary.LittleEndian.Uint16(b))
	case ValUint32:
		return binary.LittleEndian.Uint32(b)
	case ValInt32:
		return int32(binary.LittleEndian.Uint32(b))
	case ValFloat32:
		return math.Float32frombits(binary.LittleEndian.Uint32(b))
	case ValUint64:
		return binary.LittleEndian.Uint64(b)
	case ValInt64:
		return int64(binary.LittleEndian.Uint64(b))
	case ValFloat64:
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	return nil
}

func (d *decoder) array(key string, depth int) (any, error) {
	if depth >= maxArrayDepth {
		return nil, fmt.Errorf("%w: key %q: arrays nested deeper than %d at offset %d", ErrCorrupt, key, maxArrayDepth, d.pos)
	}
	et32, err := d.u32("array type of " + key)
	if err != nil {
		return nil, err
	}
	et := ValueType(et32)
	n, err := d.u64("array length of " + key)
	if err != nil {
		return nil, err
	}
	// The smallest encoding of one element bounds the count before allocating.
	minSize := uint64(et.fixedSize())
	switch et {
	case ValString:
		minSize = 8
	case ValArray:
		minSize = 12
	}
	if minSize == 0 {
		return nil, fmt.Errorf("%w: key %q: array of unknown type %d at offset %d", ErrCorrupt, key, et32, d.pos-12)
	}
	if n > uint64(d.remaining())/minSize {
		return nil, fmt.Errorf("%w: key %q: array of %d %s at offset %d does not fit in the file", ErrCorrupt, key, n, et, d.pos)
	}
	// A string header (16 bytes) or an Array (24) is larger than its
	// smallest encoding, so these slices start small and grow as elements
	// are actually read.
	if et == ValString {
		return d.stringArray(key, n)
	}
	if et == ValArray {
		out := make([]Array, 0, min(n, 256))
		for range n {
			v, err := d.array(key, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v.(Array))
		}
		return Array{et, out}, nil
	}
	b := d.buf[d.pos : d.pos+int(n*minSize)]
	d.pos += int(n * minSize)
	return Array{et, decodeScalars(et, b, int(n))}, nil
}

// stringArray reads n strings. A first pass checks that every element lies
// in the file and sums their lengths; then all the text is copied into one
// string and the elements are slices of it: two allocations, sized by bytes
// actually present, however many tokens a vocabulary holds.
func (d *decoder) stringArray(key string, n uint64) (any, error) {
	start, total := d.pos, 0
	for i := uint64(0); i < n; i++ {
		b, err := d.strBytes("", "")
		if err != nil {
			// Read again (pos has not moved) to build the message with names.
			_, err = d.strBytes("element "+strconv.FormatUint(i, 10), key)
			return nil, err
		}
		total += len(b)
	}
	end := d.pos
	var sb strings.Builder
	sb.Grow(total)
	d.pos = start
	for i := uint64(0); i < n; i++ {
		b, _ := d.strBytes("", "")
		sb.Write(b)
	}
	all := sb.String()
	out := make([]string, n)
	d.pos = start
	off := 0
	for i := range out {
		b, _ := d.strBytes("", "")
		out[i] = all[off : off+len(b)]
		off += len(b)
	}
	d.pos = end
	return Array{ValString, out}, nil
}

func decodeScalars(et ValueType, b []byte, n int) any {
	le := binary.LittleEndian
	switch et {
	case ValUint8:
		out := make([]uint8, n)
		copy(out, b)
		return out
	case ValInt8:
		return scalars(b, n, 1, func(b []byte) int8 { return int8(b[0]) })
	case ValBool:
		return scalars(b, n, 1, func(b []byte) bool { return b[0] != 0 })
	case ValUint16:
		return scalars(b, n, 2, le.Uint16)
	case ValInt16:
		return scalars(b, n, 2, func(b []byte) int16 { return int16(le.Uint16(b)) })
	case ValUint32:
		return scalars(b, n, 4, le.Uint32)
	case ValInt32:
		return scalars(b, n, 4, func(b []byte) int32 { return int32(le.Uint32(b)) })
	case ValFloat32:
		return scalars(b, n, 4, func(b []byte) float32 { return math.Float32frombits(le.Uint32(b)) })
	case ValUint64:
		return scalars(b, n, 8, le.Uint64)
	case ValInt64:
		return scalars(b, n, 8, func(b []byte) int64 { return int64(le.Uint64(b)) })
	case ValFloat64:
		return scalars(b, n, 8, func(b []byte) float64 { return math.Float64frombits(le.Uint64(b)) })
	}
	return nil
}

// scalars decodes n little-endian values of size bytes each.
func scalars[T any](b []byte, n, size int, get func([]byte) T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = get(b[size*i:])
	}
	return out
}

func (d *decoder) tensorInfo() (TensorInfo, error) {
	t := TensorInfo{InfoOffset: int64(d.pos)}
	name, err := d.str("tensor name")
	if err != nil {
		return t, err
	}
	t.Name = name
	nd, err := d.u32("dimension count of tensor " + name)
	if err != nil {
		return t, err
	}
	if nd == 0 || nd > maxDims {
		return t, fmt.Errorf("%w: tensor %q (info at offset %d) has %d dimensions (1 to %d allowed)", ErrCorrupt, name, t.InfoOffset, nd, maxDims)
	}
	t.Shape = make([]int64, nd)
	elems := uint64(1)
	for i := range t.Shape {
		v, err := d.u64("shape of tensor " + name)
		if err != nil {
			return t, err
		}
		if v == 0 || v > math.MaxInt64 {
			return t, fmt.Errorf("%w: tensor %q (info at offset %d): dimension %d has size %d", ErrCorrupt, name, t.InfoOffset, i, v)
		}
		hi, lo := bits.Mul64(elems, v)
		if hi != 0 || lo > math.MaxInt64/8 {
			return t, fmt.Errorf("%w: tensor %q (info at offset %d): element count overflows at dimension %d", ErrCorrupt, name, t.InfoOffset, i)
		}
		elems = lo
		t.Shape[i] = int64(v)
	}
	ty, err := d.u32("type of tensor " + name)
	if err != nil {
		return t, err
	}
	t.Type = Type(ty)
	if !t.Type.Known() {
		return t, fmt.Errorf("%w: tensor %q (info at offset %d) has unknown ggml type %d", ErrUnsupported, name, t.InfoOffset, ty)
	}
	if t.Shape[0]%int64(t.Type.BlockSize()) != 0 {
		return t, fmt.Errorf("%w: tensor %q (info at offset %d): row length %d is not a multiple of the %s block size %d", ErrCorrupt, name, t.InfoOffset, t.Shape[0], t.Type, t.Type.BlockSize())
	}
	off, err := d.u64("data offset of tensor " + name)
	if err != nil {
		return t, err
	}
	if off > math.MaxInt64/2 {
		return t, fmt.Errorf("%w: tensor %q (info at offset %d): data offset %d is absurd", ErrCorrupt, name, t.InfoOffset, off)
	}
	t.Offset = int64(off)
	t.Size = t.Type.RowSize(int64(elems))
	return t, nil
}

func asUint(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int8:
		return uint64(x), x >= 0
	case int16:
		return uint64(x), x >= 0
	case int32:
		return uint64(x), x >= 0
	case int64:
		return uint64(x), x >= 0
	}
	return 0, false
}
