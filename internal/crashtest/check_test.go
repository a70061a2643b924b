package crashtest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/store"
)

// sighting is a record found carrying a marker.
type sighting struct {
	kind     kind
	id       string
	incident string
}

// check compares the ledger with what the server holds after the crashes:
// the records as the API lists them, and the audit events as the database
// holds them. Then it verifies the chain through the API and the command
// line.
func (h *harness) check(t *testing.T, c *client, ledger []write) {
	t.Helper()
	rows := gather(t, c)
	events := h.auditMarkers(t)
	compare(t, ledger, rows, events)
	h.verifyChain(t, c)

	var n [3]int // acknowledged, in doubt, in doubt but landed
	for _, w := range ledger {
		switch w.outcome {
		case acked:
			n[0]++
		case inDoubt:
			n[1]++
			if len(rows[w.marker]) > 0 {
				n[2]++
			}
		}
	}
	t.Logf("%d writes: %d acknowledged, %d in doubt (%d of them landed)", len(ledger), n[0], n[1], n[2])
}

// gather lists, through the API, every incident, and every timeline entry
// and follow-up of each, by marker. A declaration lands whole or not at
// all, so each incident it finds must have its failed entity and its draft
// postmortem.
func gather(t *testing.T, c *client) map[string][]sighting {
	t.Helper()
	rows := map[string][]sighting{}
	var incidents []string
	cursor := ""
	for page := 0; ; page++ {
		if page == 100 {
			t.Fatal("more than 100 pages of incidents: the listing does not end")
		}
		var l struct {
			Items []struct {
				ID       string
				Title    string
				Entities []struct {
					Ref    string
					Origin bool
				}
			}
			NextCursor string `json:"next_cursor"`
		}
		if err := c.get("/api/v1/incidents?limit=500&cursor="+url.QueryEscape(cursor), &l); err != nil {
			t.Fatal(err)
		}
		for _, in := range l.Items {
			rows[in.Title] = append(rows[in.Title], sighting{kind: kindIncident, id: in.ID, incident: in.ID})
			incidents = append(incidents, in.ID)
			if len(in.Entities) != 1 || in.Entities[0].Ref != "component:default/ledger" || !in.Entities[0].Origin {
				t.Errorf("incident %s (%s) landed in part: its failed entities are %+v", in.ID, in.Title, in.Entities)
			}
		}
		if cursor = l.NextCursor; cursor == "" {
			break
		}
	}
	for _, id := range incidents {
		var pm struct{ State string }
		if err := c.get("/api/v1/incidents/"+id+"/postmortem", &pm); err != nil || pm.State != "draft" {
			t.Errorf("incident %s landed in part: its postmortem: %+v, %v", id, pm, err)
		}
		var tl struct{ Items []struct{ ID, Text string } }
		if err := c.get("/api/v1/incidents/"+id+"/timeline", &tl); err != nil {
			t.Fatal(err)
		}
		for _, e := range tl.Items {
			rows[e.Text] = append(rows[e.Text], sighting{kind: kindEntry, id: e.ID, incident: id})
		}
		var fs struct{ Items []struct{ ID, Title string } }
		if err := c.get("/api/v1/followups?limit=500&incident="+id, &fs); err != nil {
			t.Fatal(err)
		}
		if len(fs.Items) == 500 {
			t.Fatalf("incident %s has 500 follow-ups, a full page: some may be missing from the check", id)
		}
		for _, f := range fs.Items {
			rows[f.Title] = append(rows[f.Title], sighting{kind: kindFollowUp, id: f.ID, incident: id})
		}
	}
	return rows
}

// auditActions are the audit actions of the writes the clients make.
var auditActions = map[string]kind{
	"incident.declare": kindIncident,
	"timeline.add":     kindEntry,
	"followup.create":  kindFollowUp,
}

// auditMarkers reads the whole audit log from the database and returns,
// per marker, the kinds of the write events that carry it. The API has no
// listing of audit events; reading them is the one thing the test does
// behind the server's back, and it only reads.
func (h *harness) auditMarkers(t *testing.T) map[string][]kind {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, h.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	events := map[string][]kind{}
	err = db.WalkAudit(ctx, 0, 0, func(ev *audit.Event) error {
		k, ok := auditActions[ev.Action]
		if !ok {
			return nil
		}
		if m := markerPattern.Find(ev.Data); m != nil {
			events[string(m)] = append(events[string(m)], k)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the audit log: %v", err)
	}
	return events
}

// compare checks every write of the ledger against the records and the
// audit events found.
func compare(t *testing.T, ledger []write, rows map[string][]sighting, events map[string][]kind) {
	t.Helper()
	attempted := map[string]bool{}
	var refusals []string
	for _, w := range ledger {
		attempted[w.marker] = true
		got := rows[w.marker]
		switch {
		case len(got) > 1:
			t.Errorf("DUPLICATE: %s %s (%s) landed %d times: %+v", w.kind, w.marker, w.outcome, len(got), got)
		case len(got) == 0 && w.outcome == acked:
			t.Errorf("LOST: acknowledged %s %s (id %q, incident %q) is missing", w.kind, w.marker, w.id, w.incident)
		case len(got) == 1 && w.outcome == refused:
			t.Errorf("refused %s %s landed anyway (%+v); the refusal: %s", w.kind, w.marker, got[0], w.answer)
		case len(got) == 1 && !w.matches(got[0]):
			t.Errorf("%s %s (%s, id %q, incident %q) landed as something else: %+v", w.kind, w.marker, w.outcome, w.id, w.incident, got[0])
		}
		if w.outcome == refused {
			refusals = append(refusals, w.answer)
		}
	}
	if len(refusals) > 0 {
		t.Errorf("the server refused %d valid writes; the first: %s", len(refusals), refusals[0])
	}
	for marker, got := range rows {
		if !attempted[marker] {
			t.Errorf("%+v carries %q, which no client wrote", got, marker)
		}
	}
	for _, marker := range union(rows, events) {
		var want []kind
		for _, s := range rows[marker] {
			want = append(want, s.kind)
		}
		if fmt.Sprint(want) != fmt.Sprint(events[marker]) {
			t.Errorf("%s landed in part: records %v, but audit events %v", marker, want, events[marker])
		}
	}
}

// matches reports whether a record found is the write: same kind, and the
// IDs the server acknowledged, where it did.
func (w write) matches(s sighting) bool {
	return s.kind == w.kind && (w.id == "" || s.id == w.id) && (w.incident == "" || s.incident == w.incident)
}

// union returns the keys of both maps, each once.
func union(rows map[string][]sighting, events map[string][]kind) []string {
	var keys []string
	for k := range rows {
		keys = append(keys, k)
	}
	for k := range events {
		if _, ok := rows[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// verifyChain asks the server and then the command line to walk the
// audit chain; both must say it holds.
func (h *harness) verifyChain(t *testing.T, c *client) {
	t.Helper()
	var v struct {
		OK      bool  `json:"ok"`
		Events  int64 `json:"events"`
		HeadSeq int64 `json:"head_seq"`
		Break   any   `json:"break"`
	}
	if err := c.get("/api/v1/audit/verify", &v); err != nil {
		t.Fatal(err)
	}
	if !v.OK || v.Events != v.HeadSeq || v.Events == 0 {
		t.Errorf("GET /api/v1/audit/verify after the crashes: %+v", v)
	}
	out := h.cli(t, "audit", "verify") // fails the test unless it exits 0
	if !strings.HasPrefix(out, "audit chain holds") {
		t.Errorf("blameful audit verify: %s", out)
	}
}
