package filemap

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"burrow/internal/units"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Grid places cells on a picture: row-major, Cols cells a row, each a
// square of CellPx pixels.
type Grid struct {
	Cells, Cols, Rows, CellPx int
}

// LayoutGrid picks the largest cell size (up to 32 px) at which cells fit
// in width × maxHeight pixels (maxHeight 0: as tall as wide).
func LayoutGrid(cells, width, maxHeight int) Grid {
	if width <= 0 {
		width = 1024
	}
	if maxHeight <= 0 {
		maxHeight = width
	}
	cells = max(cells, 1)
	for px := 32; px > 1; px-- {
		cols := max(width/px, 1)
		rows := (cells + cols - 1) / cols
		if rows*px <= maxHeight {
			return Grid{Cells: cells, Cols: cols, Rows: rows, CellPx: px}
		}
	}
	cols := max(width, 1)
	return Grid{Cells: cells, Cols: cols, Rows: (cells + cols - 1) / cols, CellPx: 1}
}

// Size is the grid's size in pixels.
func (g Grid) Size() image.Point { return image.Pt(g.Cols*g.CellPx, g.Rows*g.CellPx) }

// CellAt is the cell under pixel (x, y), if any.
func (g Grid) CellAt(x, y int) (int, bool) {
	if g.CellPx <= 0 || x < 0 || y < 0 {
		return 0, false
	}
	col, row := x/g.CellPx, y/g.CellPx
	if col >= g.Cols {
		return 0, false
	}
	i := row*g.Cols + col
	return i, i < g.Cells
}

// CellRect is cell i's square in pixels.
func (g Grid) CellRect(i int) image.Rectangle {
	x, y := (i%g.Cols)*g.CellPx, (i/g.Cols)*g.CellPx
	return image.Rect(x, y, x+g.CellPx, y+g.CellPx)
}

// RenderOptions shape the picture.
type RenderOptions struct {
	Width     int  // pixels; 1024 when 0
	MaxHeight int  // pixels for the grid; as tall as wide when 0
	Legend    bool // add a strip below with the colour scale and cell size
}

// Render draws the map: cells coloured by entropy, region boundaries as
// light lines, and region names where they fit inside their region.
func Render(m *Map, opts RenderOptions) (*image.RGBA, Grid) {
	g := LayoutGrid(m.Cells(), opts.Width, opts.MaxHeight)
	size := g.Size()
	legendH := 0
	if opts.Legend {
		legendH = 22
	}
	img := image.NewRGBA(image.Rect(0, 0, size.X, size.Y+legendH))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{24, 24, 28, 255}}, image.Point{}, draw.Src)
	owner := cellOwners(m)
	for i, e := range m.Entropy {
		fill(img, g.CellRect(i), EntropyColor(e))
	}
	drawBoundaries(img, g, owner)
	drawLabels(img, g, m, owner)
	if opts.Legend {
		drawLegend(img, image.Rect(0, size.Y, size.X, size.Y+legendH), m)
	}
	return img, g
}

// cellOwners gives each cell the index of the region holding its first byte.
func cellOwners(m *Map) []int {
	owner := make([]int, m.Cells())
	r := 0
	for i := range owner {
		start, _ := m.CellRange(i)
		for r < len(m.Regions)-1 && m.Regions[r].End <= start {
			r++
		}
		owner[i] = r
	}
	return owner
}

var boundary = color.RGBA{235, 235, 245, 255}

// drawBoundaries draws a line on every cell edge between two regions.
func drawBoundaries(img *image.RGBA, g Grid, owner []int) {
	if len(owner) == 0 || g.CellPx < 2 {
		return
	}
	for i := range owner {
		r := g.CellRect(i)
		right, below := i+1, i+g.Cols
		if (i+1)%g.Cols != 0 && right < len(owner) && owner[right] != owner[i] {
			fill(img, image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), boundary)
		}
		if below >= len(owner) || owner[below] != owner[i] { // the last cells close the bottom
			fill(img, image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), boundary)
		}
	}
}

// fill paints a rectangle straight into the pixels (draw.Draw with a
// Uniform source costs more per call than a small cell takes to fill).
func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for x := 0; x < len(row); x += 4 {
			row[x], row[x+1], row[x+2], row[x+3] = c.R, c.G, c.B, c.A
		}
	}
}

var face = basicfont.Face7x13

const (
	glyphW = 7
	textH  = 13
	labelH = textH + 2
)

// drawLabels names each region at the first place inside it where its
// name (or a shortened one) fits without covering another region. Where a
// layer's tensors are each too thin for a name, the layer ("blk.3") is
// named across them instead.
func drawLabels(img *image.RGBA, g Grid, m *Map, owner []int) {
	if len(owner) == 0 {
		return
	}
	firstCell := make([]int, len(m.Regions))
	for i := range firstCell {
		firstCell[i] = -1
	}
	for c := len(owner) - 1; c >= 0; c-- {
		firstCell[owner[c]] = c
	}
	labelled := make([]bool, len(m.Regions))
	for ri, reg := range m.Regions {
		if reg.Kind == KindPadding || firstCell[ri] < 0 {
			continue // padding: many tiny ones, the hover names them
		}
		labelled[ri] = placeLabel(img, g, owner, ri, ri, firstCell[ri], reg.Name, shorten(reg.Name))
	}
	// Layers: runs of regions named blk.N.*, padding between them included.
	for lo := 0; lo < len(m.Regions); {
		layer := layerOf(m.Regions[lo].Name)
		hi := lo
		for hi+1 < len(m.Regions) && (layerOf(m.Regions[hi+1].Name) == layer || m.Regions[hi+1].Kind == KindPadding) {
			hi++
		}
		any := false
		for i := lo; i <= hi; i++ {
			any = any || labelled[i]
		}
		if layer != "" && !any {
			first := -1
			for i := lo; i <= hi && first < 0; i++ {
				first = firstCell[i]
			}
			if first >= 0 {
				placeLabel(img, g, owner, lo, hi, first, layer, "")
			}
		}
		lo = hi + 1
	}
}

// placeLabel draws text (or the alternative) inside the cells owned by
// regions lo..hi, trying the first cell and then the start of the next
// rows. It reports whether a label was drawn.
func placeLabel(img *image.RGBA, g Grid, owner []int, lo, hi, first int, texts ...string) bool {
	in := func(c int) bool { return c < len(owner) && owner[c] >= lo && owner[c] <= hi }
	spots := []int{first}
	for c := (first/g.Cols + 1) * g.Cols; in(c) && len(spots) < 4; c += g.Cols {
		spots = append(spots, c)
	}
	for _, text := range texts {
		if text == "" {
			continue
		}
		for _, c := range spots {
			r := g.CellRect(c)
			box := image.Rect(r.Min.X+1, r.Min.Y+1, r.Min.X+1+len(text)*glyphW+4, r.Min.Y+1+labelH)
			if insideRegions(g, owner, lo, hi, box) {
				drawText(img, box, text)
				return true
			}
		}
	}
	return false
}

// layerOf is "blk.3" for "blk.3.attn_q.weight", else "".
func layerOf(name string) string {
	const blk = "blk."
	if len(name) <= len(blk) || name[:len(blk)] != blk {
		return ""
	}
	for i := len(blk); i < len(name); i++ {
		if name[i] == '.' {
			return name[:i]
		}
	}
	return ""
}

// shorten keeps what tells tensors apart: "blk.3.attn_q.weight" → "3.attn_q".
func shorten(name string) string {
	const blk, weight = "blk.", ".weight"
	s := name
	if len(s) > len(blk) && s[:len(blk)] == blk {
		s = s[len(blk):]
	}
	if len(s) > len(weight) && s[len(s)-len(weight):] == weight {
		s = s[:len(s)-len(weight)]
	}
	return s
}

// insideRegions reports whether every cell the box touches belongs to one
// of the regions lo..hi.
func insideRegions(g Grid, owner []int, lo, hi int, box image.Rectangle) bool {
	if box.Max.X > g.Cols*g.CellPx {
		return false
	}
	for y := box.Min.Y; y < box.Max.Y+g.CellPx-1; y += g.CellPx {
		yy := min(y, box.Max.Y-1)
		for x := box.Min.X; x < box.Max.X+g.CellPx-1; x += g.CellPx {
			xx := min(x, box.Max.X-1)
			c, ok := g.CellAt(xx, yy)
			if !ok || owner[c] < lo || owner[c] > hi {
				return false
			}
		}
	}
	return true
}

func drawText(img *image.RGBA, box image.Rectangle, text string) {
	draw.Draw(img, box, &image.Uniform{color.RGBA{0, 0, 0, 170}}, image.Point{}, draw.Over)
	d := font.Drawer{Dst: img, Src: image.White, Face: face,
		Dot: fixed.P(box.Min.X+2, box.Min.Y+1+face.Ascent)}
	d.DrawString(text)
}

func drawLegend(img *image.RGBA, r image.Rectangle, m *Map) {
	draw.Draw(img, r, &image.Uniform{color.RGBA{24, 24, 28, 255}}, image.Point{}, draw.Src)
	barW := min(160, r.Dx()/3)
	x0 := r.Min.X + 4 + 6*glyphW + 4
	for x := 0; x < barW; x++ {
		c := EntropyColor(float32(8 * float64(x) / float64(max(barW-1, 1))))
		draw.Draw(img, image.Rect(x0+x, r.Min.Y+5, x0+x+1, r.Max.Y-5), &image.Uniform{c}, image.Point{}, draw.Src)
	}
	d := font.Drawer{Dst: img, Src: image.White, Face: face}
	d.Dot = fixed.P(r.Min.X+4, r.Min.Y+15)
	d.DrawString("0 bits")
	d.Dot = fixed.P(x0+barW+6, r.Min.Y+15)
	d.DrawString(fmt.Sprintf("8 bits/byte   1 cell = %s   %d cells", units.IBytes(m.Chunk), m.Cells()))
}

// inferno is a perceptual scale from black (no entropy: zeros, padding)
// through purple and red (text, structure) to pale yellow (compressed or
// quantized weights).
var inferno = []color.RGBA{
	{0, 0, 4, 255}, {40, 11, 84, 255}, {101, 21, 110, 255}, {159, 42, 99, 255},
	{212, 72, 66, 255}, {245, 125, 21, 255}, {250, 193, 39, 255}, {252, 255, 164, 255},
}

// EntropyColor maps 0..8 bits per byte onto the scale.
func EntropyColor(bits float32) color.RGBA {
	t := min(max(float64(bits)/8, 0), 1) * float64(len(inferno)-1)
	i := min(int(t), len(inferno)-2)
	f := t - float64(i)
	a, b := inferno[i], inferno[i+1]
	mix := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*f + 0.5) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}
