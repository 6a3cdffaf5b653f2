package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ardanlabs/jinja"
)

// maxJSONDepth bounds the nesting of JSON a template receives (tool
// schemas, call arguments), so a hostile request cannot exhaust the stack.
const maxJSONDepth = 64

// JSONValue turns JSON text into a template value as Python's json.loads
// would: objects keep their key order (tojson writes them back in it, as
// apply_chat_template does), integers stay integers.
func JSONValue(raw []byte) (jinja.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := jsonValue(dec, 0)
	if err != nil {
		return jinja.Undefined(), err
	}
	if _, err := dec.Token(); err == nil {
		return jinja.Undefined(), errors.New("chat: more than one JSON value")
	}
	return v, nil
}

func jsonValue(dec *json.Decoder, depth int) (jinja.Value, error) {
	if depth > maxJSONDepth {
		return jinja.Undefined(), fmt.Errorf("chat: JSON nested deeper than %d", maxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return jinja.Undefined(), err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			d := jinja.NewDict()
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return jinja.Undefined(), err
				}
				v, err := jsonValue(dec, depth+1)
				if err != nil {
					return jinja.Undefined(), err
				}
				d.AsDict().Set(k.(string), v)
			}
			_, err = dec.Token() // }
			return d, err
		case '[':
			var items []jinja.Value
			for dec.More() {
				v, err := jsonValue(dec, depth+1)
				if err != nil {
					return jinja.Undefined(), err
				}
				items = append(items, v)
			}
			_, err = dec.Token() // ]
			return jinja.NewList(items), err
		}
	case json.Number, string, bool, nil:
		return jinja.FromGoValue(t), nil
	}
	return jinja.Undefined(), fmt.Errorf("chat: unexpected JSON %v", tok)
}

// argumentsValue is a call's arguments for the template: the object when
// they are JSON, else the text as it came.
func argumentsValue(args string) jinja.Value {
	if v, err := JSONValue([]byte(args)); err == nil && strings.HasPrefix(strings.TrimSpace(args), "{") {
		return v
	}
	return jinja.NewString(args)
}

// tojson is HF's tojson filter (json.dumps with ensure_ascii off): keys in
// their order, Python's separators, indent and separators as asked. It
// replaces the library's, whose indented form sorts the keys as Go maps do
// (Llama 3.2's template writes tools with indent=4).
func tojson(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
	if len(args) == 0 {
		return jinja.NewString(""), nil
	}
	item, key := ", ", ": "
	indent := -1
	if v, ok := kwargs["indent"]; ok && v.IsInt() {
		indent, item = int(min(max(v.AsInt(), 0), 16)), ","
	}
	if v, ok := kwargs["separators"]; ok && v.IsList() {
		if seps := v.AsList().Items; len(seps) == 2 && seps[0].IsString() && seps[1].IsString() {
			item, key = seps[0].AsString(), seps[1].AsString()
		} else {
			return jinja.Undefined(), errors.New("tojson: separators must be two strings")
		}
	}
	var b bytes.Buffer
	if indent < 0 {
		if err := encodeOrdered(&b, args[0], item, key, 0); err != nil {
			return jinja.Undefined(), err
		}
		return jinja.NewString(b.String()), nil
	}
	if err := encodeOrdered(&b, args[0], ",", ":", 0); err != nil {
		return jinja.Undefined(), err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", strings.Repeat(" ", indent)); err != nil {
		return jinja.Undefined(), err
	}
	return jinja.NewString(out.String()), nil
}

func encodeOrdered(b *bytes.Buffer, v jinja.Value, item, key string, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("tojson: nested too deeply")
	}
	switch {
	case v.IsDict():
		d := v.AsDict()
		b.WriteByte('{')
		for i, k := range d.OrderedKeys() {
			if i > 0 {
				b.WriteString(item)
			}
			writeJSONString(b, k)
			b.WriteString(key)
			val, _ := d.Get(k)
			if err := encodeOrdered(b, val, item, key, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case v.IsList():
		b.WriteByte('[')
		for i, it := range v.AsList().Items {
			if i > 0 {
				b.WriteString(item)
			}
			if err := encodeOrdered(b, it, item, key, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case v.IsString():
		writeJSONString(b, v.AsString())
	case v.IsBool():
		b.WriteString(strconv.FormatBool(v.AsBool()))
	case v.IsInt():
		b.WriteString(strconv.FormatInt(v.AsInt(), 10))
	case v.IsFloat():
		f := v.AsFloat()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("tojson: cannot encode %v", f)
		}
		b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	default:
		b.WriteString("null")
	}
	return nil
}

// writeJSONString quotes s as Python's json.dumps does (no HTML escapes).
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode's newline
}
