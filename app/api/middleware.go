package api

import (
	"crypto/subtle"
	"log"
	"net"
	"net/http"
	"strings"
)

// recoverMiddleware turns a panic in a handler into a 500 instead of a
// dropped connection, so a bad request can never take the server down.
func (s *Server) recoverMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // net/http's own way to abort a response
			}
			log.Printf("api server: panic serving %s %s: %v", r.Method, r.URL.Path, v)
			writeError(w, newAPIError(http.StatusInternalServerError, "server_error", "internal_error", "",
				"internal server error"))
		}()
		next.ServeHTTP(w, r)
	})
}

// corsMiddleware lets browser pages on other origins call the API, only when
// enabled: without it browsers keep other sites from using the local model.
func (s *Server) corsMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.opts.CORS {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			allow := r.Header.Get("Access-Control-Request-Headers")
			if allow == "" {
				allow = "Authorization, Content-Type"
			}
			h.Set("Access-Control-Allow-Headers", allow)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostMiddleware refuses requests whose Host is a domain name while the
// server listens on loopback only: a web page cannot then reach the local
// model by rebinding its own domain to 127.0.0.1 (DNS rebinding). localhost
// and IP addresses are fine.
func (s *Server) hostMiddleware(next http.Handler) http.Handler {
	if !isLoopbackHost(s.opts.Host) {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.ToLower(host), ".")
		if host != "localhost" && !strings.HasSuffix(host, ".localhost") && net.ParseIP(strings.Trim(host, "[]")) == nil {
			writeError(w, newAPIError(http.StatusForbidden, "invalid_request_error", "forbidden_host", "",
				"host %q is not allowed: this server answers on localhost or an IP address only", r.Host))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isLoopbackHost reports whether a listen address stays on this machine.
func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// authMiddleware checks "Authorization: Bearer <key>" when a key is set.
func (s *Server) authMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.APIKey == "" {
			next.ServeHTTP(w, r)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.opts.APIKey)) != 1 {
			writeError(w, newAPIError(http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "",
				"missing or incorrect API key: send it as \"Authorization: Bearer <key>\""))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitMiddleware caps request bodies; decodeBody reports the overflow as 413.
func (s *Server) limitMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.opts.MaxBodyBytes {
			writeError(w, newAPIError(http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", "",
				"the request body is larger than %d bytes", s.opts.MaxBodyBytes))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// handleUnknown answers routes the mux does not know: 405 for a known path
// with the wrong method, else 404, both as OpenAI error JSON.
func (s *Server) handleUnknown(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/v1/chat/completions" || p == "/v1/completions":
		w.Header().Set("Allow", "POST")
		writeError(w, newAPIError(http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", "",
			"%s %s is not supported; use POST", r.Method, p))
	case p == "/v1/models" || strings.HasPrefix(p, "/v1/models/"):
		w.Header().Set("Allow", "GET")
		writeError(w, newAPIError(http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", "",
			"%s %s is not supported; use GET", r.Method, p))
	default:
		writeError(w, newAPIError(http.StatusNotFound, "invalid_request_error", "unknown_url", "",
			"unknown request URL: %s %s", r.Method, p))
	}
}
