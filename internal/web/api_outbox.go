package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// deliveryJSON is one outbox message on one channel, for administrators.
type deliveryJSON struct {
	ID          string          `json:"id"`
	Key         string          `json:"key"`
	Message     string          `json:"message"`
	Kind        string          `json:"kind"`
	Recipient   string          `json:"recipient"`
	Channel     string          `json:"channel"`
	State       string          `json:"state"`
	Attempts    int             `json:"attempts"`
	NextAttempt *string         `json:"next_attempt_at"`
	LastError   string          `json:"last_error"`
	DeliveredAt *string         `json:"delivered_at"`
	CreatedAt   *string         `json:"created_at"`
	UpdatedAt   *string         `json:"updated_at"`
	Payload     json.RawMessage `json:"payload"`
}

func toDeliveryJSON(d app.DeliveryView) deliveryJSON {
	out := deliveryJSON{ID: d.ID, Key: d.Key, Message: d.MessageID, Kind: d.Kind, Recipient: d.Recipient, Channel: d.Channel,
		State: d.State, Attempts: d.Attempts, LastError: d.LastError, DeliveredAt: rfc3339(d.DeliveredAt),
		CreatedAt: rfc3339(d.CreatedAt), UpdatedAt: rfc3339(d.UpdatedAt), Payload: d.Payload}
	if d.State == "pending" {
		out.NextAttempt = rfc3339(d.NextAttempt)
	}
	return out
}

// deliveryFilter reads the outbox list's filters, for the API and the
// page: state, kind and the cursor.
func deliveryFilter(p *errs.Problems, r *http.Request) app.DeliveryFilter {
	q := r.URL.Query()
	f := app.DeliveryFilter{State: q.Get("state"), Kind: q.Get("kind"), Before: q.Get("cursor")}
	if !isToken(f.Kind, 100) {
		p.Add("kind", "must be a message kind such as followup.reminder (letters, digits, dots, dashes and underscores, at most 100)")
	}
	if !isToken(f.Before, 64) {
		p.Add("cursor", "is not a cursor this list gave")
	}
	return f
}

// isToken reports whether s is empty or a short run of letters, digits,
// dots, dashes and underscores.
func isToken(s string, max int) bool {
	return len(s) <= max && strings.IndexFunc(s, func(r rune) bool {
		return r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_')
	}) < 0
}

func (s *Server) listOutbox(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	var p errs.Problems
	f := deliveryFilter(&p, r)
	f.Limit = limitParam(&p, r)
	if err := p.Err(); err != nil {
		return err
	}
	items, err := s.app.Deliveries(r.Context(), actor, f)
	if err != nil {
		return err
	}
	out, err := pageOf(items, toDeliveryJSON, func(d app.DeliveryView) string { return d.ID }, len(items) == f.Limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) retryOutbox(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	d, err := s.app.RetryDelivery(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toDeliveryJSON(d))
	return nil
}
