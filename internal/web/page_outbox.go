package web

import (
	"net/http"
	"net/url"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// The outbox page, for administrators: every message's delivery on each
// channel, with its state, tries and last error, filtered by state and
// kind, and a Retry button on the dead and the failing.

// outboxShown is how many deliveries a page of the list holds.
const outboxShown = 100

// outboxPage is the data of the outbox page.
type outboxPage struct {
	Deliveries []app.DeliveryView
	// State and Kind are the filters in force.
	State, Kind string
	States      []string
	// Next is the query of the next page, when there may be one.
	Next string
}

func (s *Server) pageOutbox(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	var p errs.Problems
	f := deliveryFilter(&p, r)
	if err := p.Err(); err != nil {
		return err
	}
	f.Limit = outboxShown
	list, err := s.app.Deliveries(r.Context(), actor, f)
	if err != nil {
		return err
	}
	data := outboxPage{Deliveries: list, State: f.State, Kind: f.Kind, States: []string{"pending", "failed", "delivered", "dead"}}
	if len(list) == outboxShown {
		q := url.Values{"cursor": {list[len(list)-1].ID}}
		if f.State != "" {
			q.Set("state", f.State)
		}
		if f.Kind != "" {
			q.Set("kind", f.Kind)
		}
		data.Next = "/outbox?" + q.Encode()
	}
	return s.render(w, http.StatusOK, "outbox", view{Title: "Outbox", Actor: actor, Section: "outbox", Data: data})
}

// postOutboxRetry re-arms a delivery as POST /api/v1/outbox/{id}/retry
// does, and goes back to the list.
func (s *Server) postOutboxRetry(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	if _, err := s.app.RetryDelivery(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/outbox", http.StatusSeeOther)
	return nil
}
