package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/notify"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

var webhookSecret = []byte("test-webhook-secret")

// receiver is a real local webhook receiver. It answers fail for the first
// failFor requests (forever when negative), verifies every signature
// against the time the test says it is, and records each key it accepted.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	now      time.Time
	failFor  int
	requests int
	keys     map[string]int // accepted requests per Blameful-Delivery key
	bad      []string
	onAccept func(n int)
	delay    time.Duration
}

func newReceiver(t *testing.T, failFor int) *receiver {
	r := &receiver{t: t, failFor: failFor, keys: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	key := req.Header.Get("Blameful-Delivery")
	if err := notify.Verify(webhookSecret, req.Header.Get("Blameful-Signature"), body, r.now, notify.DefaultTolerance); err != nil {
		r.bad = append(r.bad, key+": "+err.Error())
	}
	var env notify.Envelope
	if err := json.Unmarshal(body, &env); err != nil || env.Delivery != key {
		r.bad = append(r.bad, fmt.Sprintf("%s: envelope %s", key, body))
	}
	if r.failFor < 0 || r.requests <= r.failFor {
		http.Error(w, "not today", http.StatusInternalServerError)
		return
	}
	r.keys[key]++
	if r.onAccept != nil {
		r.onAccept(len(r.keys))
	}
}

func (r *receiver) at(now time.Time) {
	r.mu.Lock()
	r.now = now
	r.mu.Unlock()
}

func (r *receiver) setFail(n int) {
	r.mu.Lock()
	r.failFor, r.requests = n, 0
	r.mu.Unlock()
}

func (r *receiver) accepted() (keys map[string]int, requests int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bad {
		r.t.Errorf("receiver: %s", b)
	}
	r.bad = nil
	out := map[string]int{}
	for k, v := range r.keys {
		out[k] = v
	}
	return out, r.requests
}

func (r *receiver) sender() *notify.Sender {
	return &notify.Sender{WebhookURL: r.srv.URL + "/hook", WebhookSecret: webhookSecret, AllowPrivate: true, MaxAttempts: 4}
}

// enqueue queues n messages of a kind directly in the outbox, as a write
// of the app would.
func enqueue(t *testing.T, db *store.DB, n int, kind, recipient string, at time.Time) []string {
	t.Helper()
	var ids []string
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		for i := range n {
			id := fmt.Sprintf("0190aaaa-0000-7000-8000-%012d", i+1)
			ids = append(ids, id)
			payload := fmt.Sprintf(`{"followup":"FU-2026-%04d","title":"Add an alert","due":"2026-11-23","owner":%q,"incident":"INC-2026-0001"}`, i+1, recipient)
			if err := tx.Enqueue(store.OutboxMessage{ID: id, Kind: kind, Recipient: recipient, Payload: []byte(payload), CreatedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func deliver(t *testing.T, a *app.App, s *notify.Sender, now time.Time) app.DeliveryReport {
	t.Helper()
	rep, err := a.DeliverOutbox(context.Background(), s, now)
	if err != nil {
		t.Fatalf("deliver at %s: %v", now, err)
	}
	return rep
}

func deliveries(t *testing.T, a *app.App, state string) []app.DeliveryView {
	t.Helper()
	list, err := a.Deliveries(context.Background(), apptest.Admin(), app.DeliveryFilter{State: state, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestDeliveryRetriesWithBackoff: a receiver that fails twice, then
// recovers, gets the message delivered once, on the third try, with the
// back-off between tries respected on the injected clock and the same key
// and a valid signature on every try.
func TestDeliveryRetriesWithBackoff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		recv := newReceiver(t, 2)
		s := recv.sender()
		t0 := apptest.Start
		enqueue(t, db, 1, "followup.reminder", "user:default/ada", t0)

		pass := func(at time.Time, want app.DeliveryReport) {
			t.Helper()
			recv.at(at)
			got := deliver(t, a, s, at)
			got.Dispatched = 0
			if got != want {
				t.Errorf("pass at %s: %+v, want %+v", at.Sub(t0), got, want)
			}
		}
		pass(t0, app.DeliveryReport{Failed: 1})
		// The first back-off is 30s ±20%: nothing is due before 24s.
		pass(t0.Add(23*time.Second), app.DeliveryReport{})
		pass(t0.Add(37*time.Second), app.DeliveryReport{Failed: 1})
		// The second is 60s ±20% after that try.
		pass(t0.Add(37*time.Second+47*time.Second), app.DeliveryReport{})
		pass(t0.Add(37*time.Second+73*time.Second), app.DeliveryReport{Delivered: 1})
		pass(t0.Add(3*time.Hour), app.DeliveryReport{})

		keys, requests := recv.accepted()
		if requests != 3 || len(keys) != 1 {
			t.Fatalf("receiver: %d requests, accepted %v", requests, keys)
		}
		list := deliveries(t, a, "")
		if len(list) != 1 || list[0].State != "delivered" || list[0].Attempts != 3 || keys[list[0].Key] != 1 || list[0].Channel != "webhook" {
			t.Errorf("deliveries: %+v", list)
		}
		if list[0].LastError != "" || !list[0].DeliveredAt.Equal(t0.Add(110*time.Second)) {
			t.Errorf("a delivered delivery keeps error %q, delivered at %s", list[0].LastError, list[0].DeliveredAt)
		}
	})
}

// TestDeliveryDeadThenRetried: a receiver that always fails makes the
// delivery dead after MaxAttempts tries; an administrator's retry re-arms
// it (an audited write), and once the receiver recovers it is delivered.
// Only administrators see deliveries or retry them.
func TestDeliveryDeadThenRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		recv := newReceiver(t, -1)
		s := recv.sender()
		now := apptest.Start
		enqueue(t, db, 1, "followup.escalation", "user:default/bob", now)
		var total app.DeliveryReport
		for range 10 {
			recv.at(now)
			rep := deliver(t, a, s, now)
			total.Failed += rep.Failed
			total.Dead += rep.Dead
			now = now.Add(2 * time.Hour)
		}
		if total.Failed != 3 || total.Dead != 1 {
			t.Fatalf("tries: %+v, want 3 failed and then dead", total)
		}
		dead := deliveries(t, a, "dead")
		if len(dead) != 1 || dead[0].Attempts != 4 || dead[0].LastError == "" || !dead[0].CanRetry() {
			t.Fatalf("dead: %+v", dead)
		}
		if _, err := a.Deliveries(context.Background(), apptest.Person("ada"), app.DeliveryFilter{}); err == nil {
			t.Error("a member listed deliveries")
		}
		if _, err := a.RetryDelivery(context.Background(), apptest.Person("pay-lead", org.RoleLeader), dead[0].ID); err == nil {
			t.Error("a leader retried a delivery")
		}
		if _, err := a.Deliveries(context.Background(), apptest.Admin(), app.DeliveryFilter{State: "lost"}); err == nil {
			t.Error("an unknown state was accepted")
		}
		clock.Set(now)
		v, err := a.RetryDelivery(context.Background(), apptest.Admin(), dead[0].ID)
		if err != nil || v.State != "pending" || v.Attempts != 0 {
			t.Fatalf("retry: %+v, %v", v, err)
		}
		recv.setFail(0)
		recv.at(now)
		if rep := deliver(t, a, s, now); rep.Delivered != 1 {
			t.Errorf("after the retry: %+v", rep)
		}
		if _, err := a.RetryDelivery(context.Background(), apptest.Admin(), dead[0].ID); err == nil {
			t.Error("a delivered delivery was retried")
		}
		if _, err := a.RetryDelivery(context.Background(), apptest.Admin(), "no-such-id"); err == nil {
			t.Error("an unknown delivery was retried")
		}
		keys, _ := recv.accepted()
		if len(keys) != 1 || keys[dead[0].Key] != 1 {
			t.Errorf("accepted %v", keys)
		}
	})
}

// TestDeliveryKinds: the kinds the app queues are the ones notify renders
// and routes by name.
func TestDeliveryKinds(t *testing.T) {
	if app.OutboxCheckpoint != notify.KindCheckpoint {
		t.Errorf("checkpoints are queued as %q but routed as %q", app.OutboxCheckpoint, notify.KindCheckpoint)
	}
	for _, kind := range []string{app.OutboxReminder, app.OutboxEscalation, app.OutboxApproval, app.OutboxDecided, app.OutboxDigest} {
		r := notify.Render(notify.Message{Kind: kind, Recipient: "user:default/ada", Payload: []byte(`{"followup":"FU-2026-0001","week":"2026-W47"}`)})
		if strings.HasPrefix(r.Title, "blameful: ") {
			t.Errorf("%s renders as an unknown kind: %q", kind, r.Title)
		}
	}
}

// TestDeliveryChannelsAndRecipients: checkpoints go to the webhook only;
// a private notice reaches Slack without its content; email goes to the
// addresses the recipient resolves to, and not at all without one.
func TestDeliveryChannelsAndRecipients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		var mu sync.Mutex
		slack := map[string]string{}
		slackSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			slack[r.URL.Path] += string(b)
			mu.Unlock()
		}))
		defer slackSrv.Close()
		recv := newReceiver(t, 0)
		s := recv.sender()
		s.SlackURL = slackSrv.URL + "/slack"
		now := apptest.Start
		recv.at(now)
		err := db.Update(context.Background(), func(tx *store.Tx) error {
			for _, m := range []store.OutboxMessage{
				{ID: "0190bbbb-0000-7000-8000-000000000001", Kind: notify.KindCheckpoint, Recipient: "checkpoint", Payload: []byte(`{"seq":12}`)},
				{ID: "0190bbbb-0000-7000-8000-000000000002", Kind: "integrity.confirmed", Recipient: "role:hr", Payload: []byte(`{"subject":"user:default/mallory"}`)},
			} {
				m.CreatedAt = now
				if err := tx.Enqueue(m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		rep := deliver(t, a, s, now)
		if rep.Delivered != 3 || rep.Dispatched != 2 {
			t.Errorf("report %+v, want 3 deliveries of 2 messages", rep)
		}
		keys, _ := recv.accepted()
		if len(keys) != 2 {
			t.Errorf("webhook got %v", keys)
		}
		if len(slack) != 1 || strings.Contains(slack["/slack"], "mallory") || strings.Contains(slack["/slack"], "seq") {
			t.Errorf("Slack got %v", slack)
		}
		// Email recipients.
		_, _, err = a.CreateAccount(context.Background(), apptest.Admin(), app.NewAccount{Email: "HR.Desk@example.com", Person: "user:default/dee", Roles: []org.Role{org.RoleHR}, Password: "a long enough password 1"})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(context.Background(), func(tx *store.Tx) error {
			p, err := tx.Person("user:default/pay-lead")
			if err != nil {
				return err
			}
			p.Email = "pay-lead@example.com"
			tx.RecordAudit(audit.Entry{ID: "0190cccc-0000-7000-8000-000000000001", At: now, Actor: "token:default/test-admin",
				Action: "person.update", Subject: "user:default/pay-lead", Data: []byte(`{}`)})
			return tx.SavePerson(p, now)
		})
		if err != nil {
			t.Fatal(err)
		}
		for recipient, want := range map[string]string{
			"user:default/ada": "ada@example.com", "group:default/payments": "pay-lead@example.com", "role:hr": "hr.desk@example.com",
			"user:default/bob": "", "group:default/ghosts": "", "channel": "", "user:default/nobody": "",
		} {
			got, err := app.RecipientAddresses(context.Background(), a, recipient, now)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(nonEmpty(want)) {
				t.Errorf("%s resolves to %v (%v), want %q", recipient, got, err, want)
			}
		}
	})
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
