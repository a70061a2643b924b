package recurrence_test

import (
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/rule"
)

var start = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)

func failed(refs ...string) []incident.FailedEntity {
	var out []incident.FailedEntity
	for i, r := range refs {
		out = append(out, incident.FailedEntity{Ref: org.MustRef(r), Origin: i == 0})
	}
	return out
}

func TestRank(t *testing.T) {
	s := recurrence.Subject{ID: "INC-2026-0100", Title: "Checkout connection pool exhausted", StartedAt: start,
		Entities: failed("component:checkout"), Alerts: recurrence.Alerts{Fingerprints: []string{"abc"}, Labels: map[string]string{"severity": "page", "alertname": "Pool"}}}
	day := 24 * time.Hour
	cands := []recurrence.Candidate{
		{ID: "INC-2026-0001", Title: "Checkout connection pool exhausted", StartedAt: start.Add(-30 * day), Entities: failed("component:checkout"),
			Alerts: recurrence.Alerts{Fingerprints: []string{"abc"}}},
		{ID: "INC-2026-0002", Title: "Checkout TLS certificate expired", StartedAt: start.Add(-20 * day), Entities: failed("component:checkout")},
		{ID: "INC-2026-0003", Title: "Search connection pool exhausted", StartedAt: start.Add(-10 * day), Entities: failed("component:search")},
		{ID: "INC-2026-0004", Title: "Unrelated", StartedAt: start.Add(-10 * day), Entities: failed("component:mail"),
			Alerts: recurrence.Alerts{Labels: map[string]string{"severity": "page"}}},
		{ID: "INC-2025-0001", Title: "Checkout connection pool exhausted", StartedAt: start.Add(-400 * day), Entities: failed("component:checkout")},
		{ID: "INC-2026-0200", Title: "Checkout connection pool exhausted", StartedAt: start.Add(day), Entities: failed("component:checkout")},
		{ID: "INC-2026-0100", Title: "itself", StartedAt: start.Add(-day), Entities: failed("component:checkout")},
		{ID: "INC-2026-0005", Title: "Cart pool exhausted", StartedAt: start.Add(-5 * day), Entities: failed("component:cart")},
	}
	systems := recurrence.Systems{org.MustRef("component:checkout"): {org.MustRef("system:shop")}, org.MustRef("component:cart"): {org.MustRef("system:shop")}}
	got := recurrence.Rank(s, cands, systems)
	var ids []string
	for _, m := range got {
		ids = append(ids, string(m.Incident))
		if m.Score <= 0 || m.Score > 1 {
			t.Errorf("%s: score %v", m.Incident, m.Score)
		}
	}
	if len(got) == 0 || got[0].Incident != "INC-2026-0001" {
		t.Fatalf("ranked %v, want INC-2026-0001 first", ids)
	}
	for _, no := range []string{"INC-2026-0004", "INC-2025-0001", "INC-2026-0200", "INC-2026-0100"} {
		if strings.Contains(strings.Join(ids, " "), no) {
			t.Errorf("ranked %v, includes %s", ids, no)
		}
	}
	reasons := strings.Join(got[0].Reasons, "; ")
	for _, want := range []string{"same failed entity component:default/checkout (origin of both)", "shared alert fingerprint abc", "similar text: \"connection pool exhausted\"", "started 30 days earlier"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("reasons %q lack %q", reasons, want)
		}
	}
	for _, m := range got {
		if m.Incident == "INC-2026-0005" && !strings.Contains(strings.Join(m.Reasons, ";"), "same system system:default/shop") {
			t.Errorf("cart: %v", m.Reasons)
		}
	}
	// Deterministic: the same input gives the same order, and ties go to
	// the more recent, then the lower ID.
	tie := []recurrence.Candidate{
		{ID: "INC-2026-0011", Title: "x", StartedAt: start.Add(-day), Entities: failed("component:checkout")},
		{ID: "INC-2026-0010", Title: "x", StartedAt: start.Add(-day), Entities: failed("component:checkout")},
		{ID: "INC-2026-0009", Title: "x", StartedAt: start.Add(-2 * day), Entities: failed("component:checkout")},
	}
	got = recurrence.Rank(s, tie, nil)
	if len(got) != 3 || got[0].Incident != "INC-2026-0010" || got[1].Incident != "INC-2026-0011" || got[2].Incident != "INC-2026-0009" {
		t.Errorf("ties: %+v", got)
	}
	// At most five.
	var many []recurrence.Candidate
	for i := range 9 {
		many = append(many, recurrence.Candidate{ID: incident.FormatID(2026, i+1), StartedAt: start.Add(-time.Duration(i+1) * day), Entities: failed("component:checkout")})
	}
	if got := recurrence.Rank(s, many, nil); len(got) != recurrence.Top {
		t.Errorf("%d candidates, want %d", len(got), recurrence.Top)
	}
}

func TestCheckWindow(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		earlier time.Time
		ok      bool
	}{{start.Add(-day), true}, {start.Add(-365 * day), true}, {start.Add(-366 * day), false}, {start, false}, {start.Add(day), false}} {
		err := recurrence.CheckWindow("INC-2026-0002", "INC-2026-0001", start, c.earlier)
		if (err == nil) != c.ok {
			t.Errorf("earlier at %s: %v", c.earlier, err)
		}
		if e, ok := errs.As(err); err != nil && (!ok || e.Rule != rule.F6 || e.Fields["earlier"] == "") {
			t.Errorf("earlier at %s: %v does not name F6 and the field", c.earlier, err)
		}
	}
}

func TestAlertsNormalize(t *testing.T) {
	a, err := recurrence.Alerts{Fingerprints: []string{" b ", "a", "a"}, Labels: map[string]string{"alertname": " Pool "}}.Normalize()
	if err != nil || strings.Join(a.Fingerprints, ",") != "a,b" || a.Labels["alertname"] != "Pool" || strings.Join(a.LabelPairs(), ",") != "alertname=Pool" {
		t.Fatalf("%+v %v", a, err)
	}
	for _, bad := range []recurrence.Alerts{{Fingerprints: []string{""}}, {Fingerprints: []string{"a\x00"}}, {Labels: map[string]string{"1x": "y"}},
		{Labels: map[string]string{"x": strings.Repeat("y", 201)}}} {
		if _, err := bad.Normalize(); errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), "alert_") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestTokens(t *testing.T) {
	got := recurrence.Tokens("The checkout pods were OOM-killed: memory leaks, memory!")
	if strings.Join(got, " ") != "checkout pods oom kill memory leak" {
		t.Errorf("tokens %v", got)
	}
	if terms := recurrence.QueryTerms(`pool "exhausted" OR x; DROP`, 5); strings.Join(terms, " ") != "exhausted pool drop" {
		t.Errorf("query terms %v", terms)
	}
}

// TestMissedBy (F7): only the follow-ups open when the recurrence started
// count: created before it, not closed by then.
func TestMissedBy(t *testing.T) {
	day := 24 * time.Hour
	list := []recurrence.FollowUp{
		{ID: "open", Owner: "user:default/bob", CreatedAt: start.Add(-10 * day)},
		{ID: "closed-before", CreatedAt: start.Add(-10 * day), ClosedAt: start.Add(-day)},
		{ID: "closed-after", CreatedAt: start.Add(-10 * day), ClosedAt: start.Add(day)},
		{ID: "created-after", CreatedAt: start.Add(day)},
	}
	var got []string
	for _, m := range recurrence.MissedBy("INC-2026-0002", "INC-2026-0001", start, list, start.Add(2*day)) {
		got = append(got, m.FollowUp)
		if m.Incident != "INC-2026-0002" || m.Earlier != "INC-2026-0001" || !m.IsActive() {
			t.Errorf("%+v", m)
		}
	}
	if strings.Join(got, " ") != "open closed-after" {
		t.Errorf("missed %v, want open and closed-after", got)
	}
}
