package grammar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// ErrSchema wraps every error about a JSON Schema.
var ErrSchema = errors.New("json schema")

const (
	maxSchemaBytes = 1 << 20
	maxSchemaDepth = 128
)

// AnyJSON is a GBNF grammar for any JSON value (response_format
// json_object), in the style of the JSON Schema grammars.
var AnyJSON = func() string {
	c := newConv(nil)
	c.anyValue()
	c.rules["root"] = "value"
	c.order = append([]string{"root"}, c.order...)
	return c.text()
}()

// FromJSONSchema converts a JSON Schema to a GBNF grammar whose every match
// is a JSON text that validates against the schema. Supported: type (and
// type lists), properties with required and optional ones kept in their
// order, additionalProperties, items, prefixItems, minItems/maxItems,
// enum, const, minLength/maxLength, pattern (the regular expressions Go
// and ECMA-262 share), the date, time, date-time and uuid formats,
// integer minimum/maximum, anyOf/oneOf, a one-element allOf, and $ref
// into $defs or definitions. Keywords that would need more (numeric
// ranges on numbers, uniqueItems, ...) are refused with an error rather
// than ignored. oneOf is taken as anyOf: when its branches overlap, a
// value may fit more than one.
func FromJSONSchema(schema []byte) (string, error) {
	if len(schema) > maxSchemaBytes {
		return "", fmt.Errorf("%w: the schema is %d bytes, at most %d are allowed", ErrSchema, len(schema), maxSchemaBytes)
	}
	root, err := parseJSON(schema)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrSchema, err)
	}
	c := newConv(root)
	body, err := c.visit(root, "root", 0, "#")
	if err != nil {
		return "", err
	}
	c.rules["root"] = body
	c.order = append([]string{"root"}, c.order...)
	return c.text(), nil
}

// jv is a JSON value that keeps the order of object keys (properties are
// generated in the order the schema lists them).
type jv struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	keys []string
	vals []*jv
	str  string // string, or a number's text
	b    bool
}

func (v *jv) get(k string) *jv {
	if v == nil || v.kind != 'o' {
		return nil
	}
	for i, key := range v.keys {
		if key == k {
			return v.vals[i]
		}
	}
	return nil
}

func parseJSON(data []byte) (*jv, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := decodeJV(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("text after the schema")
	}
	return v, nil
}

func decodeJV(d *json.Decoder, depth int) (*jv, error) {
	if depth > maxSchemaDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxSchemaDepth)
	}
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &jv{kind: 'o'}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				val, err := decodeJV(d, depth+1)
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, k)
				v.vals = append(v.vals, val)
			}
			_, err := d.Token()
			return v, err
		case '[':
			v := &jv{kind: 'a'}
			for d.More() {
				val, err := decodeJV(d, depth+1)
				if err != nil {
					return nil, err
				}
				v.vals = append(v.vals, val)
			}
			_, err := d.Token()
			return v, err
		}
	case string:
		return &jv{kind: 's', str: t}, nil
	case json.Number:
		return &jv{kind: 'n', str: t.String()}, nil
	case bool:
		return &jv{kind: 'b', b: t}, nil
	case nil:
		return &jv{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected %v", t)
}

func (v *jv) text() string {
	var b strings.Builder
	v.encode(&b)
	return b.String()
}

// encode writes v as compact JSON (the text enum and const values must
// produce).
func (v *jv) encode(b *strings.Builder) {
	switch v.kind {
	case 'o':
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			v.vals[i].encode(b)
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, x := range v.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			x.encode(b)
		}
		b.WriteByte(']')
	case 's':
		writeJSONString(b, v.str)
	case 'n':
		b.WriteString(v.str)
	case 'b':
		b.WriteString(strconv.FormatBool(v.b))
	case 'z':
		b.WriteString("null")
	}
}

func writeJSONString(b *strings.Builder, s string) {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	_ = e.Encode(s)
	b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// literal is s as a GBNF string literal.
func literal(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

type conv struct {
	root   *jv
	rules  map[string]string // name -> body
	order  []string
	byBody map[string]string // body -> name, to share equal rules
	refs   map[string]string // $ref -> rule name
}

func newConv(root *jv) *conv {
	return &conv{root: root, rules: map[string]string{}, byBody: map[string]string{}, refs: map[string]string{}}
}

func (c *conv) text() string {
	var b strings.Builder
	for _, n := range c.order {
		fmt.Fprintf(&b, "%s ::= %s\n", n, c.rules[n])
	}
	return b.String()
}

// add defines a rule with a name derived from hint and returns its name;
// an equal body defined before is reused.
func (c *conv) add(hint, body string) string {
	if n, ok := c.byBody[body]; ok {
		return n
	}
	name := sanitize(hint)
	for i := 1; ; i++ {
		if _, taken := c.rules[name]; !taken && name != "root" {
			break
		}
		name = fmt.Sprintf("%s-%d", sanitize(hint), i)
	}
	c.rules[name] = body
	c.order = append(c.order, name)
	c.byBody[body] = name
	return name
}

// fixed defines one of the shared rules (space, string, ...) once.
func (c *conv) fixed(name, body string) string {
	if _, ok := c.rules[name]; !ok {
		c.rules[name] = body
		c.order = append(c.order, name)
	}
	return name
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && isWordChar(byte(r)) && r != '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "r"
	}
	return b.String()
}

func (c *conv) space() string {
	// At most one newline and a bounded indent, so whitespace cannot run
	// on forever.
	return c.fixed("space", `| " " | "\n" [ \t]{0,20}`)
}

func (c *conv) char() string {
	return c.fixed("char", `[^"\\\x7F\x00-\x1F] | [\\] (["\\/bfnrt] | "u" [0-9a-fA-F]{4})`)
}

func (c *conv) str() string {
	c.char()
	return c.fixed("string", `"\"" char* "\"" space`)
}

func (c *conv) number() string {
	c.space()
	c.fixed("integral-part", `[0] | [1-9] [0-9]{0,15}`)
	c.fixed("decimal-part", `[0-9]{1,16}`)
	return c.fixed("number", `("-"? integral-part) ("." decimal-part)? ([eE] [-+]? [0-9]{1,2})? space`)
}

func (c *conv) integer() string {
	c.space()
	c.fixed("integral-part", `[0] | [1-9] [0-9]{0,15}`)
	return c.fixed("integer", `("-"? integral-part) space`)
}

func (c *conv) boolean() string { c.space(); return c.fixed("boolean", `("true" | "false") space`) }
func (c *conv) null() string    { c.space(); return c.fixed("null", `"null" space`) }

func (c *conv) anyValue() string {
	c.space()
	c.str()
	c.number()
	c.boolean()
	c.null()
	c.fixed("object", `"{" space (string ":" space value ("," space string ":" space value)*)? "}" space`)
	c.fixed("array", `"[" space (value ("," space value)*)? "]" space`)
	return c.fixed("value", `object | array | string | number | boolean | null`)
}

// formats of strings the grammar can follow exactly. Days stop at 28 so
// every date is a real one.
var formats = map[string]string{
	"date":      fmtDate,
	"time":      fmtTime,
	"date-time": fmtDate + ` "T" ` + fmtTime,
	"uuid":      `[0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12}`,
}

const (
	fmtDate = `[0-9]{4} "-" ("0" [1-9] | "1" [0-2]) "-" ("0" [1-9] | "1" [0-9] | "2" [0-8])`
	fmtTime = `([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]{1,6})? ("Z" | [+-] ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9])`
)

// unsupported keywords: refusing them keeps every output valid.
var unsupported = []string{
	"patternProperties", "multipleOf", "uniqueItems", "contains", "minContains", "maxContains", "minProperties",
	"maxProperties", "not", "if", "then", "else", "dependentRequired", "dependentSchemas",
	"propertyNames", "unevaluatedProperties", "unevaluatedItems",
}

// typeKinds gives the value kind of each "type" name (an integer is a
// number that is whole).
var typeKinds = map[string]byte{
	"object": 'o', "array": 'a', "string": 's', "number": 'n', "integer": 'n', "boolean": 'b', "null": 'z',
}

// typeAllows reports whether v is of the schema's "type" t (a name or a
// list of names); no type, or one that is not names, allows anything here.
func typeAllows(t, v *jv) bool {
	var names []*jv
	switch {
	case t == nil:
		return true
	case t.kind == 's':
		names = []*jv{t}
	case t.kind == 'a':
		names = t.vals
	default:
		return true
	}
	for _, n := range names {
		if n.kind != 's' {
			return true
		}
		if k, known := typeKinds[n.str]; !known || v.kind != k {
			continue
		}
		if n.str != "integer" {
			return true
		}
		if f, ok := new(big.Float).SetString(v.str); ok && f.IsInt() {
			return true
		}
	}
	return false
}

func (c *conv) errf(path, format string, args ...any) error {
	return fmt.Errorf("%w: at %s: %s", ErrSchema, path, fmt.Sprintf(format, args...))
}

// visit returns a GBNF expression matching the values s allows (each
// followed by optional space). hint names the rules it makes.
func (c *conv) visit(s *jv, hint string, depth int, path string) (string, error) {
	if depth > maxSchemaDepth {
		return "", c.errf(path, "nested deeper than %d", maxSchemaDepth)
	}
	switch s.kind {
	case 'b':
		if !s.b {
			return "", c.errf(path, "the schema false allows no value")
		}
		return c.anyValue(), nil
	case 'o':
	default:
		return "", c.errf(path, "a schema must be an object or a boolean")
	}
	for _, k := range unsupported {
		if s.get(k) != nil {
			return "", c.errf(path, "the keyword %q is not supported", k)
		}
	}
	if ref := s.get("$ref"); ref != nil {
		if ref.kind != 's' {
			return "", c.errf(path, "$ref must be a string")
		}
		return c.ref(ref.str, depth, path)
	}
	// const and enum list the values, but "type" beside them still
	// narrows them: {"type": "string", "enum": [1]} allows none.
	if v := s.get("const"); v != nil {
		if !typeAllows(s.get("type"), v) {
			return "", c.errf(path, "const %.40s does not have the schema's type, so no value is allowed", v.text())
		}
		return c.literalValue(v), nil
	}
	if e := s.get("enum"); e != nil {
		if e.kind != 'a' || len(e.vals) == 0 {
			return "", c.errf(path, "enum must be a non-empty array")
		}
		var alts []string
		for _, v := range e.vals {
			if typeAllows(s.get("type"), v) {
				alts = append(alts, c.literalValue(v))
			}
		}
		if len(alts) == 0 {
			return "", c.errf(path, "no enum value has the schema's type, so no value is allowed")
		}
		return c.add(hint, strings.Join(alts, " | ")), nil
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if e := s.get(k); e != nil {
			if e.kind != 'a' || len(e.vals) == 0 {
				return "", c.errf(path, "%s must be a non-empty array", k)
			}
			alts := make([]string, len(e.vals))
			for i, v := range e.vals {
				x, err := c.visit(v, fmt.Sprintf("%s-%d", hint, i), depth+1, fmt.Sprintf("%s/%s/%d", path, k, i))
				if err != nil {
					return "", err
				}
				alts[i] = x
			}
			return c.add(hint, strings.Join(alts, " | ")), nil
		}
	}
	if e := s.get("allOf"); e != nil {
		if e.kind != 'a' || len(e.vals) != 1 {
			return "", c.errf(path, "allOf is supported with one schema only")
		}
		return c.visit(e.vals[0], hint, depth+1, path+"/allOf/0")
	}

	var types []string
	switch t := s.get("type"); {
	case t == nil:
		switch {
		case s.get("properties") != nil || s.get("additionalProperties") != nil || s.get("required") != nil:
			types = []string{"object"}
		case s.get("items") != nil || s.get("prefixItems") != nil || s.get("minItems") != nil || s.get("maxItems") != nil:
			types = []string{"array"}
		case s.get("minLength") != nil || s.get("maxLength") != nil:
			types = []string{"string"}
		default:
			return c.anyValue(), nil
		}
	case t.kind == 's':
		types = []string{t.str}
	case t.kind == 'a' && len(t.vals) > 0:
		for _, x := range t.vals {
			if x.kind != 's' {
				return "", c.errf(path, "type must be a string or an array of strings")
			}
			types = append(types, x.str)
		}
	default:
		return "", c.errf(path, "type must be a string or a non-empty array of strings")
	}
	var alts []string
	for _, t := range types {
		x, err := c.typed(s, t, hint, depth, path)
		if err != nil {
			return "", err
		}
		alts = append(alts, x)
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return c.add(hint, strings.Join(alts, " | ")), nil
}

func (c *conv) literalValue(v *jv) string {
	var b strings.Builder
	v.encode(&b)
	return literal(b.String()) + " " + c.space()
}

// count reads a non-negative integer keyword (-1 when absent).
func (c *conv) count(s *jv, k, path string) (int, error) {
	v := s.get(k)
	if v == nil {
		return -1, nil
	}
	n, err := strconv.ParseFloat(v.str, 64)
	if v.kind != 'n' || err != nil || n < 0 || n != float64(int(n)) {
		return 0, c.errf(path, "%s must be a non-negative integer", k)
	}
	if n > maxRepeat {
		return 0, c.errf(path, "%s %v is over the limit of %d", k, n, maxRepeat)
	}
	return int(n), nil
}

// counts reads a pair of count bounds (minLength and maxLength, minItems
// and maxItems); -1 is an absent one.
func (c *conv) counts(s *jv, minKey, maxKey, path string) (lo, hi int, err error) {
	if lo, err = c.count(s, minKey, path); err != nil {
		return 0, 0, err
	}
	hi, err = c.count(s, maxKey, path)
	return lo, hi, err
}

// repeat is x{lo,hi} in GBNF (hi < 0: unbounded).
func repeat(x string, lo, hi int) string {
	switch {
	case hi < 0 && lo == 0:
		return x + "*"
	case hi < 0 && lo == 1:
		return x + "+"
	case hi < 0:
		return fmt.Sprintf("%s{%d,}", x, lo)
	case lo == hi:
		return fmt.Sprintf("%s{%d}", x, lo)
	}
	return fmt.Sprintf("%s{%d,%d}", x, lo, hi)
}

func (c *conv) typed(s *jv, t, hint string, depth int, path string) (string, error) {
	switch t {
	case "string":
		lo, hi, err := c.counts(s, "minLength", "maxLength", path)
		if err != nil {
			return "", err
		}
		if pat := s.get("pattern"); pat != nil {
			if pat.kind != 's' {
				return "", c.errf(path, "pattern must be a string")
			}
			if lo > 0 || hi >= 0 {
				return "", c.errf(path, "minLength or maxLength with a pattern is not supported")
			}
			body, err := patternGrammar(pat.str)
			if err != nil {
				return "", c.errf(path, "pattern %q: %v", pat.str, err)
			}
			c.char()
			return c.add(hint, `"\"" `+body+` "\"" `+c.space()), nil
		}
		if f := s.get("format"); f != nil && f.kind == 's' {
			if body, ok := formats[f.str]; ok {
				if lo > 0 || hi >= 0 {
					return "", c.errf(path, "minLength or maxLength with format %q is not supported", f.str)
				}
				return c.add(hint, `"\"" `+body+` "\"" `+c.space()), nil
			}
			// Other formats are annotations (JSON Schema's default).
		}
		if lo <= 0 && hi < 0 {
			return c.str(), nil
		}
		lo = max(lo, 0)
		if hi >= 0 && hi < lo {
			return "", c.errf(path, "maxLength is below minLength")
		}
		c.char()
		return c.add(hint, `"\"" `+repeat("char", lo, hi)+` "\"" `+c.space()), nil
	case "number":
		for _, k := range []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} {
			if s.get(k) != nil {
				return "", c.errf(path, "%s is supported for integers only, not numbers", k)
			}
		}
		return c.number(), nil
	case "integer":
		lo, hi, bounded, err := c.intBounds(s, path)
		if err != nil {
			return "", err
		}
		if !bounded {
			return c.integer(), nil
		}
		return c.add(hint, "("+intRange(lo, hi)+") "+c.space()), nil
	case "boolean":
		return c.boolean(), nil
	case "null":
		return c.null(), nil
	case "object":
		return c.object(s, hint, depth, path)
	case "array":
		return c.array(s, hint, depth, path)
	}
	return "", c.errf(path, "unknown type %q", t)
}

func (c *conv) object(s *jv, hint string, depth int, path string) (string, error) {
	props := s.get("properties")
	if props != nil && props.kind != 'o' {
		return "", c.errf(path, "properties must be an object")
	}
	required := map[string]bool{}
	if r := s.get("required"); r != nil {
		if r.kind != 'a' {
			return "", c.errf(path, "required must be an array")
		}
		for _, x := range r.vals {
			if x.kind != 's' {
				return "", c.errf(path, "required must list strings")
			}
			required[x.str] = true
		}
	}
	addl := s.get("additionalProperties")
	sp := c.space()
	if props == nil || len(props.keys) == 0 {
		for k := range required {
			// A required property with no schema: any value, unless
			// additionalProperties forbids it.
			if addl != nil && addl.kind == 'b' && !addl.b {
				return "", c.errf(path, "property %q is required but additionalProperties is false", k)
			}
		}
		if len(required) > 0 {
			props = &jv{kind: 'o'}
			for _, x := range s.get("required").vals {
				if !slices.Contains(props.keys, x.str) {
					props.keys = append(props.keys, x.str)
					props.vals = append(props.vals, orTrue(addl))
				}
			}
		} else {
			if addl != nil && addl.kind == 'b' && !addl.b {
				return c.add(hint, `"{" `+sp+` "}" `+sp), nil
			}
			// Any members, their values as additionalProperties says.
			val := c.anyValue()
			if addl != nil && addl.kind == 'o' {
				var err error
				if val, err = c.visit(addl, hint+"-value", depth+1, path+"/additionalProperties"); err != nil {
					return "", err
				}
			}
			kv := c.add(hint+"-kv", c.str()+` ":" `+sp+" "+val)
			return c.add(hint, `"{" `+sp+" ("+kv+` ("," `+sp+" "+kv+`)*)? "}" `+sp), nil
		}
	}
	for k := range required {
		if !slices.Contains(props.keys, k) {
			if addl != nil && addl.kind == 'b' && !addl.b {
				return "", c.errf(path, "property %q is required but not in properties and additionalProperties is false", k)
			}
			props.keys = append(props.keys, k)
			props.vals = append(props.vals, orTrue(addl))
		}
	}
	// Properties are generated in their order, required ones always and
	// optional ones maybe (extra properties are never generated: an
	// object without them is valid whatever additionalProperties says).
	n := len(props.keys)
	kvs := make([]string, n)
	for i, k := range props.keys {
		val, err := c.visit(props.vals[i], hint+"-"+k, depth+1, path+"/properties/"+k)
		if err != nil {
			return "", err
		}
		var key strings.Builder
		writeJSONString(&key, k)
		kvs[i] = c.add(hint+"-"+k+"-kv", literal(key.String())+" "+sp+` ":" `+sp+" "+val)
	}
	// head[i]: properties i.. with none written yet; tail[i]: with one
	// written before, so each starts with a comma.
	head, tail := make([]string, n+1), make([]string, n+1)
	for i := n - 1; i >= 0; i-- {
		k := props.keys[i]
		comma := `"," ` + sp + " " + kvs[i]
		rest := func(r string) string {
			if r == "" {
				return ""
			}
			return " " + r
		}
		if required[k] {
			tail[i] = c.add(hint+"-tail", comma+rest(tail[i+1]))
			head[i] = c.add(hint+"-head", kvs[i]+rest(tail[i+1]))
		} else {
			tail[i] = c.add(hint+"-tail", "("+comma+")?"+rest(tail[i+1]))
			h := kvs[i] + rest(tail[i+1])
			if head[i+1] != "" {
				h += " | " + head[i+1]
			} else {
				h = "(" + h + ")?" // not "h |": a newline after | continues a rule
			}
			head[i] = c.add(hint+"-head", h)
		}
	}
	return c.add(hint, `"{" `+sp+" "+head[0]+` "}" `+sp), nil
}

func orTrue(v *jv) *jv {
	if v == nil || v.kind != 'o' {
		return &jv{kind: 'b', b: true}
	}
	return v
}

func (c *conv) array(s *jv, hint string, depth int, path string) (string, error) {
	lo, hi, err := c.counts(s, "minItems", "maxItems", path)
	if err != nil {
		return "", err
	}
	lo = max(lo, 0)
	if hi >= 0 && hi < lo {
		return "", c.errf(path, "maxItems is below minItems")
	}
	sp := c.space()
	items := s.get("items")
	var prefix []string
	if p := s.get("prefixItems"); p != nil {
		if p.kind != 'a' {
			return "", c.errf(path, "prefixItems must be an array")
		}
		for i, x := range p.vals {
			e, err := c.visit(x, fmt.Sprintf("%s-%d", hint, i), depth+1, fmt.Sprintf("%s/prefixItems/%d", path, i))
			if err != nil {
				return "", err
			}
			prefix = append(prefix, e)
		}
	} else if items != nil && items.kind == 'a' { // draft-04 tuple form
		return "", c.errf(path, "items as an array (old tuple form) is not supported; use prefixItems")
	}
	if len(prefix) > 0 {
		return c.tuple(prefix, items, lo, hi, hint, depth, path)
	}
	item := c.anyValue()
	if items != nil {
		if items.kind == 'b' && !items.b {
			if lo > 0 {
				return "", c.errf(path, "minItems is above 0 but items is false")
			}
			return c.add(hint, `"[" `+sp+` "]" `+sp), nil
		}
		if item, err = c.visit(items, hint+"-item", depth+1, path+"/items"); err != nil {
			return "", err
		}
	}
	next := `("," ` + sp + " " + item + ")"
	switch {
	case hi == 0:
		return c.add(hint, `"[" `+sp+` "]" `+sp), nil
	case lo == 0:
		h := -1
		if hi > 0 {
			h = hi - 1
		}
		return c.add(hint, `"[" `+sp+" ("+item+" "+repeat(next, 0, h)+`)? "]" `+sp), nil
	}
	h := -1
	if hi > 0 {
		h = hi - 1
	}
	return c.add(hint, `"[" `+sp+" "+item+" "+repeat(next, lo-1, h)+` "]" `+sp), nil
}

// tuple is an array whose first items follow prefix (then items, if it
// allows more), with lo to hi items in all.
func (c *conv) tuple(prefix []string, items *jv, lo, hi int, hint string, depth int, path string) (string, error) {
	sp := c.space()
	p := len(prefix)
	rest := ""
	switch {
	case items == nil:
		rest = c.anyValue()
	case items.kind == 'b' && !items.b:
		if hi < 0 || hi > p {
			hi = p
		}
	default:
		var err error
		if rest, err = c.visit(items, hint+"-item", depth+1, path+"/items"); err != nil {
			return "", err
		}
	}
	if hi >= 0 && lo > hi {
		return "", c.errf(path, "minItems needs more items than prefixItems and items allow")
	}
	// from(i): the items after the first i, each with its comma.
	var from func(i int) string
	from = func(i int) string {
		if hi >= 0 && i >= hi {
			return ""
		}
		if i >= p {
			h := -1
			if hi >= 0 {
				h = hi - i
			}
			return c.add(hint+"-rest", repeat(`("," `+sp+" "+rest+")", max(lo-i, 0), h))
		}
		body := `"," ` + sp + " " + prefix[i]
		if r := from(i + 1); r != "" {
			body += " " + r
		}
		if i >= lo {
			body = "(" + body + ")?"
		}
		return c.add(hint+"-from", body)
	}
	first := prefix[0]
	if r := from(1); r != "" {
		first += " " + r
	}
	if lo == 0 {
		first = "(" + first + ")?"
	}
	if hi == 0 {
		first = ""
	}
	return c.add(hint, `"[" `+sp+" "+first+` "]" `+sp), nil
}

// ref resolves a local reference (#/$defs/X, #/definitions/X, # or any
// JSON pointer into the schema), giving it a rule so recursion works.
func (c *conv) ref(ref string, depth int, path string) (string, error) {
	if name, ok := c.refs[ref]; ok {
		return name, nil
	}
	if !strings.HasPrefix(ref, "#") {
		return "", c.errf(path, "only local $refs (#/...) are supported, not %q", ref)
	}
	target := c.root
	hint := "ref"
	if p := strings.TrimPrefix(ref, "#"); p != "" {
		if !strings.HasPrefix(p, "/") {
			return "", c.errf(path, "$ref %q is not a JSON pointer", ref)
		}
		for _, part := range strings.Split(p[1:], "/") {
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			hint = part
			switch {
			case target != nil && target.kind == 'o':
				target = target.get(part)
			case target != nil && target.kind == 'a':
				i, err := strconv.Atoi(part)
				if err != nil || i < 0 || i >= len(target.vals) {
					target = nil
				} else {
					target = target.vals[i]
				}
			default:
				target = nil
			}
		}
	}
	if target == nil {
		return "", c.errf(path, "$ref %q points at nothing", ref)
	}
	// Reserve the name first: the target may refer back to itself.
	name := c.add(hint, "\x00"+ref) // placeholder body, unique per ref
	c.refs[ref] = name
	body, err := c.visit(target, hint, depth+1, ref)
	if err != nil {
		return "", err
	}
	delete(c.byBody, "\x00"+ref)
	c.rules[name] = body
	return name, nil
}

// Integer bounds are kept within ±maxIntBound, where float64 keywords
// are still exact.
const maxIntBound = 1e15

// noBound marks a side without a limit.
const noBound = math.MaxInt64

// intBounds reads minimum, maximum and their exclusive forms (draft 4's
// booleans too) as an inclusive integer range.
func (c *conv) intBounds(s *jv, path string) (lo, hi int64, bounded bool, err error) {
	lo, hi = -noBound, noBound
	num := func(k string) (float64, bool, error) {
		v := s.get(k)
		if v == nil || v.kind == 'b' {
			return 0, false, nil
		}
		f, perr := strconv.ParseFloat(v.str, 64)
		if v.kind != 'n' || perr != nil || math.IsNaN(f) {
			return 0, false, c.errf(path, "%s must be a number", k)
		}
		if math.Abs(f) > maxIntBound {
			return 0, false, c.errf(path, "%s %v is beyond ±%g, which is not supported", k, f, maxIntBound)
		}
		return f, true, nil
	}
	exclusive := func(k string) bool { v := s.get(k); return v != nil && v.kind == 'b' && v.b }
	if f, ok, e := num("minimum"); e != nil {
		return 0, 0, false, e
	} else if ok {
		if exclusive("exclusiveMinimum") {
			lo = int64(math.Floor(f)) + 1
		} else {
			lo = int64(math.Ceil(f))
		}
	}
	if f, ok, e := num("exclusiveMinimum"); e != nil {
		return 0, 0, false, e
	} else if ok {
		lo = max(lo, int64(math.Floor(f))+1)
	}
	if f, ok, e := num("maximum"); e != nil {
		return 0, 0, false, e
	} else if ok {
		if exclusive("exclusiveMaximum") {
			hi = int64(math.Ceil(f)) - 1
		} else {
			hi = int64(math.Floor(f))
		}
	}
	if f, ok, e := num("exclusiveMaximum"); e != nil {
		return 0, 0, false, e
	} else if ok {
		hi = min(hi, int64(math.Ceil(f))-1)
	}
	if lo > hi {
		return 0, 0, false, c.errf(path, "no integer lies between the minimum and the maximum")
	}
	return lo, hi, lo != -noBound || hi != noBound, nil
}

// intRange is a GBNF expression for the decimal integers in [lo, hi]
// (noBound on a side: unlimited), without leading zeros or "-0".
func intRange(lo, hi int64) string {
	var alts []string
	if lo < 0 { // negative part: "-" and a magnitude
		var mlo, mhi int64 = 1, noBound
		if hi < 0 {
			mlo = -hi
		}
		if lo != -noBound {
			mhi = -lo
		}
		alts = append(alts, `"-" (`+natRange(mlo, mhi)+")")
	}
	if hi >= 0 {
		alts = append(alts, natRange(max(lo, 0), hi))
	}
	return strings.Join(alts, " | ")
}

// natRange matches the naturals in [a, b] (b may be noBound: at most 16
// digits, like the plain integer rule).
func natRange(a, b int64) string {
	as := strconv.FormatInt(a, 10)
	var alts []string
	if b == noBound {
		// Same length as a and at least a, or longer.
		alts = append(alts, digitRange(as, strings.Repeat("9", len(as))))
		if len(as) < 16 {
			alts = append(alts, fmt.Sprintf("[1-9] [0-9]{%d,15}", len(as)))
		}
		return strings.Join(alts, " | ")
	}
	bs := strconv.FormatInt(b, 10)
	for n := len(as); n <= len(bs); n++ {
		lo, hi := as, bs
		if n > len(as) {
			lo = "1" + strings.Repeat("0", n-1)
		}
		if n < len(bs) {
			hi = strings.Repeat("9", n)
		}
		alts = append(alts, digitRange(lo, hi))
	}
	return strings.Join(alts, " | ")
}

// digitRange matches the digit strings of one length between lo and hi.
func digitRange(lo, hi string) string {
	if lo == "" {
		return `""`
	}
	rest := func(s string) string {
		if len(s) == 1 {
			return ""
		}
		return " "
	}
	if lo[0] == hi[0] {
		if len(lo) == 1 {
			return fmt.Sprintf("[%c]", lo[0])
		}
		return fmt.Sprintf("[%c] (%s)", lo[0], digitRange(lo[1:], hi[1:]))
	}
	n := len(lo) - 1
	any := ""
	if n > 0 {
		any = fmt.Sprintf(" [0-9]{%d}", n)
	}
	if strings.Trim(lo[1:], "0") == "" && strings.Trim(hi[1:], "9") == "" {
		return fmt.Sprintf("[%c-%c]%s", lo[0], hi[0], any)
	}
	var alts []string
	if n == 0 {
		return fmt.Sprintf("[%c-%c]", lo[0], hi[0])
	}
	alts = append(alts, fmt.Sprintf("[%c]%s(%s)", lo[0], rest(lo), digitRange(lo[1:], strings.Repeat("9", n))))
	if lo[0]+1 <= hi[0]-1 {
		alts = append(alts, fmt.Sprintf("[%c-%c]%s", lo[0]+1, hi[0]-1, any))
	}
	alts = append(alts, fmt.Sprintf("[%c]%s(%s)", hi[0], rest(hi), digitRange(strings.Repeat("0", n), hi[1:])))
	return strings.Join(alts, " | ")
}
