// Package filemap draws a file the way a binary visualizer such as Binocle
// does: the whole file as a grid of cells, one cell per chunk of bytes,
// coloured by the chunk's byte entropy, with the parts of a GGUF file
// (header, metadata, tensor infos, padding, each tensor's data) outlined
// and named. It reads the file in one streaming pass with a fixed buffer,
// so a multi-gigabyte model costs no more memory than a small one.
package filemap

import (
	"sort"

	"burrow/inference/gguf"
)

// Kind says what a region of a GGUF file holds.
type Kind int

const (
	KindHeader     Kind = iota // magic, version and the two counts
	KindMetadata               // the key-value section
	KindTensorInfo             // the tensor-info records
	KindPadding                // alignment bytes between sections or tensors
	KindTensor                 // one tensor's data
	KindTrailing               // bytes after the last tensor that no tensor claims
)

func (k Kind) String() string {
	switch k {
	case KindHeader:
		return "header"
	case KindMetadata:
		return "metadata"
	case KindTensorInfo:
		return "tensor infos"
	case KindPadding:
		return "padding"
	case KindTensor:
		return "tensor"
	case KindTrailing:
		return "trailing bytes"
	}
	return "unknown"
}

// Region is a byte range [Start, End) of the file and what lies there.
type Region struct {
	Kind  Kind
	Name  string // "header", "metadata", ... or the tensor's name
	Type  string // the tensor's type ("q8_0"), for tensor regions
	Start int64
	End   int64
}

// Len is the region's size in bytes.
func (r Region) Len() int64 { return r.End - r.Start }

// Regions lists the parts of a GGUF file in file order, covering every byte
// from 0 to f.Size without gaps or overlaps: bytes no section or tensor
// claims are padding (or trailing bytes after the last tensor).
func Regions(f *gguf.File) []Region {
	l := f.Layout
	var out []Region
	pos := int64(0)
	add := func(kind Kind, name, typ string, start, end int64) {
		end = min(end, f.Size)
		if start > pos { // a gap nobody claims
			gap := KindPadding
			if kind == KindTrailing {
				gap = KindTrailing
			}
			out = append(out, Region{Kind: gap, Name: gap.String(), Start: pos, End: start})
			pos = start
		}
		if end > start && start >= pos {
			out = append(out, Region{Kind: kind, Name: name, Type: typ, Start: start, End: end})
			pos = end
		}
	}
	add(KindHeader, "header", "", 0, l.HeaderEnd)
	add(KindMetadata, "metadata", "", l.HeaderEnd, l.MetadataEnd)
	add(KindTensorInfo, "tensor infos", "", l.MetadataEnd, l.InfosEnd)

	tensors := make([]gguf.TensorInfo, len(f.Tensors))
	copy(tensors, f.Tensors)
	sort.SliceStable(tensors, func(a, b int) bool { return tensors[a].Offset < tensors[b].Offset })
	for _, t := range tensors {
		start := l.DataOffset + t.Offset
		add(KindTensor, t.Name, t.Type.String(), start, start+t.Size)
	}
	add(KindTrailing, "", "", f.Size, f.Size)
	return out
}

// regionAt finds the region holding offset in a sorted, gap-free list.
func regionAt(regions []Region, off int64) (Region, bool) {
	i := sort.Search(len(regions), func(i int) bool { return regions[i].End > off })
	if i == len(regions) || off < regions[i].Start {
		return Region{}, false
	}
	return regions[i], true
}
