package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// roleTokens makes a token for each role of the visibility matrix.
func (h *harness) roleTokens() map[string]*string {
	h.t.Helper()
	tokens := map[string]*string{}
	for _, r := range roles {
		nt := app.NewToken{Name: strings.NewReplacer(" ", "-", "'", "").Replace(r.name)}
		if r.user != "" {
			nt.User = org.MustRef(r.user)
		} else {
			nt.Roles = []org.Role{r.role}
		}
		_, secret, err := h.app.CreateToken(context.Background(), adminActor(), nt)
		if err != nil {
			h.t.Fatal(err)
		}
		tokens[r.name] = &secret
	}
	return tokens
}

// oracleCase is one write route, tried against targets in different states.
type oracleCase struct {
	route  string // "METHOD /api/v1/…" as the OpenAPI document has it
	path   string // the path, %s standing for the target
	body   any
	ctype  string
	states func(f *fixture) map[string]string // state name -> target
}

// TestNoPrivateStateOracle: authority comes before state. For every write
// route of the API, and every role of PRODUCT.md section 6, a caller who is
// refused is refused with the same answer whatever state the target is in
// (no answer tells whether an assessment was decided, appealed or heard, or
// a flag reviewed), and a refusal writes nothing.
func TestNoPrivateStateOracle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		tokens := h.roleTokens()
		f := &fixture{t: t, h: h}
		assessment := func(f *fixture) map[string]string { return f.assessments() }
		cases := []oracleCase{
			{route: "PUT /api/v1/incidents/{id}/assessment", path: "/api/v1/incidents/%s/assessment",
				body: map[string]any{"factors": map[string]any{"expected_to_prevent": "yes"}}, states: assessment},
			{route: "POST /api/v1/incidents/{id}/assessment/decision", path: "/api/v1/incidents/%s/assessment/decision",
				body: map[string]any{"level": 1, "justification": "as discussed"}, states: assessment},
			{route: "POST /api/v1/incidents/{id}/assessment/appeal", path: "/api/v1/incidents/%s/assessment/appeal",
				body: map[string]any{"reason": "the runbook said so"}, states: assessment},
			{route: "POST /api/v1/incidents/{id}/assessment/appeal/outcome", path: "/api/v1/incidents/%s/assessment/appeal/outcome",
				body: map[string]any{"level": 0, "justification": "the runbook was wrong"}, states: assessment},
			{route: "PUT /api/v1/incidents/{id}/attribution", path: "/api/v1/incidents/%s/attribution",
				body: map[string]any{"party": "group:payments"}, states: (*fixture).attributions},
			{route: "POST /api/v1/integrity-flags/{id}/review", path: "/api/v1/integrity-flags/%s/review",
				body: map[string]any{"confirm": false, "reason": "a quiet night"}, states: (*fixture).flags},
			{route: "PATCH /api/v1/incidents/{id}/timeline/{entry}", path: "/api/v1/incidents/%s",
				body: map[string]any{"text": "rewritten"}, states: (*fixture).entries},
			{route: "DELETE /api/v1/incidents/{id}/timeline/{entry}", path: "/api/v1/incidents/%s", states: (*fixture).entries},
			{route: "POST /api/v1/incidents/{id}/postmortem/transitions", path: "/api/v1/incidents/%s/postmortem/transitions",
				body: map[string]any{"to": "published"}, states: (*fixture).postmortems},
			{route: "PUT /api/v1/incidents/{id}/postmortem", path: "/api/v1/incidents/%s/postmortem",
				body: map[string]any{"mechanism": "a retry storm"}, states: (*fixture).postmortems},
			{route: "PATCH /api/v1/incidents/{id}", path: "/api/v1/incidents/%s",
				body: map[string]any{"impact": "some shoppers"}, states: (*fixture).incidents},
			{route: "POST /api/v1/incidents/{id}/timeline", path: "/api/v1/incidents/%s/timeline",
				body: map[string]any{"occurred_at": apptest.Start.Add(-time.Hour).Format(time.RFC3339), "text": "noted"}, states: (*fixture).incidents},
			{route: "POST /api/v1/followups", path: "/api/v1/followups%s", states: (*fixture).nothing},
			{route: "PATCH /api/v1/followups/{id}", path: "/api/v1/followups/%s",
				body: map[string]any{"priority": "P1"}, states: (*fixture).followUps},
			{route: "POST /api/v1/followups/{id}/approval", path: "/api/v1/followups/%s/approval",
				body: map[string]any{"approve": true}, states: (*fixture).wontDos},
			{route: "POST /api/v1/followups/{id}/export", path: "/api/v1/followups/%s/export",
				body: map[string]any{"tracker": "github", "repo": "acme/shop"}, states: (*fixture).exports},
			{route: "POST /api/v1/incidents", path: "/api/v1/incidents%s", states: (*fixture).nothing},
			{route: "POST /api/v1/changes", path: "/api/v1/changes%s", states: (*fixture).nothing},
			{route: "POST /api/v1/freezes", path: "/api/v1/freezes%s", states: (*fixture).nothing},
			{route: "POST /api/v1/incidents/{id}/changes", path: "/api/v1/incidents/%s/changes", states: (*fixture).incidents},
			{route: "POST /api/v1/recurrences", path: "/api/v1/recurrences%s", states: (*fixture).nothing,
				body: map[string]any{"incident": "INC-2026-0001", "earlier": "INC-2026-0001", "confirm": false}},
			{route: "POST /api/v1/import/org", path: "/api/v1/import/org%s", body: orgV1, ctype: "application/yaml", states: (*fixture).nothing},
			{route: "POST /api/v1/import/backstage", path: "/api/v1/import/backstage%s", body: "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: web}\nspec: {type: team, children: []}\n",
				ctype: "application/yaml", states: (*fixture).nothing},
			{route: "POST /api/v1/import/codeowners", path: "/api/v1/import/codeowners?repo=acme/shop%s", body: "* @acme/payments\n",
				ctype: "text/plain", states: (*fixture).nothing},
			{route: "POST /api/v1/outbox/{id}/retry", path: "/api/v1/outbox/%s/retry", states: (*fixture).deliveries},
			{route: "DELETE /api/v1/tokens/{id}", path: "/api/v1/tokens/%s", states: (*fixture).tokens},
			// Last: erasing people changes who the tokens act for.
			{route: "POST /api/v1/people/{ref}/erasure", path: "/api/v1/people/%s/erasure",
				body: map[string]any{"reason": "their request of 1 November"}, states: (*fixture).people},
		}
		checkCoverage(t, h, cases)
		idPattern := regexp.MustCompile(`INC-\d{4}-\d{4,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|FU-\d{4}-\d{4,}|user:default/(cy|co-lead)`)
		for _, c := range cases {
			targets := c.states(f)
			names := slices.Sorted(func(yield func(string) bool) {
				for n := range targets {
					if !yield(n) {
						return
					}
				}
			})
			for _, r := range roles {
				answers := map[string]string{}
				refused := false
				for _, state := range names {
					_, before := h.counts()
					res := h.do(call{method: strings.Fields(c.route)[0], path: fmt.Sprintf(c.path, targets[state]),
						body: bodyFor(c, f, state), contentType: c.ctype, token: tokens[r.name], invalid: true})
					if res.status == http.StatusForbidden || res.status == http.StatusNotFound {
						refused = true
						if _, after := h.counts(); after != before {
							t.Errorf("%s by %s (%s): refused with %d, yet %d audit events were written", c.route, r.name, state, res.status, after-before)
						}
					}
					answers[state] = fmt.Sprintf("%d %s", res.status, idPattern.ReplaceAllString(errorOf(res), "ID"))
				}
				if !refused {
					continue
				}
				for _, state := range names[1:] {
					if answers[state] != answers[names[0]] {
						t.Errorf("%s by %s: the answer depends on the target's state:\n  %s: %s\n  %s: %s",
							c.route, r.name, names[0], answers[names[0]], state, answers[state])
					}
				}
			}
		}
	})
}

// bodyFor is a case's body; creating routes get a fresh one per call.
func bodyFor(c oracleCase, f *fixture, state string) any {
	switch c.route {
	case "POST /api/v1/incidents":
		return map[string]any{"title": "Checkout errors", "severity": "SEV3", "started_at": apptest.Start.Add(-time.Hour).Format(time.RFC3339),
			"entities": []map[string]any{{"ref": "component:checkout-api", "origin": true}}}
	case "POST /api/v1/followups":
		return map[string]any{"incident": f.incident(), "title": "Add an alert", "owner": "group:payments"}
	case "POST /api/v1/changes":
		return map[string]any{"entity": "component:checkout-api", "ref": "v42", "actor": "user:bob", "source": "ci"}
	case "POST /api/v1/freezes":
		return map[string]any{"start": apptest.Start.Format(time.RFC3339), "end": apptest.Start.Add(time.Hour).Format(time.RFC3339),
			"scope": []string{"group:payments"}, "reason": "quarter end"}
	case "POST /api/v1/incidents/{id}/changes":
		return map[string]any{"change": f.change()}
	}
	return c.body
}

// errorOf is an error answer without its request ID.
func errorOf(res response) string {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Rule    string `json:"rule"`
		} `json:"error"`
	}
	if json.Unmarshal(res.body, &body) != nil || body.Error.Code == "" {
		return "(not an error)"
	}
	return body.Error.Code + " " + body.Error.Rule + " " + body.Error.Message
}

// checkCoverage fails unless every write route the OpenAPI document lists
// has a case.
func checkCoverage(t *testing.T, h *harness, cases []oracleCase) {
	t.Helper()
	res := h.do(call{method: "GET", path: "/api/v1/openapi.json"})
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(res.body, &doc); err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.route] = true
	}
	n := 0
	for path, ops := range doc.Paths {
		for method := range ops {
			m := strings.ToUpper(method)
			if m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE" {
				continue
			}
			n++
			if !covered[m+" "+path] {
				t.Errorf("write route %s %s has no case in the no-oracle matrix", m, path)
			}
		}
	}
	if n < 15 {
		t.Fatalf("only %d write routes in the document", n)
	}
}

// fixture builds targets in given states through the app, as the people
// who would.
type fixture struct {
	t  *testing.T
	h  *harness
	id incident.ID // an incident to hang follow-ups on
	// changeID is a change to link incidents to.
	changeID string
}

func (f *fixture) change() string {
	if f.changeID == "" {
		c, err := f.h.app.RecordChange(context.Background(), ada, app.ChangeInput{Entity: org.MustRef("component:checkout-api"),
			Ref: "v41", Actor: org.MustRef("user:bob"), At: f.h.clock.Now().Add(-2 * time.Hour)})
		f.must(err)
		f.changeID = c.ID
	}
	return f.changeID
}

var (
	ada     = apptest.Person("ada")
	payLead = apptest.Person("pay-lead", org.RoleLeader)
	vpActor = apptest.Person("vp", org.RoleLeader)
)

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) declare(by org.Actor, sev incident.Severity, started, detected time.Duration) incident.ID {
	f.t.Helper()
	now := f.h.clock.Now()
	in, err := f.h.app.DeclareIncident(context.Background(), by, app.IncidentInput{Title: "Refunds paid twice", Severity: sev,
		StartedAt: now.Add(-started), DetectedAt: now.Add(-detected),
		Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
	f.must(err)
	return in.ID
}

func (f *fixture) incident() incident.ID {
	if f.id == "" {
		f.id = f.declare(ada, incident.SEV3, time.Hour, time.Hour)
	}
	return f.id
}

func (f *fixture) nothing() map[string]string { return map[string]string{"any": ""} }

// assessments are Ada's faults, one in each state an assessment goes
// through.
func (f *fixture) assessments() map[string]string {
	ctx := context.Background()
	out := map[string]string{}
	for i, state := range []string{"open", "judged", "decided", "appealed", "heard"} {
		id := f.declare(ada, incident.SEV3, time.Hour, time.Hour)
		_, err := f.h.app.DecideAttribution(ctx, vpActor, id, org.MustRef("user:ada"), "she ran the backfill")
		f.must(err)
		if i >= 1 {
			yes := accountability.Expected
			_, err = f.h.app.SetFactors(ctx, payLead, id, app.FactorsInput{ExpectedToPrevent: &yes})
			f.must(err)
		}
		if i >= 2 {
			_, err = f.h.app.DecideAssessment(ctx, payLead, id, accountability.Conversation, "")
			f.must(err)
		}
		if i >= 3 {
			_, err = f.h.app.Appeal(ctx, ada, id, "it was in the runbook")
			f.must(err)
		}
		if i >= 4 {
			_, err = f.h.app.AppealOutcome(ctx, vpActor, id, accountability.None, "the runbook was wrong")
			f.must(err)
		}
		out[state] = string(id)
	}
	return out
}

func (f *fixture) attributions() map[string]string {
	ctx := context.Background()
	out := map[string]string{"undecided": string(f.declare(ada, incident.SEV3, time.Hour, time.Hour))}
	for _, state := range []string{"decided", "in review"} {
		id := f.declare(ada, incident.SEV3, time.Hour, time.Hour)
		_, err := f.h.app.DecideAttribution(ctx, vpActor, id, org.MustRef("group:payments"), "")
		f.must(err)
		if state == "in review" {
			_, err = f.h.app.TransitionPostmortem(ctx, ada, id, postmortem.InReview)
			f.must(err)
		}
		out[state] = string(id)
	}
	return out
}

// flags are I1 flags on SEV1s Ada declared late: open, dismissed,
// confirmed.
func (f *fixture) flags() map[string]string {
	ctx := context.Background()
	out := map[string]string{}
	for _, state := range []string{"open", "dismissed", "confirmed"} {
		id := f.declare(ada, incident.SEV1, 3*time.Hour, 2*time.Hour)
		fl, err := f.h.app.IntegrityFlags(ctx, adminActor(), id, integrity.Open)
		f.must(err)
		if len(fl) != 1 {
			f.t.Fatalf("want one I1 flag on %s, got %d", id, len(fl))
		}
		if state != "open" {
			_, err = f.h.app.ReviewFlag(ctx, adminActor(), fl[0].ID, state == "confirmed", org.MustRef("user:ada"), "reviewed at the weekly review")
			f.must(err)
		}
		out[state] = fl[0].ID
	}
	return out
}

// entries are Ada's timeline entries: as written, edited, deleted.
func (f *fixture) entries() map[string]string {
	ctx := context.Background()
	id := f.incident()
	out := map[string]string{}
	for _, state := range []string{"written", "edited", "deleted"} {
		e, err := f.h.app.AddEntry(ctx, ada, id, app.EntryInput{OccurredAt: f.h.clock.Now().Add(-time.Minute), Kind: incident.EntryAction, Text: "restarted the pods"})
		f.must(err)
		switch state {
		case "edited":
			_, err = f.h.app.EditEntry(ctx, ada, id, e.ID, app.EntryInput{Text: "restarted two pods"})
		case "deleted":
			err = f.h.app.DeleteEntry(ctx, ada, id, e.ID)
		}
		f.must(err)
		out[state] = string(id) + "/timeline/" + e.ID
	}
	return out
}

func (f *fixture) postmortems() map[string]string {
	ctx := context.Background()
	out := map[string]string{}
	for _, state := range []string{"draft", "in review", "published"} {
		id := f.declare(ada, incident.SEV3, time.Hour, time.Hour)
		if state != "draft" {
			resolved := incident.StatusResolved
			_, err := f.h.app.UpdateIncident(ctx, ada, id, app.IncidentPatch{Status: &resolved})
			f.must(err)
			_, err = f.h.app.DecideAttribution(ctx, vpActor, id, org.MustRef("group:payments"), "")
			f.must(err)
			_, err = f.h.app.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: id, Title: "Add an alert", Owner: org.MustRef("group:payments")})
			f.must(err)
			_, err = f.h.app.TransitionPostmortem(ctx, ada, id, postmortem.InReview)
			f.must(err)
		}
		if state == "published" {
			_, err := f.h.app.TransitionPostmortem(ctx, vpActor, id, postmortem.Published)
			f.must(err)
		}
		out[state] = string(id)
	}
	return out
}

func (f *fixture) incidents() map[string]string {
	ctx := context.Background()
	open := f.declare(ada, incident.SEV3, time.Hour, time.Hour)
	resolved := f.declare(ada, incident.SEV3, time.Hour, time.Hour)
	st := incident.StatusResolved
	_, err := f.h.app.UpdateIncident(ctx, ada, resolved, app.IncidentPatch{Status: &st})
	f.must(err)
	return map[string]string{"open": string(open), "resolved": string(resolved)}
}

func (f *fixture) followUps() map[string]string {
	ctx := context.Background()
	out := map[string]string{}
	for _, state := range []string{"open", "done"} {
		fu, err := f.h.app.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: f.incident(), Title: "Add an alert", Owner: org.MustRef("group:payments")})
		f.must(err)
		if state == "done" {
			done := followup.Done
			_, err = f.h.app.UpdateFollowUp(ctx, ada, fu.ID, app.FollowUpPatch{Status: &done})
			f.must(err)
		}
		out[state] = string(fu.ID)
	}
	return out
}

// wontDos are follow-ups of the payments team: one open with nothing
// asked, one whose wont_do waits for the leader above the team (F3), one
// done.
func (f *fixture) wontDos() map[string]string {
	ctx := context.Background()
	out := map[string]string{}
	for _, state := range []string{"open", "pending", "done"} {
		fu, err := f.h.app.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: f.incident(), Title: "Add an alert", Owner: org.MustRef("group:payments")})
		f.must(err)
		st, reason := followup.WontDo, "the service is retired next week"
		switch state {
		case "pending":
			_, err = f.h.app.UpdateFollowUp(ctx, ada, fu.ID, app.FollowUpPatch{Status: &st, Reason: &reason})
		case "done":
			st = followup.Done
			_, err = f.h.app.UpdateFollowUp(ctx, ada, fu.ID, app.FollowUpPatch{Status: &st})
		}
		f.must(err)
		out[state] = string(fu.ID)
	}
	return out
}

// people are two people without tokens: one as they are, one erased.
func (f *fixture) people() map[string]string {
	f.must(f.h.app.ErasePerson(context.Background(), adminActor(), org.MustRef("user:co-lead"), "their request"))
	return map[string]string{"active": "user:cy", "erased": "user:co-lead"}
}
