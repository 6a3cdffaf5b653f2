package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"burrow/inference/grammar"
)

// responseFormat is OpenAI's response_format. llama.cpp's server also
// takes a schema beside type json_object; so does Burrow.
type responseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict *bool           `json:"strict"`
	} `json:"json_schema"`
	Schema json.RawMessage `json:"schema"`
}

// grammar compiles the request's response_format or grammar field into the
// grammar the reply must follow (nil: free text). A schema or grammar the
// engine cannot honour is a 400, before anything is queued.
func (f *samplingFields) grammar() (*grammar.Grammar, *apiError) {
	var src, param string
	rf := f.ResponseFormat
	switch {
	case rf == nil || rf.Type == "" || rf.Type == "text":
	case rf.Type == "json_object":
		src, param = grammar.AnyJSON, "response_format"
		if hasJSON(rf.Schema) {
			gbnf, e := schemaGrammar(rf.Schema, "response_format.schema")
			if e != nil {
				return nil, e
			}
			src = gbnf
		}
	case rf.Type == "json_schema":
		param = "response_format.json_schema.schema"
		if rf.JSONSchema == nil || !hasJSON(rf.JSONSchema.Schema) {
			return nil, badRequest(param, "response_format json_schema needs json_schema.schema")
		}
		gbnf, e := schemaGrammar(rf.JSONSchema.Schema, param)
		if e != nil {
			return nil, e
		}
		src = gbnf
	default:
		return nil, badRequest("response_format", "response_format %q is not supported (text, json_object, json_schema)", rf.Type)
	}
	if f.Grammar != nil && *f.Grammar != "" {
		if src != "" {
			return nil, badRequest("grammar", "give either grammar or response_format, not both")
		}
		src, param = *f.Grammar, "grammar"
	}
	if src == "" {
		return nil, nil
	}
	g, err := grammar.Parse(src)
	if err != nil {
		return nil, badRequest(param, "%s", err.Error())
	}
	return g, nil
}

func hasJSON(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

func schemaGrammar(schema json.RawMessage, param string) (string, *apiError) {
	gbnf, err := grammar.FromJSONSchema(schema)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, grammar.ErrSchema) {
			msg = "unsupported or invalid JSON schema: " + strings.TrimPrefix(msg, "json schema: ")
		}
		return "", badRequest(param, "%s", msg)
	}
	return gbnf, nil
}
