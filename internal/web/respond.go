package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
)

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
	case errs.MethodNotAllowed:
		return http.StatusMethodNotAllowed
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

// writeError sends err as a JSON error body, or as a line of text for a
// page. An error that is not an *errs.Error is internal: it is logged, and
// the user sees only a generic message and the request ID to quote. A 503
// carries Retry-After.
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
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="blameful"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", retryAfter) // an outage: nothing about the request is wrong
	}
	if isPage(r) {
		writeText(w, status, e.Message+" (request "+id+")")
		return
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

// maxListBytes bounds a page of a list: once its items pass this size, the
// page ends early with a cursor to the rest, whatever the limit asked for.
const maxListBytes = 2 << 20

// pageOf is listOf for a list that pages with a cursor. The items are
// encoded one by one, and the page stops before the item that would take it
// past maxListBytes (a page always holds at least one). full says whether
// the store returned as many items as the limit: then there may be more.
func pageOf[V any, J any](items []V, enc func(V) J, cursor func(V) string, full bool) (list[json.RawMessage], error) {
	out := list[json.RawMessage]{Items: make([]json.RawMessage, 0, len(items))}
	var buf bytes.Buffer
	size := 0
	for i, v := range items {
		buf.Reset()
		e := json.NewEncoder(&buf)
		e.SetEscapeHTML(false)
		if err := e.Encode(enc(v)); err != nil {
			return out, fmt.Errorf("encode list item: %w", err)
		}
		if size += buf.Len(); size > maxListBytes && i > 0 {
			out.NextCursor = cursor(items[i-1])
			return out, nil
		}
		out.Items = append(out.Items, bytes.Clone(bytes.TrimSpace(buf.Bytes())))
	}
	if full && len(items) > 0 {
		out.NextCursor = cursor(items[len(items)-1])
	}
	return out, nil
}

// logAttrs are the request's standard log fields.
func logAttrs(r *http.Request) []any {
	path := r.URL.Path
	if strings.HasPrefix(path, "/password/") {
		path = "/password/…" // the rest is a password link's secret
	}
	return []any{slog.String("request_id", requestID(r)), slog.String("method", r.Method), slog.String("path", path)}
}
