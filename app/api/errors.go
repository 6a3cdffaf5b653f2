package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"burrow/inference"
	"burrow/inference/grammar"
)

// apiError is an error in OpenAI's shape, with the HTTP status to send.
type apiError struct {
	Status  int     `json:"-"`
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func (e *apiError) Error() string { return e.Message }

func newAPIError(status int, typ, code, param, format string, args ...any) *apiError {
	e := &apiError{Status: status, Type: typ, Message: fmt.Sprintf(format, args...)}
	if code != "" {
		e.Code = &code
	}
	if param != "" {
		e.Param = &param
	}
	return e
}

// badRequest is a 400 about one request field (param may be "").
func badRequest(param, format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "invalid_request_error", "", param, format, args...)
}

func errBusy() *apiError {
	return newAPIError(http.StatusServiceUnavailable, "server_error", "server_busy", "",
		"the server is busy: too many requests are waiting for the model; retry later")
}

func errNoModel() *apiError {
	return newAPIError(http.StatusServiceUnavailable, "server_error", "model_not_loaded", "model",
		"no model is loaded")
}

func errUnknownModel(id string) *apiError {
	return newAPIError(http.StatusNotFound, "invalid_request_error", "model_not_found", "model",
		"the model %q does not exist or is not loaded", id)
}

// errGeneration maps a failure the engine reported to a status: the
// prompt too long for the context is the client's to fix (400, OpenAI's
// context_length_exceeded), no model or a closed worker is 503, a remote
// server's refusal keeps its status, anything else is 500.
func errGeneration(err error) *apiError {
	var upstream interface{ HTTPStatus() int }
	switch {
	case errors.Is(err, inference.ErrContextFull):
		return newAPIError(http.StatusBadRequest, "invalid_request_error", "context_length_exceeded", "messages", "%v", err)
	case errors.Is(err, grammar.ErrTooComplex), errors.Is(err, grammar.ErrNoToken):
		// The grammar, not the server, is at fault.
		return newAPIError(http.StatusBadRequest, "invalid_request_error", "grammar_unusable", "grammar", "%v", err)
	case errors.Is(err, inference.ErrNoModel):
		return errNoModel()
	case errors.Is(err, inference.ErrClosed):
		return newAPIError(http.StatusServiceUnavailable, "server_error", "engine_closed", "", "%v", err)
	case errors.As(err, &upstream) && upstream.HTTPStatus() >= 400 && upstream.HTTPStatus() < 600:
		return newAPIError(upstream.HTTPStatus(), "upstream_error", "upstream_error", "", "%v", err)
	}
	return newAPIError(http.StatusInternalServerError, "server_error", "generation_failed", "",
		"generation failed: %v", err)
}

// writeError sends e as {"error": {...}}.
func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(struct {
		Error *apiError `json:"error"`
	}{e})
}

// writeOK sends v as a 200 JSON response.
func writeOK(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decodeBody reads one JSON object into v, mapping a too-large body to 413
// and anything malformed to 400.
func decodeBody(r *http.Request, v any) *apiError {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return newAPIError(http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", "",
				"the request body is larger than %d bytes", tooBig.Limit)
		case errors.As(err, &typeErr):
			return badRequest(typeErr.Field, "field %q has the wrong type: got JSON %s, want %s",
				typeErr.Field, typeErr.Value, typeErr.Type)
		default:
			return badRequest("", "the request body is not valid JSON: %v", err)
		}
	}
	if dec.More() {
		return badRequest("", "the request body holds more than one JSON value")
	}
	return nil
}
