package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
)

// maxBodyBytes limits a JSON request body. Imports take more (maxImportBytes).
const maxBodyBytes = 1 << 20

// statusOf maps error kinds to HTTP statuses: Invalid is 400, or 422 when it
// names the fields that are wrong.
func statusOf(e *errs.Error) int {
	switch e.Kind {
	case errs.Invalid:
		if len(e.Fields) > 0 {
			return http.StatusUnprocessableEntity
		}
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Rule      string            `json:"rule,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// writeError sends err as a JSON error body. An error that is not an
// *errs.Error is internal: it is logged, and the user sees only a generic
// message and the request ID to quote.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	id := requestID(r)
	e, ok := errs.As(err)
	if !ok || e.Kind == errs.Internal {
		s.log.Error("request failed", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
		e = &errs.Error{Kind: errs.Internal, Message: "something went wrong on our side; quote request " + id + " when reporting it"}
	} else if e.Cause != nil {
		s.log.Info("request refused", "request_id", id, "kind", e.Kind, "err", err)
	}
	status := statusOf(e)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="blameful"`)
	}
	writeJSON(w, status, errorBody{Error: errorJSON{Code: string(e.Kind), Message: e.Message, Rule: e.Rule, Fields: e.Fields, RequestID: id}})
}

// writeJSON sends v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the status is sent; a broken connection is the client's problem
}

// decode reads a JSON body into a T: at most maxBodyBytes, unknown fields
// refused, exactly one value. Every failure names what is wrong.
func decode[T any](r *http.Request, w http.ResponseWriter) (T, error) {
	var v T
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return v, errs.E(errs.Invalid, "the body must be JSON (Content-Type: application/json), not %s", ct)
	}
	body := http.MaxBytesReader(w, r.Body, maxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		if err != nil && isTooLarge(err) {
			return v, decodeError(err)
		}
		return v, errs.E(errs.Invalid, "the body must hold exactly one JSON value")
	}
	return v, nil
}

func isTooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// decodeError turns encoding/json's errors into ones a user can act on.
func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case isTooLarge(err):
		return errs.E(errs.TooLarge, "the body is larger than %d bytes", maxBodyBytes)
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "malformed JSON: the body ends too early")
	case errors.As(err, &syn):
		return errs.E(errs.Invalid, "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return errs.E(errs.Invalid, "the body must be a JSON object")
		}
		return errs.Field(field, "must be %s, not %s", jsonType(typ.Type.String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &errs.Error{Kind: errs.Invalid, Message: fmt.Sprintf("unknown field %q", name), Fields: map[string]string{name: "unknown field"}}
	}
	return errs.E(errs.Invalid, "malformed JSON: %v", err)
}

func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case goType == "string", strings.HasSuffix(goType, ".Severity"), strings.HasSuffix(goType, ".Status"):
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "float"):
		return "a number"
	}
	return "an object"
}

// parseTime reads an RFC 3339 time field; "" is the zero time.
func parseTime(p *errs.Problems, field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		p.Add(field, "%q is not an RFC 3339 time (like 2026-11-20T14:05:00Z)", s)
		return time.Time{}
	}
	return t.UTC()
}

// optTime reads an optional time field into a pointer.
func optTime(p *errs.Problems, field string, s *string) *time.Time {
	if s == nil {
		return nil
	}
	t := parseTime(p, field, *s)
	return &t
}

// rfc3339 formats a time for JSON; the zero time is null.
func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// list is the envelope of every list response.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// listOf encodes every item with enc; an empty list is [], never null.
func listOf[V, J any](items []V, enc func(V) J) list[J] {
	out := list[J]{Items: make([]J, 0, len(items))}
	for _, v := range items {
		out.Items = append(out.Items, enc(v))
	}
	return out
}

// logAttrs are the request's standard log fields.
func logAttrs(r *http.Request) []any {
	return []any{slog.String("request_id", requestID(r)), slog.String("method", r.Method), slog.String("path", r.URL.Path)}
}
