package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/errs"
)

// TestUnavailableSaysWhenToRetry: a 503 carries Retry-After on every
// surface, as JSON for the API and as readable text for a page.
func TestUnavailableSaysWhenToRetry(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	err := errs.Wrap(errs.Unavailable, errors.New("dial tcp 10.0.0.7:5432: connection refused"), "cannot connect to the database")
	for _, tc := range []struct {
		path, contentType, body string
	}{
		{"/api/v1/incidents", "application/json", `"code":"unavailable","message":"cannot connect to the database"`},
		{"/hooks/alertmanager", "application/json", `"code":"unavailable"`},
		{"/", "text/plain; charset=utf-8", "cannot connect to the database (request "},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.writeError(rec, httptest.NewRequest("GET", tc.path, nil), err)
			if rec.Code != http.StatusServiceUnavailable {
				t.Errorf("status %d, want 503", rec.Code)
			}
			if got := rec.Header().Get("Retry-After"); got == "" {
				t.Error("no Retry-After")
			}
			if got := rec.Header().Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if body := rec.Body.String(); !strings.Contains(body, tc.body) || strings.Contains(body, "10.0.0.7") {
				t.Errorf("body %q: want %q in it, and not the cause", body, tc.body)
			}
		})
	}
}

// TestOnlyUnavailableSaysRetryAfter: other failures are not worth retrying
// as they are.
func TestOnlyUnavailableSaysRetryAfter(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	for _, err := range []error{errs.E(errs.Conflict, "already exists"), errors.New("boom")} {
		rec := httptest.NewRecorder()
		s.writeError(rec, httptest.NewRequest("POST", "/api/v1/incidents", nil), err)
		if got := rec.Header().Get("Retry-After"); got != "" {
			t.Errorf("%v: Retry-After %q on a %d", err, got, rec.Code)
		}
	}
}
