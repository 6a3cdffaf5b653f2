package remote

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"burrow/inference"
)

func TestReadSSE(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		err      error
	}{
		{"openai", "data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n", []string{`{"a":1}`, `{"a":2}`}, nil},
		{"crlf, no space, comments, other fields", ": ping\r\nevent: x\r\nid: 3\r\ndata:{\"a\":1}\r\n\r\ndata: [DONE]\r\n\r\n", []string{`{"a":1}`}, nil},
		{"multi-line data", "data: {\"a\":\ndata: 1}\n\n", []string{"{\"a\":\n1}"}, io.ErrUnexpectedEOF},
		{"last event without blank line", "data: x\n\ndata: [DONE]", []string{"x"}, nil},
		{"cut off", "data: x\n\ndata: y", []string{"x", "y"}, io.ErrUnexpectedEOF},
		{"empty", "", nil, io.ErrUnexpectedEOF},
		{"stops at DONE", "data: [DONE]\n\ndata: late\n\n", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := readSSE(strings.NewReader(tt.in), func(d []byte) error { got = append(got, string(d)); return nil })
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestStopReasonOf(t *testing.T) {
	tests := []struct {
		finish         string
		maxTokens, gen int
		want           string
	}{
		{"stop", 0, 3, inference.StopEOS},
		{"length", 3, 3, inference.StopMaxTokens},
		{"length", 0, 3, inference.StopLength},
		{"length", 10, 3, inference.StopLength},
		{"content_filter", 0, 1, inference.StopEOS},
	}
	for _, tt := range tests {
		if got := stopReasonOf(tt.finish, tt.maxTokens, tt.gen); got != tt.want {
			t.Errorf("stopReasonOf(%q, %d, %d) = %q, want %q", tt.finish, tt.maxTokens, tt.gen, got, tt.want)
		}
	}
}
