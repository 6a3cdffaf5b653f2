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
