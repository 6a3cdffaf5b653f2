package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadAttachment(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		return p
	}
	a, err := ReadAttachment(write("table.csv", []byte("\xef\xbb\xbfa,b\r\n1,2\r\n")))
	if err != nil || a.Name != "table.csv" || a.Text != "a,b\n1,2\n" {
		t.Fatalf("csv: %+v, %v", a, err)
	}
	if got := a.Block(); got != "File: table.csv\n```csv\na,b\n1,2\n```" {
		t.Errorf("block %q", got)
	}
	for name, data := range map[string][]byte{
		"image.png": {0x89, 'P', 'N', 'G', 0, 0, 0, 0},
		"bad.txt":   {'a', 0xff, 0xfe, 'b'},
		"nul.json":  []byte("{\"a\": \"\x00\"}"),
	} {
		if _, err := ReadAttachment(write(name, data)); !errors.Is(err, ErrNotText) || !strings.Contains(err.Error(), "“"+name+"” is not a text file") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ReadAttachment(dir); !errors.Is(err, ErrNotText) {
		t.Errorf("folder: %v", err)
	}
}

func TestComposeMessage(t *testing.T) {
	atts := []Attachment{{Name: "a.md", Text: "# Title\n"}, {Name: "b.py", Text: "print(1)"}}
	got := ComposeMessage("Compare them.", atts)
	want := "File: a.md\n```markdown\n# Title\n```\n\nFile: b.py\n```python\nprint(1)\n```\n\nCompare them."
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if ComposeMessage("hi", nil) != "hi" {
		t.Error("no attachments changed the text")
	}
	if got := (Attachment{Name: "x", Text: "````"}).Block(); got != "File: x\n`````\n````\n`````" {
		t.Errorf("a fence inside the file: %q", got)
	}
}

// tinyPDF is a one-page PDF that says "Burrow reads PDF text."
const tinyPDF = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
	"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" +
	"3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj\n" +
	"4 0 obj << /Length 44 >> stream\nBT /F1 12 Tf 72 720 Td (Burrow reads PDF text.) Tj ET\nendstream endobj\n" +
	"5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

func TestReadAttachmentPDF(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "paper.pdf")
	os.WriteFile(p, []byte(tinyPDF), 0o644)
	a, err := ReadAttachment(p)
	if err != nil {
		t.Fatal(err)
	}
	if a.Block() != "File: paper.pdf\n```\nBurrow reads PDF text.\n```" {
		t.Errorf("block %q", a.Block())
	}
	scan := filepath.Join(dir, "scan.pdf")
	os.WriteFile(scan, []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"), 0o644)
	if _, err := ReadAttachment(scan); err == nil || !strings.Contains(err.Error(), "“scan.pdf”: the PDF has no text to read") {
		t.Errorf("scan: %v", err)
	}
	fake := filepath.Join(dir, "fake.pdf")
	os.WriteFile(fake, []byte("just text"), 0o644)
	if _, err := ReadAttachment(fake); err == nil || !strings.Contains(err.Error(), "not a PDF file") {
		t.Errorf("fake: %v", err)
	}
}
