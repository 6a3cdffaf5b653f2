package toolcall

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Gemma 4's call markup: <|tool_call>call:NAME{key:value,...}<tool_call|>,
// strings quoted by <|"|>, keys bare, numbers and true/false as written.
const (
	g4Open  = "<|tool_call>"
	g4Close = "<tool_call|>"
	g4Quote = `<|"|>`
	g4Resp  = "<|tool_response>" // the template opens the response after a call
)

// g4MaxDepth bounds the nesting of a call's arguments.
const g4MaxDepth = 64

func parseGemma4(text string) (string, []Call, error) {
	return taggedCalls(text, g4Open, g4Resp, func(body string) (Call, string, error) {
		body, ok := strings.CutPrefix(body, "call:")
		if !ok {
			return Call{}, "", errors.New("toolcall: <|tool_call> without call:")
		}
		brace := strings.IndexByte(body, '{')
		if brace < 0 {
			return Call{}, "", errors.New("toolcall: a Gemma 4 call without arguments")
		}
		name := strings.TrimSpace(body[:brace])
		if name == "" {
			return Call{}, "", errors.New("toolcall: a call without a name")
		}
		p := &g4Parser{s: body[brace:]}
		var args bytes.Buffer
		if err := p.object(&args, 0); err != nil {
			return Call{}, "", fmt.Errorf("toolcall: %s's arguments: %w", name, err)
		}
		return Call{Name: name, Arguments: args.String()}, strings.TrimPrefix(strings.TrimSpace(p.s), g4Close), nil
	})
}

// g4Parser reads Gemma 4's argument syntax from s, writing it as JSON.
type g4Parser struct{ s string }

func (p *g4Parser) object(out *bytes.Buffer, depth int) error {
	if depth > g4MaxDepth {
		return errors.New("nested too deeply")
	}
	p.s = strings.TrimPrefix(p.s, "{")
	out.WriteByte('{')
	return p.list(out, '}', func() error {
		var key string
		if rest, ok := strings.CutPrefix(p.s, g4Quote); ok {
			k, after, ok := strings.Cut(rest, g4Quote)
			if !ok {
				return errors.New("an unclosed key")
			}
			key, p.s = k, after
		} else {
			j := strings.IndexByte(p.s, ':')
			if j <= 0 {
				return fmt.Errorf("expected key: at %.20q", p.s)
			}
			key, p.s = strings.TrimSpace(p.s[:j]), p.s[j:]
		}
		if !strings.HasPrefix(p.s, ":") {
			return fmt.Errorf("expected : after key %q", key)
		}
		p.s = p.s[1:]
		kj, _ := json.Marshal(key)
		out.Write(kj)
		out.WriteByte(':')
		return p.value(out, depth+1)
	})
}

// list reads the comma-separated items of an object or array (its opening
// already read) up to end, writing the commas and end; item reads one.
func (p *g4Parser) list(out *bytes.Buffer, end byte, item func() error) error {
	for n := 0; ; n++ {
		p.s = strings.TrimLeft(p.s, " \n")
		if p.s != "" && p.s[0] == end {
			p.s = p.s[1:]
			out.WriteByte(end)
			return nil
		}
		if n > 0 {
			if !strings.HasPrefix(p.s, ",") {
				return fmt.Errorf("expected , or %c at %.20q", end, p.s)
			}
			p.s = strings.TrimLeft(p.s[1:], " \n")
			out.WriteByte(',')
		}
		if err := item(); err != nil {
			return err
		}
	}
}

func (p *g4Parser) value(out *bytes.Buffer, depth int) error {
	if depth > g4MaxDepth {
		return errors.New("nested too deeply")
	}
	p.s = strings.TrimLeft(p.s, " \n")
	switch {
	case p.s == "":
		return errors.New("the arguments end early")
	case strings.HasPrefix(p.s, g4Quote):
		v, after, ok := strings.Cut(p.s[len(g4Quote):], g4Quote)
		if !ok {
			return errors.New("an unclosed string")
		}
		b, _ := json.Marshal(v)
		out.Write(b)
		p.s = after
		return nil
	case p.s[0] == '{':
		return p.object(out, depth)
	case p.s[0] == '[':
		p.s = p.s[1:]
		out.WriteByte('[')
		return p.list(out, ']', func() error { return p.value(out, depth+1) })
	}
	// A bare word: a number, true/false, None; anything else as a string.
	end := strings.IndexAny(p.s, ",}]")
	if end < 0 {
		return errors.New("the arguments end early")
	}
	word := strings.TrimSpace(p.s[:end])
	p.s = p.s[end:]
	switch {
	case word == "None" || word == "null":
		out.WriteString("null")
	case word == "true" || word == "false":
		out.WriteString(word)
	case word != "" && word[0] != '"' && json.Valid([]byte(word)):
		out.WriteString(word)
	default:
		b, _ := json.Marshal(word)
		out.Write(b)
	}
	return nil
}
