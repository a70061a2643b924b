package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store/storetest"
)

// hostileRoute is a write route with a good body to start from; {incident},
// {entry}, {followup}, {flag} and {change} in the path or body stand for
// records the test makes first.
type hostileRoute struct {
	route string // as the OpenAPI document has it
	path  string
	body  any // a JSON value, or a string of YAML
}

var hostileRoutes = []hostileRoute{
	{"POST /api/v1/incidents", "/api/v1/incidents", map[string]any{"title": "Checkout errors", "severity": "SEV3", "summary": "5xx on pay",
		"impact": "some shoppers", "source": "manual", "started_at": "2026-11-20T12:00:00Z", "detected_at": "2026-11-20T12:05:00Z",
		"entities": []any{map[string]any{"ref": "component:checkout-api", "origin": true}}}},
	{"PATCH /api/v1/incidents/{id}", "/api/v1/incidents/{incident}", map[string]any{"title": "Checkout errors", "severity": "SEV2",
		"summary": "5xx", "impact": "many", "status": "mitigated", "detected_at": "2026-11-20T12:06:00Z",
		"entities": []any{map[string]any{"ref": "component:checkout-api", "origin": true}}}},
	{"POST /api/v1/incidents/{id}/timeline", "/api/v1/incidents/{incident}/timeline",
		map[string]any{"occurred_at": "2026-11-20T12:10:00Z", "kind": "action", "text": "rolled back"}},
	{"PATCH /api/v1/incidents/{id}/timeline/{entry}", "/api/v1/incidents/{incident}/timeline/{entry}",
		map[string]any{"occurred_at": "2026-11-20T12:11:00Z", "kind": "observation", "text": "rolled back twice"}},
	{"DELETE /api/v1/incidents/{id}/timeline/{entry}", "/api/v1/incidents/{incident}/timeline/{entry}", nil},
	{"PUT /api/v1/incidents/{id}/postmortem", "/api/v1/incidents/{incident}/postmortem", map[string]any{"summary": "s", "impact": "i",
		"mechanism": "m", "went_well": "w", "went_poorly": "p", "contributing_factors": []any{map[string]any{"text": "no alert", "party": "group:platform"}}}},
	{"POST /api/v1/incidents/{id}/postmortem/transitions", "/api/v1/incidents/{incident}/postmortem/transitions", map[string]any{"to": "in_review"}},
	{"PUT /api/v1/incidents/{id}/attribution", "/api/v1/incidents/{incident}/attribution",
		map[string]any{"party": "user:ada", "justification": "she ran the backfill"}},
	{"PUT /api/v1/incidents/{id}/assessment", "/api/v1/incidents/{incident}/assessment",
		map[string]any{"factors": map[string]any{"expected_to_prevent": "partially", "policy_violation": "minor"}}},
	{"POST /api/v1/incidents/{id}/assessment/decision", "/api/v1/incidents/{incident}/assessment/decision",
		map[string]any{"level": 3, "justification": "third time"}},
	{"POST /api/v1/incidents/{id}/assessment/appeal", "/api/v1/incidents/{incident}/assessment/appeal", map[string]any{"reason": "unfair"}},
	{"POST /api/v1/incidents/{id}/assessment/appeal/outcome", "/api/v1/incidents/{incident}/assessment/appeal/outcome",
		map[string]any{"level": 1, "justification": "the runbook was wrong"}},
	{"POST /api/v1/followups", "/api/v1/followups", map[string]any{"incident": "{incident}", "title": "Add an alert", "owner": "group:payments",
		"due": "2027-01-10", "priority": "P2", "tracker_url": "https://tracker.example/T-1"}},
	{"PATCH /api/v1/followups/{id}", "/api/v1/followups/{followup}", map[string]any{"title": "Add two alerts", "owner": "user:bob",
		"due": "2027-01-11", "priority": "P1", "status": "wont_do", "reason": "superseded", "tracker_url": "https://tracker.example/T-2"}},
	{"POST /api/v1/followups/{id}/approval", "/api/v1/followups/{followup}/approval", map[string]any{"approve": false, "reason": "the work stands"}},
	{"POST /api/v1/followups/{id}/export", "/api/v1/followups/{followup}/export", map[string]any{"tracker": "github", "repo": "acme/shop"}},
	{"POST /api/v1/changes", "/api/v1/changes", map[string]any{"entity": "component:checkout-api", "ref": "v42", "actor": "user:bob",
		"at": "2026-11-20T12:00:00Z", "source": "ci", "exception_approved_by": "user:pay-lead"}},
	{"POST /api/v1/freezes", "/api/v1/freezes", map[string]any{"start": "2026-11-20T00:00:00Z", "end": "2026-11-27T00:00:00Z",
		"scope": []any{"group:payments", "component:checkout-api"}, "reason": "quarter end"}},
	{"POST /api/v1/incidents/{id}/changes", "/api/v1/incidents/{incident}/changes", map[string]any{"change": "{change}"}},
	{"POST /api/v1/recurrences", "/api/v1/recurrences", map[string]any{"incident": "{incident}", "earlier": "{incident}", "confirm": true, "reason": "same pool"}},
	{"POST /api/v1/integrity-flags/{id}/review", "/api/v1/integrity-flags/{flag}/review",
		map[string]any{"confirm": true, "subject": "user:ada", "reason": "silenced the page"}},
	{"POST /api/v1/outbox/{id}/retry", "/api/v1/outbox/{delivery}/retry", nil}, // reads no body
	{"DELETE /api/v1/tokens/{id}", "/api/v1/tokens/no-such-token", nil},        // reads no body
	{"POST /api/v1/people/{ref}/erasure", "/api/v1/people/user:dee/erasure", map[string]any{"reason": "their request"}},
	{"POST /api/v1/import/org", "/api/v1/import/org", "version: 1\npeople:\n  - {id: zed, name: Zed Zero, email: zed@example.com}\nteams:\n  - {id: web, name: Web, leader: zed}\n"},
	{"POST /api/v1/import/backstage", "/api/v1/import/backstage", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: web, description: The web}\nspec: {type: team, children: []}\n"},
	// Its YAML attacks are refused as not text/plain; api_codeowners_test
	// sends hostile CODEOWNERS text.
	{"POST /api/v1/import/codeowners", "/api/v1/import/codeowners?repo=acme/shop", "* @acme/payments\n"},
}

// hostile is one request of the property test.
type hostile struct {
	name  string
	route hostileRoute
	body  []byte
	ctype string
	// refuse is true when the request must be refused with a 4xx.
	refuse bool
	// field, when set, is the field a 422 must name.
	field string
}

// TestHostileInput is a property test over every write route of the OpenAPI
// document: bodies with hostile strings (NUL, escapes, invalid UTF-8, lone
// surrogates, huge values), wrong types, duplicate and differently cased
// keys, deep nesting and malformed JSON or YAML. On both engines, no
// request gets a 5xx, every refusal writes nothing, hostile text is
// refused naming its field, and both engines answer every request with the
// same status.
func TestHostileInput(t *testing.T) {
	cases := hostileCases(rand.New(rand.NewPCG(6, 2026)))
	statuses := map[string][]int{}
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			h := newHarness(t, storetest.Open(t, engine))
			checkHostileCoverage(t, h)
			ids := hostileFixture(t, h)
			for _, c := range cases {
				path := c.route.path
				for k, v := range ids {
					path = strings.ReplaceAll(path, "{"+k+"}", v)
				}
				body := c.body
				for k, v := range ids {
					body = bytes.ReplaceAll(body, []byte("{"+k+"}"), []byte(v))
				}
				_, before := h.counts()
				res := h.do(call{method: strings.Fields(c.route.route)[0], path: path, body: body, contentType: c.ctype, invalid: true})
				statuses[c.name] = append(statuses[c.name], res.status)
				switch {
				case res.status >= 500:
					t.Errorf("%s: %d %s", c.name, res.status, res.body)
				case res.status >= 400:
					if _, after := h.counts(); after != before {
						t.Errorf("%s: refused with %d, yet wrote %d audit events", c.name, res.status, after-before)
					}
				case c.refuse:
					t.Errorf("%s: accepted with %d, want a refusal", c.name, res.status)
				}
				if c.field != "" && res.status == 422 {
					if e, _ := res.json(t)["error"].(map[string]any); e != nil {
						if fields, _ := e["fields"].(map[string]any); fields[c.field] == nil {
							t.Errorf("%s: the 422 does not name %s: %s", c.name, c.field, res.body)
						}
					}
				}
			}
		})
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range statuses {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range names {
		if s := statuses[n]; len(s) == 2 && s[0] != s[1] {
			t.Errorf("%s: SQLite answers %d, PostgreSQL %d", n, s[0], s[1])
		}
	}
	if len(cases) < 400 {
		t.Fatalf("only %d cases", len(cases))
	}
}

// hostileFixture makes the records the paths name, the same on each
// engine (the harness's IDs and clock are deterministic): an incident with
// a timeline entry, a follow-up, a decided attribution with a judged and
// decided assessment, and a late SEV1's open I1 flag.
func hostileFixture(t *testing.T, h *harness) map[string]string {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	now := h.clock.Now()
	in, err := h.app.DeclareIncident(ctx, ada, app.IncidentInput{Title: "Refunds paid twice", Severity: incident.SEV1,
		StartedAt: now.Add(-3 * time.Hour), DetectedAt: now.Add(-2 * time.Hour),
		Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
	must(err)
	e, err := h.app.AddEntry(ctx, ada, in.ID, app.EntryInput{OccurredAt: now.Add(-time.Hour), Kind: incident.EntryAction, Text: "paged"})
	must(err)
	fu, err := h.app.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: in.ID, Title: "Add an alert", Owner: org.MustRef("group:payments")})
	must(err)
	_, err = h.app.DecideAttribution(ctx, vpActor, in.ID, org.MustRef("user:ada"), "she ran the backfill")
	must(err)
	yes := accountability.Expected
	_, err = h.app.SetFactors(ctx, payLead, in.ID, app.FactorsInput{ExpectedToPrevent: &yes})
	must(err)
	_, err = h.app.DecideAssessment(ctx, payLead, in.ID, accountability.Conversation, "a first time")
	must(err)
	flags, err := h.app.IntegrityFlags(ctx, apptest.Admin(), in.ID, integrity.Open)
	must(err)
	if len(flags) == 0 {
		t.Fatal("the late SEV1 raised no flag")
	}
	ch, err := h.app.RecordChange(ctx, ada, app.ChangeInput{Entity: org.MustRef("component:checkout-api"), Ref: "v41",
		Actor: org.MustRef("user:bob"), At: now.Add(-4 * time.Hour)})
	must(err)
	return map[string]string{"incident": string(in.ID), "entry": e.ID, "followup": string(fu.ID), "flag": flags[0].ID, "change": ch.ID}
}

func checkHostileCoverage(t *testing.T, h *harness) {
	t.Helper()
	var cases []oracleCase
	for _, r := range hostileRoutes {
		cases = append(cases, oracleCase{route: r.route})
	}
	checkCoverage(t, h, cases)
}

// The hostile strings, each with what it breaks. invalid stands in for
// bytes that are not UTF-8, which json.Marshal would not write.
var hostileStrings = []struct {
	name, json string
}{
	{"NUL", `"a\u0000b"`},
	{"escape sequence", `"\u001b[2J\u001b[31mgotcha"`},
	{"C1 control", `"a\u0085b"`},
	{"invalid UTF-8", "\"a\xff\xfeb\""},
	{"lone surrogate", `"a\ud800b"`},
	{"reversed surrogates", `"\udc00\ud800"`},
	{"huge", `"` + strings.Repeat("x", 60001) + `"`},
}

var wrongTypes = []struct{ name, json string }{
	{"a number", `12345`}, {"a float", `1e400`}, {"true", `true`}, {"a list", `["x"]`}, {"an object", `{"x":1}`}, {"null", `null`},
}

// hostileCases builds the requests: every hostile string and wrong type in
// every field of every route, whole-body attacks, and random mixtures.
func hostileCases(rng *rand.Rand) []hostile {
	var out []hostile
	for _, r := range hostileRoutes {
		if yaml, ok := r.body.(string); ok {
			out = append(out, yamlCases(r, yaml)...)
			continue
		}
		if r.body == nil {
			continue // a DELETE reads no body
		}
		base, _ := json.Marshal(r.body)
		leaves := leafPaths(r.body, "")
		for _, leaf := range leaves {
			for _, s := range hostileStrings {
				out = append(out, hostile{name: fmt.Sprintf("%s %s: %s", r.route, leaf, s.name), route: r,
					body: setLeaves(r.body, map[string]string{leaf: s.json}), refuse: true, field: leaf})
			}
			for _, w := range wrongTypes {
				out = append(out, hostile{name: fmt.Sprintf("%s %s: %s", r.route, leaf, w.name), route: r,
					body: setLeaves(r.body, map[string]string{leaf: w.json})})
			}
		}
		for _, w := range wholeBody(base) {
			out = append(out, hostile{name: r.route + ": " + w.name, route: r, body: w.body, refuse: w.refuse})
		}
		for i := range 12 {
			if len(leaves) == 0 {
				break
			}
			mix := map[string]string{}
			for range 1 + rng.IntN(3) {
				leaf := leaves[rng.IntN(len(leaves))]
				if rng.IntN(2) == 0 {
					mix[leaf] = hostileStrings[rng.IntN(len(hostileStrings))].json
				} else {
					mix[leaf] = wrongTypes[rng.IntN(len(wrongTypes))].json
				}
			}
			out = append(out, hostile{name: fmt.Sprintf("%s: mixture %d", r.route, i), route: r, body: setLeaves(r.body, mix)})
		}
	}
	return out
}

type bodyAttack struct {
	name   string
	body   []byte
	refuse bool
}

// wholeBody are attacks on a body's shape rather than one field.
func wholeBody(base []byte) []bodyAttack {
	out := []bodyAttack{
		{"deep nesting", []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000)), true},
		{"a list, not an object", []byte(`[1,2,3]`), true},
		{"malformed", []byte(`{"title": "x",`), true},
		{"two values", []byte(`{} {}`), true},
		{"oversized", []byte(`{"x":"` + strings.Repeat("y", 2<<20) + `"}`), true},
		{"unknown field", []byte(`{"colour":"red"}`), true},
	}
	if len(base) > 2 {
		key := base[2 : bytes.IndexByte(base[2:], '"')+2] // the first key
		out = append(out,
			bodyAttack{"duplicate key", append([]byte(`{"`+string(key)+`":"x",`), base[1:]...), true},
			bodyAttack{"differently cased key", bytes.Replace(base, []byte(`"`+string(key)+`"`), []byte(`"`+strings.ToUpper(string(key))+`"`), 1), true},
			bodyAttack{"nested deep inside a field", bytes.Replace(base, []byte(`"`+string(key)+`":`), []byte(`"`+string(key)+`":`+strings.Repeat("[", 3000)+strings.Repeat("]", 3000)+`,"x":`), 1), true},
		)
	}
	return out
}

func yamlCases(r hostileRoute, good string) []hostile {
	attacks := []struct {
		name, body string
	}{
		{"NUL in a name", strings.Replace(good, "name: ", `name: "a\0b`, 1)},
		{"escape in a name", strings.Replace(good, "name: ", `name: "\e[2J`, 1)},
		{"invalid UTF-8", strings.Replace(good, "name: ", "name: \xff\xfe", 1)},
		{"huge name", strings.Replace(good, "name: ", "name: "+strings.Repeat("x", 5000), 1)},
		{"deep nesting", strings.Repeat("[", 10000) + strings.Repeat("]", 10000)},
		{"alias bomb", "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"},
		{"not YAML", "{{{{"},
		{"a list", "- 1\n- 2\n"},
		{"empty", ""},
	}
	var out []hostile
	for _, a := range attacks {
		body := a.body
		if strings.Contains(body, `name: "`) {
			body = fixYAMLQuote(body)
		}
		out = append(out, hostile{name: r.route + ": " + a.name, route: r, body: []byte(body), ctype: "application/yaml", refuse: true})
	}
	return out
}

// fixYAMLQuote closes the double quote opened in the name of a flow
// mapping or a plain line.
func fixYAMLQuote(s string) string {
	i := strings.Index(s, `name: "`) + len(`name: "`)
	rest := s[i:]
	end := strings.IndexAny(rest, ",}\n")
	return s[:i] + rest[:end] + `"` + rest[end:]
}

// leafPaths lists the paths of a JSON value's leaves: "title",
// "entities[0].ref", "factors.expected_to_prevent".
func leafPaths(v any, prefix string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out = append(out, leafPaths(v[k], p)...)
		}
	case []any:
		for i, c := range v {
			out = append(out, leafPaths(c, fmt.Sprintf("%s[%d]", prefix, i))...)
		}
	default:
		if prefix != "" {
			out = append(out, prefix)
		}
	}
	return out
}

// setLeaves returns v as JSON with the leaves at the given paths replaced
// by raw JSON text.
func setLeaves(v any, raw map[string]string) []byte {
	marks := map[string]string{}
	var walk func(v any, prefix string) any
	walk = func(v any, prefix string) any {
		switch v := v.(type) {
		case map[string]any:
			c := map[string]any{}
			for k, x := range v {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				c[k] = walk(x, p)
			}
			return c
		case []any:
			c := make([]any, len(v))
			for i, x := range v {
				c[i] = walk(x, fmt.Sprintf("%s[%d]", prefix, i))
			}
			return c
		}
		if r, ok := raw[prefix]; ok {
			mark := fmt.Sprintf("@@leaf%d@@", len(marks))
			marks[mark] = r
			return mark
		}
		return v
	}
	b, _ := json.Marshal(walk(v, ""))
	for mark, r := range marks {
		b = bytes.Replace(b, []byte(`"`+mark+`"`), []byte(r), 1)
	}
	return b
}
