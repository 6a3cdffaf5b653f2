package pdftext

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// pdf builds a file from object bodies (numbered from 1); a body may hold
// STREAM(data), written as a stream with its /Length.
func pdf(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	for i, o := range objs {
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

func stream(dictExtra string, data []byte) string {
	return fmt.Sprintf("<< /Length %d %s >>\nstream\n%s\nendstream", len(data), dictExtra, data)
}

func deflate(data []byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func TestExtractSimpleFont(t *testing.T) {
	content := []byte(`BT /F1 12 Tf 72 720 Td (Hello, \(PDF\) world!) Tj 0 -14 Td [(Two)-300(words) 20 (!)] TJ T* (caf\351 \2224\223) Tj ET`)
	data := pdf(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources << /Font << /F1 5 0 R >> >> >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
		stream("", content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Differences [146 /quoteright 147 /fi] >> >>",
	)
	got, err := Extract(data)
	if err != nil {
		t.Fatal(err)
	}
	want := "Hello, (PDF) world!\nTwo words!\ncafé ’4fi"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestExtractCompressedToUnicodeObjectStream(t *testing.T) {
	cmap := []byte(`/CIDInit /ProcSet findresource begin 12 dict begin begincmap
1 begincodespacerange <0000> <FFFF> endcodespacerange
2 beginbfchar <0003> <0020> <0010> <00E9> endbfchar
2 beginbfrange <0020> <0029> <0041> <0030> <0031> [<D83DDE00> <0021>] endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end`)
	// Page 2 comes first in the file, page 1 second: the page tree decides.
	page1 := deflate([]byte("BT /F2 10 Tf 1 0 0 1 50 700 Tm <00200021002200030010> Tj 1 0 0 1 50 680 Tm <00300031> Tj ET"))
	page2 := deflate([]byte("BT /F2 10 Tf 1 0 0 1 50 700 Tm <0029> Tj ET"))
	// The font dictionaries live in an object stream, as modern writers put them.
	packed := "7 0 << /Type /Font /Subtype /Type0 /BaseFont /ABC+Sans /Encoding /Identity-H /ToUnicode 8 0 R >>"
	header := "7 0 "
	objStm := deflate([]byte(header + packed[len(header):]))
	data := pdf(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R 3 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /Contents [5 0 R] /Resources << /Font << /F2 7 0 R >> >> >>",
		"<< /Type /Page /Parent 2 0 R /Contents 6 0 R /Resources << /Font << /F2 7 0 R >> >> >>",
		stream("/Filter /FlateDecode", page2),
		stream("/Filter [/FlateDecode]", page1),
		"null", // replaced by the object stream's 7 (a direct object of that number is "newer": so none here)
		stream("/Filter /FlateDecode", deflate(cmap)),
		stream(fmt.Sprintf("/Type /ObjStm /N 1 /First %d /Filter /FlateDecode", len(header)), objStm),
	)
	// Object 7 must come from the object stream only.
	data = bytes.Replace(data, []byte("7 0 obj\nnull\nendobj\n"), nil, 1)
	got, err := Extract(data)
	if err != nil {
		t.Fatal(err)
	}
	if want := "ABC é\n😀!\n\nJ"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestExtractRefusals(t *testing.T) {
	defer func(n int) { maxInflated = n }(maxInflated)
	maxInflated = 1 << 20
	picture := pdf("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] >>",
		"<< /Type /Page /Contents 4 0 R >>", stream("", []byte("q 100 0 0 100 0 0 cm /Im1 Do Q")))
	encrypted := append(pdf("<< /Type /Catalog >>"), []byte("trailer << /Encrypt 9 0 R >>")...)
	bomb := pdf("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] >>",
		"<< /Type /Page /Contents 4 0 R >>", stream("/Filter /FlateDecode", deflate(make([]byte, maxInflated+1))))
	for name, tc := range map[string]struct {
		data []byte
		want error
	}{
		"no text":   {picture, ErrNoText},
		"encrypted": {encrypted, ErrEncrypted},
		"not pdf":   {[]byte("PK\x03\x04 a zip"), ErrNotPDF},
		"bomb":      {bomb, ErrTooBig},
		"empty":     {[]byte("%PDF-1.4\n"), ErrNoText},
	} {
		if _, err := Extract(tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func TestHostileNesting(t *testing.T) {
	deep := pdf("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] >>",
		"<< /Type /Page /Contents 4 0 R /X "+strings.Repeat("[", 1_000_000)+" >>",
		stream("", []byte("BT (still read) Tj ET")))
	got, err := Extract(deep)
	if err != nil || got != "still read" {
		t.Fatalf("%q, %v", got, err)
	}
	// A page tree that loops.
	loop := pdf("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [2 0 R 3 0 R] >>",
		"<< /Type /Page /Contents 4 0 R >>", stream("", []byte("BT (once) Tj ET")))
	if got, err := Extract(loop); err != nil || got != "once" {
		t.Fatalf("loop: %q, %v", got, err)
	}
}

func FuzzExtract(f *testing.F) {
	f.Add(pdf("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] >>",
		"<< /Type /Page /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		stream("/Filter /FlateDecode", deflate([]byte("BT /F1 1 Tf (a\\101) Tj [(b) -300 <63>] TJ T* ET"))),
		"<< /Type /Font /ToUnicode 6 0 R >>",
		stream("", []byte("1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfrange <61> <63> <0041> endbfrange"))))
	f.Add([]byte("%PDF-1.0\n1 0 obj << /Type /ObjStm /N 5 /First 3 /Length 9 >> stream\n1 0 2 1 <<\nendstream"))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := Extract(data)
		if err == nil && (strings.TrimSpace(text) == "" || len(text) > maxText+(1<<16)) {
			t.Fatalf("accepted %d bytes of text", len(text))
		}
	})
}
