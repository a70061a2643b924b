package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// Who sees what (PRODUCT.md section 6), over HTTP, for every role around
// one private record: Ada's fault on checkout-api, decided by her leader
// (pay-lead), appealed to his leader (vp).
//
// The roles, from the test org (apptest/org.yaml):
var roles = []struct {
	name string
	user string // empty for a service token
	role org.Role
}{
	{"member", "user:dee", ""},                 // platform engineer, unrelated
	{"subject", "user:ada", ""},                // the accountable party
	{"teammate", "user:bob", ""},               // Ada's teammate in payments
	{"decider", "user:pay-lead", ""},           // Ada's leader
	{"decider's leader", "user:vp", ""},        // hears the appeal
	{"unrelated leader", "user:plat-lead", ""}, // leads another subtree
	{"hr", "", org.RoleHR},                     // HR, as a service
	{"admin", "", org.RoleAdmin},               // an administrator
}

// allowed lists which roles an operation admits; everyone else is refused.
type allowed map[string]bool

func only(names ...string) allowed {
	a := allowed{}
	for _, n := range names {
		a[n] = true
	}
	return a
}

// privateAudience is who sees Ada's assessment: the subject, the decider
// chain above her, HR and admins.
var privateAudience = only("subject", "decider", "decider's leader", "hr", "admin")

func TestWhoSeesWhat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		tokens := h.roleTokens()
		// Each write is tried by every role that may not make it (each must
		// be refused, changing nothing), then made by one that may.
		writes := func(step, method, path string, body map[string]any, may allowed, by string, status int) {
			t.Helper()
			may[by] = true
			for _, r := range roles {
				if may[r.name] {
					continue
				}
				res := h.do(call{method: method, path: path, body: body, token: tokens[r.name]})
				if res.status != http.StatusForbidden {
					t.Errorf("%s by %s: %d %s, want 403", step, r.name, res.status, res.body)
				}
			}
			h.do(call{method: method, path: path, body: body, token: tokens[by]}).want(t, status)
		}
		reads := func(what, path string, who allowed, private int, check func(role string, body string)) {
			t.Helper()
			for _, r := range roles {
				res := h.do(call{method: "GET", path: path, token: tokens[r.name]})
				want := http.StatusOK
				if !who[r.name] {
					want = private
				}
				if res.status != want {
					t.Errorf("%s as %s: %d %s, want %d", what, r.name, res.status, res.body, want)
					continue
				}
				if check != nil && res.status == http.StatusOK {
					check(r.name, string(res.body))
				}
			}
		}

		// Ada's fault: an incident on payments' component, attributed to her.
		id := h.declare("Refunds paid twice", "SEV2", "component:checkout-api", time.Hour)
		h.do(call{method: "PUT", path: "/api/v1/incidents/" + id + "/attribution",
			body: map[string]any{"party": "user:ada", "justification": "she ran the backfill by hand"}}).want(t, http.StatusOK)
		assessment := "/api/v1/incidents/" + id + "/assessment"

		writes("judging the factors", "PUT", assessment, map[string]any{"factors": map[string]any{"expected_to_prevent": "yes"}}, only(), "decider", http.StatusOK)
		writes("deciding the level", "POST", assessment+"/decision", map[string]any{"level": 2, "justification": "second time this quarter"}, only(), "decider", http.StatusOK)
		writes("appealing", "POST", assessment+"/appeal", map[string]any{"reason": "the runbook said to"}, only(), "subject", http.StatusCreated)
		writes("deciding the appeal", "POST", assessment+"/appeal/outcome", map[string]any{"level": 1, "justification": "the runbook was wrong"}, only(), "decider's leader", http.StatusOK)

		reads("the assessment", assessment, privateAudience, http.StatusForbidden, func(role, body string) {
			if !strings.Contains(body, `"level":1`) || !strings.Contains(body, "the runbook was wrong") {
				t.Errorf("the assessment as %s lacks the outcome: %s", role, body)
			}
		})
		// Existence is private where nothing public implies it.
		reads("an assessment that does not exist", "/api/v1/incidents/INC-1999-0001/assessment", nil, http.StatusNotFound, nil)

		// Public records carry party and rule, never a level or a justification.
		public := func(what, path string) {
			reads(what, path, only("member", "subject", "teammate", "decider", "decider's leader", "unrelated leader", "hr", "admin"), 0, func(role, body string) {
				for _, leak := range []string{"the runbook was wrong", "second time this quarter", `"level"`, "improvement", "formal_warning"} {
					if strings.Contains(body, leak) {
						t.Errorf("%s as %s leaks %q: %s", what, role, leak, body)
					}
				}
			})
		}
		public("the incident", "/api/v1/incidents/"+id)
		public("the attribution", "/api/v1/incidents/"+id+"/attribution")
		public("the postmortem", "/api/v1/incidents/"+id+"/postmortem")
		public("the incident list", "/api/v1/incidents")
		week := review.WeekOf(h.clock.Now()).String()
		public("the weekly review", "/api/v1/reviews/weekly/"+week)
		public("the weekly review in Markdown", "/api/v1/reviews/weekly/"+week+"?format=md")

		// Ledgers: the A4 part is public, fairness is the leader's chain's.
		reads("pay-lead's ledger", "/api/v1/leaders/user:pay-lead/ledger", only("member", "subject", "teammate", "decider", "decider's leader", "unrelated leader", "hr", "admin"), 0,
			func(role, body string) {
				private := strings.Contains(body, `"private_visible":true`)
				if want := role == "decider" || role == "decider's leader" || role == "hr" || role == "admin"; private != want {
					t.Errorf("pay-lead's ledger as %s: private parts shown %v, want %v", role, private, want)
				}
				if !private && (!strings.Contains(body, `"fairness":null`) || strings.Contains(body, `"fairness_flags":[{`)) {
					t.Errorf("pay-lead's ledger as %s leaks fairness: %s", role, body)
				}
			})
		// The fairness report: leaders see their organisation, HR and
		// admins everyone, members nothing.
		reads("the fairness report", "/api/v1/fairness", only("decider", "decider's leader", "unrelated leader", "hr", "admin"), http.StatusForbidden,
			func(role, body string) {
				seen := strings.Contains(body, "user:default/pay-lead")
				if want := role != "unrelated leader"; seen != want {
					t.Errorf("the fairness report as %s shows pay-lead %v, want %v: %s", role, seen, want, body)
				}
			})

		// A confirmed integrity violation of Ada's, who declared a SEV1 two
		// hours late: the flag stays listed for everyone, its outcome only
		// for her audience and its reviewer. Her own leaders may review it,
		// a leader elsewhere may not, and she may not review her own.
		in, err := h.app.DeclareIncident(ctx, apptest.Person("ada"), app.IncidentInput{Title: "Late page", Severity: incident.SEV1,
			StartedAt: h.clock.Now().Add(-3 * time.Hour), DetectedAt: h.clock.Now().Add(-2 * time.Hour),
			Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		flags, err := h.app.IntegrityFlags(ctx, adminActor(), in.ID, integrity.Open)
		if err != nil || len(flags) != 1 {
			t.Fatalf("want one I1 flag: %v %+v", err, flags)
		}
		writes("confirming the flag", "POST", "/api/v1/integrity-flags/"+flags[0].ID+"/review",
			map[string]any{"confirm": true, "subject": "user:ada", "reason": "Ada silenced the page"}, only("decider", "decider's leader", "admin"), "hr", http.StatusOK)
		reads("the confirmed flag", "/api/v1/integrity-flags?incident="+string(in.ID), only("member", "subject", "teammate", "decider", "decider's leader", "unrelated leader", "hr", "admin"), 0,
			func(role, body string) {
				full := strings.Contains(body, `"state":"confirmed"`) && strings.Contains(body, "Ada silenced the page")
				if want := privateAudience[role]; full != want {
					t.Errorf("the confirmed flag as %s: outcome shown %v, want %v: %s", role, full, want, body)
				}
				if !full && (!strings.Contains(body, `"state":"reviewed"`) || strings.Contains(body, "user:default/ada\",\"reason")) {
					t.Errorf("the confirmed flag as %s is not redacted: %s", role, body)
				}
			})

		// A person's data is theirs, HR's and admins'.
		reads("Ada's export", "/api/v1/people/user:ada/export", only("subject", "hr", "admin"), http.StatusForbidden, nil)
	})
}
