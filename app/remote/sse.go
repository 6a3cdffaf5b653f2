package remote

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
)

// errSSEDone stops readSSE at "data: [DONE]".
var errSSEDone = errors.New("sse: done")

// maxSSELine bounds one line of a stream, so a broken server cannot make
// the reader grow without end.
const maxSSELine = 4 << 20

// readSSE reads server-sent events from r, calling onData with each event's
// data (several data lines joined by "\n") until "[DONE]" or the end. Other
// fields (event, id, retry) and comments are skipped. A stream that ends
// without [DONE] returns io.ErrUnexpectedEOF.
func readSSE(r io.Reader, onData func([]byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxSSELine)
	var data []byte
	have := false
	dispatch := func() error {
		if !have {
			return nil
		}
		d := data
		data, have = data[:0], false
		if bytes.Equal(bytes.TrimSpace(d), []byte("[DONE]")) {
			return errSSEDone
		}
		return onData(d)
	}
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			if err := dispatch(); err != nil {
				return ignoreDone(err)
			}
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		if len(field) == 0 {
			continue // a comment (keep-alive)
		}
		if string(field) != "data" {
			continue
		}
		value = bytes.TrimPrefix(value, []byte(" "))
		if have {
			data = append(data, '\n')
		}
		data, have = append(data, value...), true
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("sse: read the stream: %w", err)
	}
	if err := dispatch(); err != nil { // a last event without its blank line
		return ignoreDone(err)
	}
	return io.ErrUnexpectedEOF
}

func ignoreDone(err error) error {
	if errors.Is(err, errSSEDone) {
		return nil
	}
	return err
}

// expLogprob turns a log-probability back into a probability.
func expLogprob(lp float64) float64 {
	if lp <= -9999 {
		return 0
	}
	return math.Exp(lp)
}
