package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/notify"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// outboxReceiver is a local webhook receiver that answers status.
type outboxReceiver struct {
	srv    *httptest.Server
	status atomic.Int32
	got    atomic.Int32
}

func newOutboxReceiver(t *testing.T, status int) *outboxReceiver {
	r := &outboxReceiver{}
	r.status.Store(int32(status))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		r.got.Add(1)
		w.WriteHeader(int(r.status.Load()))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *outboxReceiver) sender(tries int) *notify.Sender {
	return &notify.Sender{WebhookURL: r.srv.URL, WebhookSecret: []byte("0123456789abcdef"), AllowPrivate: true, MaxAttempts: tries}
}

// queue puts a message in the outbox as a write of the app would.
func queue(t *testing.T, db *store.DB, id, kind string) {
	t.Helper()
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		return tx.Enqueue(store.OutboxMessage{ID: id, Kind: kind, Recipient: "user:default/ada", Payload: []byte(`{"followup":"FU-2026-0001"}`),
			CreatedAt: apptest.Start})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// deliveries makes one delivery in each state: failing (pending after a
// failed try), dead, and delivered.
func (f *fixture) deliveries() map[string]string {
	f.t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for i, c := range []struct {
		state  string
		status int
		tries  int
	}{{"failing", 500, 5}, {"dead", 500, 1}, {"delivered", 204, 5}} {
		queue(f.t, f.h.db, fmt.Sprintf("0190dddd-0000-7000-8000-00000000000%d", i+1), "fixture."+c.state)
		recv := newOutboxReceiver(f.t, c.status)
		if _, err := f.h.app.DeliverOutbox(ctx, recv.sender(c.tries), f.h.clock.Now()); err != nil {
			f.t.Fatal(err)
		}
		var list struct {
			Items []struct{ ID, Kind, State string }
		}
		if err := json.Unmarshal(f.h.do(call{method: "GET", path: "/api/v1/outbox?kind=fixture." + c.state}).body, &list); err != nil || len(list.Items) != 1 {
			f.t.Fatalf("the %s delivery: %+v, %v", c.state, list, err)
		}
		out[c.state] = list.Items[0].ID
	}
	return out
}

// TestOutboxAPI: administrators list deliveries (filtered by state and
// kind, paged) and retry a dead one, which the next pass delivers;
// everyone else is refused, and a retry of what needs none is a conflict.
func TestOutboxAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		for i := range 3 {
			queue(t, db, fmt.Sprintf("0190eeee-0000-7000-8000-00000000000%d", i+1), "followup.reminder")
		}
		recv := newOutboxReceiver(t, 500)
		if rep, err := h.app.DeliverOutbox(ctx, recv.sender(1), h.clock.Now()); err != nil || rep.Dead != 3 {
			t.Fatalf("pass: %+v, %v", rep, err)
		}
		type item struct {
			ID        string `json:"id"`
			Key       string `json:"key"`
			State     string `json:"state"`
			Attempts  int    `json:"attempts"`
			LastError string `json:"last_error"`
			Channel   string `json:"channel"`
		}
		var list struct {
			Items      []item `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		res := h.do(call{method: "GET", path: "/api/v1/outbox?state=dead&kind=followup.reminder&limit=2"}).want(t, 200)
		if err := json.Unmarshal(res.body, &list); err != nil || len(list.Items) != 2 || list.NextCursor == "" {
			t.Fatalf("first page: %s", res.body)
		}
		first := list.Items
		res = h.do(call{method: "GET", path: "/api/v1/outbox?state=dead&limit=2&cursor=" + list.NextCursor}).want(t, 200)
		list.Items, list.NextCursor = nil, ""
		if err := json.Unmarshal(res.body, &list); err != nil || len(list.Items) != 1 || list.Items[0].ID >= first[1].ID {
			t.Fatalf("second page: %s", res.body)
		}
		d := list.Items[0]
		if d.State != "dead" || d.Attempts != 1 || d.LastError == "" || d.Channel != "webhook" || d.Key == "" {
			t.Errorf("a dead delivery: %+v", d)
		}
		h.do(call{method: "GET", path: "/api/v1/outbox?state=delivered"}).want(t, 200)
		h.do(call{method: "GET", path: "/api/v1/outbox?state=lost", invalid: true}).want(t, 422)
		h.do(call{method: "GET", path: "/api/v1/outbox?kind=%3Cscript%3E", invalid: true}).want(t, 422)

		tokens := h.roleTokens()
		for _, r := range roles {
			if r.name == "admin" {
				continue
			}
			h.do(call{method: "GET", path: "/api/v1/outbox", token: tokens[r.name]}).want(t, 403)
			h.do(call{method: "POST", path: "/api/v1/outbox/" + d.ID + "/retry", token: tokens[r.name]}).want(t, 403)
		}
		h.do(call{method: "POST", path: "/api/v1/outbox/no-such-delivery/retry"}).want(t, 404)

		_, events := h.counts()
		res = h.do(call{method: "POST", path: "/api/v1/outbox/" + d.ID + "/retry"}).want(t, 200)
		var again item
		if err := json.Unmarshal(res.body, &again); err != nil || again.State != "pending" || again.Attempts != 0 {
			t.Errorf("retried: %s", res.body)
		}
		if _, after := h.counts(); after != events+1 {
			t.Errorf("a retry wrote %d audit events, want 1", after-events)
		}
		recv.status.Store(200)
		before := recv.got.Load()
		if rep, err := h.app.DeliverOutbox(ctx, recv.sender(1), h.clock.Now()); err != nil || rep.Delivered != 1 {
			t.Errorf("after the retry: %+v, %v", rep, err)
		}
		if recv.got.Load() != before+1 {
			t.Errorf("the receiver got %d requests after the retry, want 1", recv.got.Load()-before)
		}
		h.do(call{method: "POST", path: "/api/v1/outbox/" + d.ID + "/retry"}).want(t, 409)
	})
}
