// Package pdftext pulls the text out of a PDF file, in pure Go, for a chat
// attachment: the words in reading order as the file draws them, not the
// layout. It reads plain and compressed (Flate) content and object streams,
// fonts' ToUnicode maps and simple encodings; it refuses encrypted files and
// says so when a file has no text (a scan). Hostile files are bounded: the
// nesting of values, the bytes decompressed and the text kept.
package pdftext

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"io"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors callers may show as they are.
var (
	ErrNotPDF    = errors.New("not a PDF file")
	ErrEncrypted = errors.New("the PDF is encrypted: its text cannot be read")
	ErrNoText    = errors.New("the PDF has no text to read (a scan or pictures only)")
	ErrTooBig    = errors.New("the PDF unpacks to more than Burrow reads")
)

// Limits on what one file may cost.
const (
	maxText  = 8 << 20 // bytes of text kept
	maxPages = 100_000
)

// maxInflated is how many bytes one file may decompress to in all (a
// variable so the bomb test need not make 64 MB).
var maxInflated = 64 << 20

// Extract returns the text of a PDF, pages separated by a blank line.
func Extract(data []byte) (string, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n\x00"), []byte("%PDF-")) {
		return "", ErrNotPDF
	}
	if bytes.Contains(data, []byte("/Encrypt")) {
		return "", ErrEncrypted
	}
	d := &doc{data: data, objs: map[int]*object{}, budget: maxInflated}
	d.scan()
	if d.tooBig {
		return "", ErrTooBig
	}
	var out strings.Builder
	for _, pg := range d.pages() {
		if out.Len() > 0 {
			out.WriteString("\n\n")
		}
		d.pageText(pg, &out)
		if out.Len() > maxText {
			break
		}
		if d.tooBig {
			return "", ErrTooBig
		}
	}
	text := tidy(out.String())
	if strings.TrimSpace(text) == "" {
		return "", ErrNoText
	}
	return text, nil
}

type object struct {
	val    any
	stream []byte // raw, when the object is a stream
	isStrm bool
}

type doc struct {
	data   []byte
	objs   map[int]*object
	budget int
	tooBig bool
	fonts  map[ref]*font
}

var objRE = regexp.MustCompile(`(\d+)\s+(\d+)\s+obj\b`)

// scan finds every "N G obj" in the file (later ones win, as incremental
// updates mean), then the objects packed in object streams. The
// cross-reference table is not needed for that, and damaged files often
// have a wrong one.
func (d *doc) scan() {
	for _, m := range objRE.FindAllSubmatchIndex(d.data, -1) {
		num, err := strconv.Atoi(string(d.data[m[2]:m[3]]))
		if err != nil {
			continue
		}
		l := &lexer{b: d.data, pos: m[1]}
		o := &object{val: l.value(l.next(), 0)}
		l.skip()
		if bytes.HasPrefix(d.data[l.pos:], []byte("stream")) {
			o.isStrm = true
			o.stream = d.streamAt(l.pos+len("stream"), o.val)
		}
		d.objs[num] = o
	}
	var packs []int
	for num, o := range d.objs {
		if dv, ok := o.val.(dict); ok && o.isStrm && dv["Type"] == name("ObjStm") {
			packs = append(packs, num)
		}
	}
	sort.Ints(packs)
	for _, num := range packs {
		d.unpack(d.objs[num])
	}
}

// streamAt cuts a stream's raw bytes: /Length when it is a direct number
// that fits, else up to "endstream".
func (d *doc) streamAt(pos int, v any) []byte {
	if pos < len(d.data) && d.data[pos] == '\r' {
		pos++
	}
	if pos < len(d.data) && d.data[pos] == '\n' {
		pos++
	}
	if pos > len(d.data) {
		return nil
	}
	if dv, ok := v.(dict); ok {
		if n, ok := dv["Length"].(float64); ok && n >= 0 && pos+int(n) <= len(d.data) {
			rest := bytes.TrimLeft(d.data[pos+int(n):], "\r\n \t")
			if bytes.HasPrefix(rest, []byte("endstream")) {
				return d.data[pos : pos+int(n)]
			}
		}
	}
	end := bytes.Index(d.data[pos:], []byte("endstream"))
	if end < 0 {
		return d.data[pos:]
	}
	return bytes.TrimRight(d.data[pos:pos+end], "\r\n")
}

// unpack reads the objects of an object stream (§7.5.7).
func (d *doc) unpack(o *object) {
	dv := o.val.(dict)
	body := d.decode(o)
	n, _ := dv["N"].(float64)
	first, _ := dv["First"].(float64)
	if body == nil || n <= 0 || first < 0 || int(first) > len(body) {
		return
	}
	l := &lexer{b: body[:int(first)]}
	type entry struct{ num, off int }
	var entries []entry
	for i := 0; i < int(n) && i < 1<<20; i++ {
		a, b := l.next(), l.next()
		if a.k != kNum || b.k != kNum {
			break
		}
		entries = append(entries, entry{int(a.num), int(b.num)})
	}
	for _, e := range entries {
		at := int(first) + e.off
		if e.off < 0 || at >= len(body) {
			continue
		}
		if _, ok := d.objs[e.num]; ok {
			continue // a direct object of that number is newer
		}
		vl := &lexer{b: body, pos: at}
		d.objs[e.num] = &object{val: vl.value(vl.next(), 0)}
	}
}

// resolve follows references (a chain of them at most a few long).
func (d *doc) resolve(v any) any {
	for i := 0; i < 8; i++ {
		r, ok := v.(ref)
		if !ok {
			return v
		}
		o := d.objs[r.num]
		if o == nil {
			return nil
		}
		v = o.val
	}
	return nil
}

func (d *doc) dictOf(v any) dict {
	dv, _ := d.resolve(v).(dict)
	return dv
}

// decode unpacks a stream's filters; nil for a filter it does not read
// (images: DCT, JBIG2…), which never hold text.
func (d *doc) decode(o *object) []byte {
	dv, _ := o.val.(dict)
	var filters []any
	switch f := d.resolve(dv["Filter"]).(type) {
	case name:
		filters = []any{f}
	case []any:
		filters = f
	}
	data := o.stream
	for _, f := range filters {
		switch d.resolve(f) {
		case name("FlateDecode"), name("Fl"):
			data = d.inflate(data)
		default:
			return nil
		}
		if data == nil {
			return nil
		}
	}
	return data
}

func (d *doc) inflate(b []byte) []byte {
	var r io.Reader
	if zr, err := zlib.NewReader(bytes.NewReader(b)); err == nil {
		r = zr
	} else if len(b) > 2 {
		r = flate.NewReader(bytes.NewReader(b[2:]))
	} else {
		return nil
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(d.budget)+1))
	if len(out) > d.budget {
		d.tooBig = true
		return nil
	}
	d.budget -= len(out)
	if err != nil && len(out) == 0 {
		return nil
	}
	return out // a truncated stream still gives what it had
}

// page is a leaf of the page tree: its content streams and resources.
type page struct {
	contents  any
	resources dict
}

// pages walks the page tree from the catalog, in order; a file without a
// usable tree gives its page objects in number order.
func (d *doc) pages() []page {
	var out []page
	seen := map[ref]bool{}
	var walk func(v any, res dict, depth int)
	walk = func(v any, res dict, depth int) {
		if r, ok := v.(ref); ok {
			if seen[r] {
				return
			}
			seen[r] = true
		}
		node := d.dictOf(v)
		if node == nil || depth > maxDepth || len(out) >= maxPages {
			return
		}
		if r := d.dictOf(node["Resources"]); r != nil {
			res = r // inherited by the kids unless they have their own
		}
		if kids, ok := d.resolve(node["Kids"]).([]any); ok {
			for _, k := range kids {
				walk(k, res, depth+1)
			}
			return
		}
		if node["Type"] == name("Page") || node["Contents"] != nil {
			out = append(out, page{contents: node["Contents"], resources: res})
		}
	}
	for _, num := range d.sortedNums() {
		if dv, ok := d.objs[num].val.(dict); ok && dv["Type"] == name("Catalog") {
			walk(dv["Pages"], nil, 0)
			if len(out) > 0 {
				return out
			}
		}
	}
	for _, num := range d.sortedNums() {
		if dv, ok := d.objs[num].val.(dict); ok && dv["Type"] == name("Page") {
			out = append(out, page{contents: dv["Contents"], resources: d.dictOf(dv["Resources"])})
		}
	}
	return out
}

func (d *doc) sortedNums() []int {
	return slices.Sorted(maps.Keys(d.objs))
}

// content is a page's content streams joined.
func (d *doc) content(v any) []byte {
	var parts [][]byte
	add := func(x any) {
		if r, ok := x.(ref); ok {
			if o := d.objs[r.num]; o != nil && o.isStrm {
				if b := d.decode(o); b != nil {
					parts = append(parts, b)
				}
			}
		}
	}
	switch c := d.resolve(v).(type) {
	case []any:
		for _, x := range c {
			add(x)
		}
	default:
		add(v)
	}
	return bytes.Join(parts, []byte("\n"))
}

// pageText runs a page's text operators (§9.4) into out.
func (d *doc) pageText(pg page, out *strings.Builder) {
	fonts := d.dictOf(pg.resources["Font"])
	var f *font
	l := &lexer{b: d.content(pg.contents)}
	var ops []any
	lastY, haveY := 0.0, false
	newline := func() {
		if s := out.String(); out.Len() > 0 && !strings.HasSuffix(s, "\n") {
			out.WriteByte('\n')
		}
	}
	space := func() {
		if s := out.String(); out.Len() > 0 && !strings.HasSuffix(s, " ") && !strings.HasSuffix(s, "\n") {
			out.WriteByte(' ')
		}
	}
	show := func(s any) {
		if str, ok := s.(string); ok {
			out.WriteString(f.text([]byte(str)))
		}
	}
	num := func(i int) float64 {
		if i < len(ops) {
			n, _ := ops[i].(float64)
			return n
		}
		return 0
	}
	for out.Len() <= maxText {
		t := l.next()
		if t.k == kEOF {
			return
		}
		if t.k != kWord {
			if len(ops) < 64 {
				ops = append(ops, l.value(t, 0))
			}
			continue
		}
		switch string(t.s) {
		case "Tf":
			if len(ops) > 0 {
				if n, ok := ops[0].(name); ok {
					f = d.font(fonts[string(n)])
				}
			}
		case "Tj":
			if len(ops) > 0 {
				show(ops[len(ops)-1])
			}
		case "'", "\"":
			newline()
			if len(ops) > 0 {
				show(ops[len(ops)-1])
			}
		case "TJ":
			if len(ops) > 0 {
				arr, _ := ops[len(ops)-1].([]any)
				for _, x := range arr {
					if n, ok := x.(float64); ok {
						if n < -180 { // a gap wider than a thin space: a word break
							space()
						}
						continue
					}
					show(x)
				}
			}
		case "Td", "TD":
			if num(1) != 0 {
				newline()
			} else if num(0) > 0 {
				space()
			}
		case "T*":
			newline()
		case "Tm":
			if y := num(5); haveY && y != lastY {
				newline()
			} else if haveY {
				space()
			}
			lastY, haveY = num(5), true
		case "ET":
			space()
		case "BI": // an inline image: its data is not syntax
			if i := bytes.Index(l.b[l.pos:], []byte("EI")); i >= 0 {
				l.pos += i + 2
			} else {
				l.pos = len(l.b)
			}
		}
		ops = ops[:0]
	}
}

// tidy trims each line and keeps at most one blank line in a row.
func tidy(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n")
	var out []string
	blank := 0
	for _, ln := range lines {
		ln = strings.Join(strings.Fields(ln), " ")
		if ln == "" {
			if blank++; blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, ln)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// font turns a font's codes into text: through its ToUnicode map when it
// has one, else its simple encoding (Differences over Latin-1).
type font struct {
	cmap    map[string]string // code bytes → text
	codeLen int               // bytes per code in cmap (1 or 2)
	diffs   map[byte]string
	cid     bool // a composite font without ToUnicode: codes are glyph ids
}

func (d *doc) font(v any) *font {
	r, isRef := v.(ref)
	if isRef {
		if d.fonts == nil {
			d.fonts = map[ref]*font{}
		}
		if f, ok := d.fonts[r]; ok {
			return f
		}
	}
	f := &font{codeLen: 1}
	fd := d.dictOf(v)
	if fd != nil {
		if tu, ok := fd["ToUnicode"].(ref); ok {
			if o := d.objs[tu.num]; o != nil && o.isStrm {
				f.cmap, f.codeLen = parseCMap(d.decode(o))
			}
		}
		if fd["Subtype"] == name("Type0") && f.cmap == nil {
			f.cid = true
		}
		if enc := d.dictOf(fd["Encoding"]); enc != nil {
			if diffs, ok := d.resolve(enc["Differences"]).([]any); ok {
				f.diffs = map[byte]string{}
				code := 0
				for _, x := range diffs {
					switch x := x.(type) {
					case float64:
						code = int(x)
					case name:
						if code >= 0 && code < 256 {
							f.diffs[byte(code)] = glyphText(string(x))
						}
						code++
					}
				}
			}
		}
	}
	if isRef {
		d.fonts[r] = f
	}
	return f
}

func (f *font) text(b []byte) string {
	if f == nil {
		f = &font{codeLen: 1}
	}
	var out strings.Builder
	if f.cmap != nil {
		for i := 0; i < len(b); {
			n := min(f.codeLen, len(b)-i)
			if s, ok := f.cmap[string(b[i:i+n])]; ok {
				out.WriteString(s)
			} else if n != 1 {
				if s, ok := f.cmap[string(b[i:i+1])]; ok { // a one-byte code in a mixed map
					out.WriteString(s)
					i++
					continue
				}
			}
			i += n
		}
		return out.String()
	}
	if f.cid {
		return "" // glyph ids with no map to text
	}
	for _, c := range b {
		if s, ok := f.diffs[c]; ok {
			out.WriteString(s)
			continue
		}
		switch {
		case c == '\t' || c == '\n' || c == '\r':
			out.WriteByte(' ')
		case c < 32:
		case c >= 128 && c < 160:
			if r := winAnsi[c-128]; r != 0 {
				out.WriteRune(r)
			}
		default:
			out.WriteRune(rune(c)) // Latin-1, which WinAnsi and PDFDoc agree with
		}
	}
	return out.String()
}

// winAnsi is WinAnsiEncoding's 0x80-0x9F.
var winAnsi = [32]rune{'€', 0, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0, 'Ž', 0,
	0, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0, 'ž', 'Ÿ'}

// glyphText is the text of a glyph name (the Adobe names fonts use most).
func glyphText(g string) string {
	if utf8.RuneCountInString(g) == 1 {
		return g
	}
	if strings.HasPrefix(g, "uni") && len(g) == 7 {
		if n, err := strconv.ParseUint(g[3:], 16, 32); err == nil {
			return string(rune(n))
		}
	}
	if s, ok := glyphNames[g]; ok {
		return s
	}
	return ""
}

var glyphNames = map[string]string{
	"space": " ", "fi": "fi", "fl": "fl", "ff": "ff", "ffi": "ffi", "ffl": "ffl",
	"quoteright": "’", "quoteleft": "‘", "quotedblleft": "“", "quotedblright": "”",
	"quotesingle": "'", "quotedbl": "\"", "endash": "–", "emdash": "—", "bullet": "•",
	"hyphen": "-", "minus": "−", "period": ".", "comma": ",", "colon": ":", "semicolon": ";",
	"exclam": "!", "question": "?", "parenleft": "(", "parenright": ")", "bracketleft": "[",
	"bracketright": "]", "slash": "/", "ellipsis": "…", "zero": "0", "one": "1", "two": "2",
	"three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
	"ampersand": "&", "percent": "%", "dollar": "$", "numbersign": "#", "at": "@", "plus": "+",
	"equal": "=", "less": "<", "greater": ">", "underscore": "_", "asterisk": "*",
	"dieresis": "¨", "acute": "´", "grave": "`", "circumflex": "^", "tilde": "~", "dotlessi": "ı",
}

// parseCMap reads a ToUnicode map's bfchar and bfrange entries (§9.10.3).
func parseCMap(b []byte) (map[string]string, int) {
	m := map[string]string{}
	codeLen := 0
	l := &lexer{b: b}
	var ops []token
	utf16 := func(s []byte) string {
		var rs []rune
		for i := 0; i+1 < len(s); i += 2 {
			u := rune(s[i])<<8 | rune(s[i+1])
			if u >= 0xD800 && u < 0xDC00 && i+3 < len(s) {
				lo := rune(s[i+2])<<8 | rune(s[i+3])
				u = (u-0xD800)<<10 + (lo - 0xDC00) + 0x10000
				i += 2
			}
			rs = append(rs, u)
		}
		return string(rs)
	}
	for len(m) < 1<<20 {
		t := l.next()
		if t.k == kEOF {
			break
		}
		if t.k == kArrOpen { // a bfrange's list of targets
			var items [][]byte
			for {
				x := l.next()
				if x.k == kArrClose || x.k == kEOF {
					break
				}
				items = append(items, x.s)
			}
			ops = append(ops, token{k: kArrOpen, s: nil, num: float64(len(items))})
			for _, it := range items {
				ops = append(ops, token{k: kStr, s: it})
			}
			ops = append(ops, token{k: kArrClose})
			continue
		}
		if t.k != kWord {
			if len(ops) < 1<<16 {
				ops = append(ops, t)
			}
			continue
		}
		switch string(t.s) {
		case "endcodespacerange":
			if len(ops) > 0 && codeLen == 0 {
				codeLen = len(ops[0].s)
			}
		case "endbfchar":
			for i := 0; i+1 < len(ops); i += 2 {
				m[string(ops[i].s)] = utf16(ops[i+1].s)
			}
		case "endbfrange":
			for i := 0; i+2 < len(ops); {
				lo, hi := ops[i].s, ops[i+1].s
				if ops[i+2].k == kArrOpen {
					n := int(ops[i+2].num)
					for k := 0; k < n && i+3+k < len(ops); k++ {
						m[string(codeAdd(lo, k))] = utf16(ops[i+3+k].s)
					}
					i += 3 + n + 1
					continue
				}
				dst := ops[i+2].s
				count := codeInt(hi) - codeInt(lo)
				for k := 0; k <= count && k < 1<<16; k++ {
					m[string(codeAdd(lo, k))] = utf16(codeAdd(dst, k))
				}
				i += 3
			}
		}
		ops = ops[:0]
	}
	if codeLen < 1 || codeLen > 4 {
		codeLen = 1
		for k := range m {
			codeLen = max(codeLen, min(len(k), 4))
		}
	}
	return m, codeLen
}

func codeInt(b []byte) int {
	n := 0
	for _, c := range b {
		n = n<<8 | int(c)
	}
	return n
}

// codeAdd is the big-endian code b plus k, in as many bytes as b.
func codeAdd(b []byte, k int) []byte {
	out := append([]byte(nil), b...)
	carry := k
	for i := len(out) - 1; i >= 0 && carry > 0; i-- {
		s := int(out[i]) + carry
		out[i] = byte(s)
		carry = s >> 8
	}
	return out
}
