package app

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"burrow/internal/pdftext"
	"burrow/internal/units"
)

// Attachment is a text file put into a message: its name, its text and how
// many tokens that text is (Exact false: an estimate, no local tokenizer).
type Attachment struct {
	Name   string
	Text   string
	Tokens int
	Exact  bool
}

// MaxAttachmentSize bounds a file read into a message: far more text than
// any context Burrow runs holds.
const MaxAttachmentSize = 4 << 20

// MaxPDFSize bounds a PDF file, whose text (pdftext) is what is attached.
const MaxPDFSize = 32 << 20

// ErrNotText is why a binary file is not attached.
var ErrNotText = errors.New("not a text file")

// ReadAttachment reads a text-like file (.txt, .md, source code, .csv,
// .json, …: any UTF-8 text without NUL bytes), or the text of a PDF. A binary file, a folder or a
// file past MaxAttachmentSize is refused with the reason.
func ReadAttachment(path string) (Attachment, error) {
	name := filepath.Base(path)
	st, err := os.Stat(path)
	if err != nil {
		return Attachment{}, fmt.Errorf("attach %s: %w", name, err)
	}
	if st.IsDir() {
		return Attachment{}, fmt.Errorf("“%s” is a folder: %w", name, ErrNotText)
	}
	isPDF := strings.EqualFold(filepath.Ext(name), ".pdf")
	limit := int64(MaxAttachmentSize)
	if isPDF {
		limit = MaxPDFSize // pictures and fonts make PDFs far bigger than their text
	}
	if st.Size() > limit {
		return Attachment{}, fmt.Errorf("“%s” is %s; a file put into a message can be at most %s",
			name, units.Bytes(st.Size()), units.Bytes(limit))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Attachment{}, fmt.Errorf("attach %s: %w", name, err)
	}
	if isPDF {
		text, err := pdftext.Extract(data)
		if err != nil {
			return Attachment{}, fmt.Errorf("“%s”: %w: nothing was added", name, err)
		}
		if len(text) > MaxAttachmentSize {
			return Attachment{}, fmt.Errorf("“%s” holds %s of text; a file put into a message can be at most %s",
				name, units.Bytes(int64(len(text))), units.Bytes(MaxAttachmentSize))
		}
		return Attachment{Name: name, Text: text}, nil
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return Attachment{}, fmt.Errorf("“%s” is %w: nothing was added", name, ErrNotText)
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	return Attachment{Name: name, Text: text}, nil
}

// Block is the attachment as the message carries it: its name, then its
// text fenced (with a fence longer than any backtick run inside, so the
// file cannot close it) and labelled with its language for code.
func (a Attachment) Block() string {
	fence := "```"
	for strings.Contains(a.Text, fence) {
		fence += "`"
	}
	return fmt.Sprintf("File: %s\n%s%s\n%s\n%s", a.Name, fence, fenceLang(a.Name), strings.TrimRight(a.Text, "\n"), fence)
}

// fenceLang is the Markdown info string for a file's extension.
func fenceLang(name string) string {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(name), "."))
	switch ext {
	case "", "txt", "text", "log", "pdf":
		return ""
	case "md", "markdown":
		return "markdown"
	case "py":
		return "python"
	case "js", "mjs", "cjs":
		return "javascript"
	case "ts", "tsx":
		return "typescript"
	case "rs":
		return "rust"
	case "rb":
		return "ruby"
	case "sh", "bash", "zsh":
		return "sh"
	case "yml":
		return "yaml"
	case "h", "hpp", "cc", "cpp", "cxx":
		return "cpp"
	}
	return ext // go, json, csv, c, java, html, css, sql, toml, yaml…
}

// ComposeMessage is what is sent: the attachments, each a fenced block with
// its name, then what was typed.
func ComposeMessage(text string, atts []Attachment) string {
	if len(atts) == 0 {
		return text
	}
	parts := make([]string, 0, len(atts)+1)
	for _, a := range atts {
		parts = append(parts, a.Block())
	}
	if strings.TrimSpace(text) != "" {
		parts = append(parts, text)
	}
	return strings.Join(parts, "\n\n")
}

// CountTokens counts text as the loaded local model reads it (exact), or
// estimates it at four bytes a token when no local tokenizer is at hand
// (a remote model, none loaded).
func (c *Controller) CountTokens(text string) (n int, exact bool) {
	if v := c.Vocab(); v != nil && v.Tok != nil {
		return len(v.Tok.Encode(text, false, false)), true
	}
	return (len(text) + 3) / 4, false
}
