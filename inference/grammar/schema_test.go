package grammar

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// testSchemas cover every supported keyword.
var testSchemas = []string{
	`{"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}, "required": ["name", "age"], "additionalProperties": false}`,
	`{"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "null"}, "c": {"type": "number"}, "d": {"type": "string", "maxLength": 3}}, "required": ["c"], "additionalProperties": false}`,
	`{"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}}}`,
	`{"type": "array", "items": {"type": "string", "minLength": 2, "maxLength": 5}, "minItems": 2, "maxItems": 4}`,
	`{"type": "array", "items": {"enum": ["red", "green", 3, null, {"k": [1, "é"]}]}, "maxItems": 3}`,
	`{"const": {"version": 2, "tag": "a\"b\\c\n"}}`,
	`{"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 1}, {"type": "array", "items": {"type": "boolean"}, "maxItems": 2}]}`,
	`{"oneOf": [{"type": "object", "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}}, "required": ["kind", "r"], "additionalProperties": false},
	            {"type": "object", "properties": {"kind": {"const": "square"}, "side": {"type": "number"}}, "required": ["kind", "side"], "additionalProperties": false}]}`,
	`{"$defs": {"node": {"type": "object", "properties": {"value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}}, "required": ["value"], "additionalProperties": false}}, "$ref": "#/$defs/node"}`,
	`{"definitions": {"point": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}, "required": ["x", "y"], "additionalProperties": false}},
	  "type": "object", "properties": {"from": {"$ref": "#/definitions/point"}, "to": {"$ref": "#/definitions/point"}, "label": {"type": ["string", "null"]}}, "required": ["to"], "additionalProperties": false}`,
	`{"type": "object", "properties": {"o1": {"type": "integer"}, "r1": {"type": "integer"}, "o2": {"type": "integer"}, "o3": {"type": "integer"}, "r2": {"type": "integer"}}, "required": ["r1", "r2"], "additionalProperties": false}`,
	`{"type": "object", "properties": {"o1": {"type": "string"}, "o2": {"type": "string"}}, "additionalProperties": false}`,
	`{"type": "object", "additionalProperties": {"type": "integer"}}`,
	`{"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false, "minItems": 1}`,
	`{"type": "array", "prefixItems": [{"const": "head"}], "items": {"type": "integer"}, "minItems": 3, "maxItems": 5}`,
	`{}`,
	`true`,
	`{"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}, "meta": {"type": "object"}}, "required": ["tags", "meta"]}`,
	`{"type": "object", "properties": {"day": {"type": "string", "format": "date"}, "at": {"type": "string", "format": "date-time"}, "t": {"type": "string", "format": "time"}, "id": {"type": "string", "format": "uuid"}}, "required": ["day", "at", "t", "id"]}`,
	`{"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2,4}$"}`,
	`{"type": "string", "pattern": "^(yes|no|maybe)$"}`,
	`{"type": "string", "pattern": "^ab+c"}`,
	`{"type": "string", "pattern": "^\"q\"\\\\[^a-z]\\n.?$"}`,
	`{"type": "string", "pattern": "(?i)^hello$"}`,
	`{"type": "string", "pattern": "^\\d{3}(\\.\\w+)*$"}`,
	`{"type": "object", "properties": {"month": {"type": "integer", "minimum": 1, "maximum": 12}, "temp": {"type": "integer", "minimum": -40, "exclusiveMaximum": 50}, "n": {"type": "integer", "minimum": 1000}}, "required": ["month", "temp", "n"]}`,
}

func compileSchema(t testing.TB, src string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t testing.TB, s *jsonschema.Schema, text string) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

// Random walks through each schema's grammar give JSON that parses and
// validates (checked by an independent validator).
func TestSchemaRandomWalksValidate(t *testing.T) {
	v, eos := byteVocab(t, `"name"`, `": `, `true`, `null`, `é`, "\xc3", `12`, `, "`, `{"`, `"}`, `[]`)
	for i, src := range testSchemas {
		gbnf, err := FromJSONSchema([]byte(src))
		if err != nil {
			t.Fatalf("schema %d: %v\n%s", i, err, src)
		}
		g, err := Parse(gbnf)
		if err != nil {
			t.Fatalf("schema %d: grammar: %v\n%s", i, err, gbnf)
		}
		sch := compileSchema(t, src)
		r := rand.New(rand.NewPCG(uint64(i), 9))
		for n := range 25 {
			c, err := NewConstraint(g, v)
			if err != nil {
				t.Fatal(err)
			}
			out := walk(t, c, v, eos, r, 30)
			if n == 0 {
				t.Logf("schema %d: %s", i, out)
			}
			if !json.Valid([]byte(out)) {
				t.Fatalf("schema %d: %q is not JSON\ngrammar:\n%s", i, out, gbnf)
			}
			if err := validate(t, sch, out); err != nil {
				t.Fatalf("schema %d: %q does not validate: %v\ngrammar:\n%s", i, out, err, gbnf)
			}
		}
	}
}

// Property order is the schema's, and every subset of optional properties
// can be produced: the grammar matches all of them.
func TestSchemaOptionalProperties(t *testing.T) {
	gbnf, err := FromJSONSchema([]byte(testSchemas[10]))
	if err != nil {
		t.Fatal(err)
	}
	g := mustParse(t, gbnf)
	for _, s := range []string{
		`{"r1": 1, "r2": 2}`, `{"o1": 0, "r1": 1, "r2": 2}`, `{"r1": 1, "o2": 5, "o3": 6, "r2": 2}`,
		`{"o1": 0, "r1": 1, "o2": 5, "o3": 6, "r2": 2}`, `{"r1":1,"o3":6,"r2":2}`,
	} {
		if !matches(t, g, s) {
			t.Errorf("should match %s\n%s", s, gbnf)
		}
	}
	for _, s := range []string{`{"r2": 2, "r1": 1}`, `{"r1": 1}`, `{"r1": 1, "r2": 2, "o1": 0}`, `{"r1": 1,, "r2": 2}`, `{, "r1": 1, "r2": 2}`} {
		if matches(t, g, s) {
			t.Errorf("should not match %s", s)
		}
	}
	gbnf, _ = FromJSONSchema([]byte(testSchemas[11]))
	g = mustParse(t, gbnf)
	for _, s := range []string{`{}`, `{"o1": "a"}`, `{"o2": "b"}`, `{"o1": "a", "o2": "b"}`} {
		if !matches(t, g, s) {
			t.Errorf("should match %s\n%s", s, gbnf)
		}
	}
	if matches(t, g, `{"o2": "b", "o1": "a"}`) || matches(t, g, `{,}`) {
		t.Error("out-of-order or empty members matched")
	}
}

func TestAnyJSON(t *testing.T) {
	g := mustParse(t, AnyJSON)
	for _, s := range []string{`1`, `"x"`, `[1, {"a": null}]`, `{"k": [true, false, -0.5e10]}`} {
		if !matches(t, g, s) {
			t.Errorf("AnyJSON should match %s", s)
		}
	}
	for _, s := range []string{`{a: 1}`, `[1,]`, `01`, `nul`} {
		if matches(t, g, s) {
			t.Errorf("AnyJSON should not match %s", s)
		}
	}
}

func TestBadSchemas(t *testing.T) {
	tests := []struct{ src, want string }{
		{`{"type": "string", "pattern": "\\bword\\b"}`, "word boundary"},
		{`{"type": "string", "pattern": "(a)\\1"}`, "pattern"},
		{`{"type": "string", "pattern": "a^b"}`, "anchor"},
		{`{"type": "string", "pattern": "^a+$", "maxLength": 3}`, "pattern"},
		{`{"type": "number", "minimum": 3}`, "minimum"},
		{`false`, "allows no value"},
		{`{"type": "strin"}`, "unknown type"},
		{`{"type": "array", "minItems": 3, "maxItems": 2}`, "below"},
		{`{"type": "string", "minLength": 5, "maxLength": 2}`, "below"},
		{`{"$ref": "#/$defs/missing"}`, "points at nothing"},
		{`{"$ref": "https://example.com/x.json"}`, "only local"},
		{`{"enum": []}`, "non-empty"},
		{`{"type": "array", "maxItems": 1e9}`, "limit"},
		{`{"type": "array", "minItems": -1}`, "non-negative"},
		{`{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"], "additionalProperties": false}`, "required"},
		{`{"type": 5}`, "type must be"},
		{`[1]`, "object or a boolean"},
		{`{"a": `, "json schema"},
		{`{} {}`, "after the schema"},
		{strings.Repeat(`{"items":`, 200) + `{}` + strings.Repeat(`}`, 200), "nested deeper"},
		{`{"allOf": [{"type": "string"}, {"maxLength": 2}]}`, "allOf"},
		{`{"type": "array", "prefixItems": [{"type": "string"}], "items": false, "minItems": 2}`, "minItems"},
		// const and enum beside a type they do not have: nothing validates.
		{`{"type": "string", "const": 1}`, "no value is allowed"},
		{`{"type": ["integer", "null"], "enum": [1.5, "a", true]}`, "no enum value"},
	}
	for _, tt := range tests {
		_, err := FromJSONSchema([]byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FromJSONSchema(%.50s) = %v, want an error containing %q", tt.src, err, tt.want)
		}
		if err != nil && !errors.Is(err, ErrSchema) {
			t.Errorf("FromJSONSchema(%.50s): %v does not wrap ErrSchema", tt.src, err)
		}
	}
	// A self-referencing schema that never reaches a value is a clear
	// grammar error, not a hang.
	gbnf, err := FromJSONSchema([]byte(`{"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}`))
	if err == nil {
		_, err = Parse(gbnf)
	}
	if err == nil {
		t.Fatal("self-reference accepted")
	}
}

// The type beside an enum keeps the values of that type only.
func TestEnumNarrowedByType(t *testing.T) {
	gbnf, err := FromJSONSchema([]byte(`{"type": ["integer", "null"], "enum": [1, 2.0, 2.5, "1", null, false]}`))
	if err != nil {
		t.Fatal(err)
	}
	g := mustParse(t, gbnf)
	for s, want := range map[string]bool{"1": true, "2.0": true, "null": true, "2.5": false, `"1"`: false, "false": false} {
		if matches(t, g, s) != want {
			t.Errorf("%s: match %v, want %v", s, !want, want)
		}
	}
}

func TestLiteralEscapes(t *testing.T) {
	for _, s := range []string{"a\"b", `back\slash`, "nl\ncr\rtab\t", "\x01\x7f", "é😀"} {
		g := mustParse(t, "root ::= "+literal(s))
		if !matches(t, g, s) {
			t.Errorf("literal(%q) = %s does not match itself", s, literal(s))
		}
	}
	var b bytes.Buffer
	_ = json.Compact(&b, []byte(`{"a": 1}`))
}

// The integer range grammar matches exactly the integers in range, in
// canonical form.
func TestIntRange(t *testing.T) {
	ranges := [][2]int64{{0, 0}, {0, 9}, {1, 10}, {5, 123}, {-3, 3}, {-150, -7}, {99, 1000}, {17, 17}, {-1, 0},
		{0, noBound}, {7, noBound}, {123, noBound}, {-20, noBound}, {-noBound, 5}, {-noBound, -12}, {-noBound, 0}, {1000, 99999}}
	for _, r := range ranges {
		lo, hi := r[0], r[1]
		g := mustParse(t, "root ::= "+intRange(lo, hi))
		from, to := lo-30, hi+30
		if lo == -noBound {
			from = hi - 200
		}
		if hi == noBound {
			to = lo + 1200
		}
		for x := from; x <= to; x++ {
			want := x >= lo && x <= hi
			if got := matches(t, g, strconv.FormatInt(x, 10)); got != want {
				t.Fatalf("[%d, %d]: %d matched %v\n%s", lo, hi, x, got, intRange(lo, hi))
			}
		}
		for _, bad := range []string{"-0", "00", "01", "-", "", "+1", "1.0"} {
			if matches(t, g, bad) {
				t.Fatalf("[%d, %d] matched %q", lo, hi, bad)
			}
		}
	}
}

func TestIntegerBoundsInSchema(t *testing.T) {
	for _, tt := range []struct {
		schema    string
		good, bad []string
	}{
		{`{"type": "integer", "minimum": 1, "maximum": 12}`, []string{"1", "12", "7"}, []string{"0", "13", "-1"}},
		{`{"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 100}`, []string{"1", "99"}, []string{"0", "100"}},
		{`{"type": "integer", "minimum": 2.5}`, []string{"3", "1000000"}, []string{"2"}},
		{`{"type": "integer", "maximum": -1}`, []string{"-1", "-500"}, []string{"0", "5"}},
		{`{"type": "integer", "minimum": 5, "exclusiveMinimum": true}`, []string{"6"}, []string{"5"}},
	} {
		gbnf, err := FromJSONSchema([]byte(tt.schema))
		if err != nil {
			t.Fatal(err)
		}
		g := mustParse(t, gbnf)
		for _, s := range tt.good {
			if !matches(t, g, s) {
				t.Errorf("%s should match %s\n%s", tt.schema, s, gbnf)
			}
		}
		for _, s := range tt.bad {
			if matches(t, g, s) {
				t.Errorf("%s should not match %s", tt.schema, s)
			}
		}
	}
	for _, bad := range []string{`{"type": "integer", "minimum": 5, "maximum": 4}`, `{"type": "number", "minimum": 0}`, `{"type": "integer", "minimum": 1e20}`} {
		if _, err := FromJSONSchema([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// Patterns match the JSON-encoded strings whose values match them, and
// unanchored sides allow any text (JSON Schema patterns search).
func TestPatternGrammar(t *testing.T) {
	tests := []struct {
		pat       string
		good, bad []string
	}{
		{`ab+c`, []string{"abc", "xxabbbcyy", "\"abc\n"}, []string{"ac", "abx"}},
		{`^[A-Z]{2}\d$`, []string{"AB1"}, []string{"ab1", "AB12", "A1"}},
		{`^"q"\\[^a-z]\n.?$`, []string{"\"q\"\\X\n", "\"q\"\\\"\n!", "\"q\"\\\x01\n"}, []string{"\"q\"\\a\n", "\"q\"\\X\n\n"}},
		{`(?i)^héllo$`, []string{"HÉLLO", "hÉllo"}, []string{"hello"}},
		{`^(a|bc)*$`, []string{"", "abca"}, []string{"cb"}},
		{`^.{2,3}$`, []string{"ab", "é😀x"}, []string{"a", "abcd", "a\nb"}},
	}
	for _, tt := range tests {
		body, err := patternGrammar(tt.pat)
		if err != nil {
			t.Fatalf("%s: %v", tt.pat, err)
		}
		c := newConv(nil)
		c.char()
		c.rules["root"] = `"\"" ` + body + ` "\""`
		c.order = append([]string{"root"}, c.order...)
		g := mustParse(t, c.text())
		enc := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		for _, s := range tt.good {
			if !matches(t, g, enc(s)) {
				t.Errorf("%s should match %q (%s)\n%s", tt.pat, s, enc(s), c.text())
			}
		}
		for _, s := range tt.bad {
			if matches(t, g, enc(s)) {
				t.Errorf("%s should not match %q", tt.pat, s)
			}
		}
	}
}
