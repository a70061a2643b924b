package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
	"blameful.dev/blameful/internal/web"
)

// TestStoredMarkupRendersInert: hostile markup written through the API
// into every free-text field a user can fill — the org file's names and
// descriptions, an incident, its timeline, its postmortem, the
// attribution, follow-ups, a freeze's reason, a change's ref and source,
// the private assessment and its appeal, an integrity flag's review — comes back on every page that shows it as
// text: no script element, no event handler, no javascript: link. Each
// field's payload carries its own marker, and every marker must show up
// on some page, so a field the pages skipped cannot pass for one they
// escaped.
func TestStoredMarkupRendersInert(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		f := writeHostileFields(t, h)

		// An admin with the HR role who is also the decider (Ada's
		// leader): nothing private is hidden from them.
		addAccount(t, h.app, "pay-lead@example.com", "user:pay-lead", password, org.RoleAdmin, org.RoleHR)
		b := newBrowser(t, h.srv)
		b.logIn("pay-lead@example.com", password)

		seen := map[string]bool{}
		look := func(name, body string, want ...string) {
			t.Helper()
			checkInert(t, name, body, f.byField)
			for _, m := range f.byField {
				if strings.Contains(body, m) {
					seen[m] = true
				}
			}
			for _, field := range want {
				if !strings.Contains(body, f.marker(field)) {
					t.Errorf("%s does not show the %s: the page did not render it", name, field)
				}
			}
		}
		get := func(path string, want ...string) {
			t.Helper()
			p := b.get(path)
			if p.status != http.StatusOK {
				t.Errorf("GET %s: %d, want 200:\n%s", path, p.status, p.body)
				return
			}
			look("GET "+path, p.body, want...)
		}

		// The postmortem is still a draft: its sections are in the
		// editor's text areas, with a preview.
		pm := "/incidents/" + f.incident + "/postmortem"
		get(pm, "incident title", "postmortem summary", "postmortem impact", "postmortem mechanism",
			"postmortem went well", "postmortem went poorly", "contributing factor",
			"attribution justification", "follow-up title", "won't-do follow-up title", "won't-do reason")
		f.publish()

		week := review.WeekOf(h.clock.Now()).String()
		get("/", "follow-up title")
		get("/incidents", "incident title", "incident source")
		get("/incidents?q=xss", "incident title")
		get("/incidents/"+f.incident, "incident title", "incident source", "incident summary", "incident impact",
			"timeline entry", "timeline entry as edited")
		// Published: the sections are rendered Markdown now.
		get(pm, "incident title", "postmortem summary", "postmortem impact", "postmortem mechanism",
			"postmortem went well", "postmortem went poorly", "contributing factor",
			"attribution justification", "follow-up title", "won't-do follow-up title", "won't-do reason")
		get("/incidents/"+f.incident+"/assessment", "decision justification", "appeal reason", "appeal outcome justification")
		get("/reviews/"+week, "incident title", "follow-up title")
		get("/followups", "follow-up title")
		get("/followups?leader=vp", "follow-up title")
		get("/changes", "freeze reason", "change ref", "change source")
		get("/changes?entity=checkout-api", "freeze reason", "change ref", "change source")
		get("/teams", "team name")
		get("/teams/red-team", "team name", "team description")
		get("/people/mallory", "person name", "person email")
		get("/people/eve")
		get("/entities", "entity title")
		get("/entities?q=hostile", "entity title")
		get("/entities/component:hostile", "entity title", "entity description", "entity type", "entity lifecycle", "entity code path")
		get("/leaders/pay-lead")
		get("/leaders/mallory")
		get("/fairness")
		get("/integrity")
		get("/integrity?state=dismissed", "flag review reason")
		get("/audit")

		// `blameful review week --format html` writes the same page.
		rv, err := h.app.WeeklyReview(context.Background(), apptest.Admin(), review.WeekOf(h.clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := web.WriteReviewHTML(&out, rv, h.clock.Now(), "test"); err != nil {
			t.Fatal(err)
		}
		look("review week --format html", out.String(), "incident title", "follow-up title")

		// Not stored, but echoed: a failed login answers the form again
		// with the email as typed.
		failed := newBrowser(t, h.srv).post("/login", url.Values{"email": {f.payload("login email")}, "password": {"not it"}})
		if failed.status != http.StatusUnauthorized {
			t.Errorf("a failed login: %d, want 401", failed.status)
		}
		look("POST /login", failed.body, "login email")

		for field, m := range f.byField {
			if !seen[m] && !slices.Contains(f.unshown, field) {
				t.Errorf("the %s (%s) appears on no page: nothing shows it", field, m)
			}
		}
	})
}

// hostileMarkup follows each field's marker: end tags that try to leave a
// text area or the page title, a script, an image whose error runs script,
// javascript: links in HTML and in Markdown, an SVG with onload, and
// quotes that try to close an attribute and open another.
const hostileMarkup = ` </textarea></title><script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">x</a>` +
	`<svg onload=alert(4)> [click](javascript:alert(5)) "><b onmouseover=alert(6)>b</b>' onfocus='alert(7)`

// hostileFields is what writeHostileFields stored: the incident it is
// about and the marker of each field.
type hostileFields struct {
	t        *testing.T
	h        *harness
	incident string
	byField  map[string]string // field -> marker
	// unshown are fields that were written but that no page shows.
	unshown []string
	tokens  map[string]*string
}

// marker is a field's marker.
func (f *hostileFields) marker(field string) string {
	m, ok := f.byField[field]
	if !ok {
		f.t.Fatalf("no field %q", field)
	}
	return m
}

// payload is a field's hostile value, its marker first. A marker is
// "xss-", the field's name and "-mark", so none is a prefix of another.
func (f *hostileFields) payload(field string) string {
	m := "xss-" + strings.NewReplacer(" ", "-", "'", "").Replace(field) + "-mark"
	if f.byField[field] == "" {
		f.byField[field] = m
	}
	return m + hostileMarkup
}

// as returns the API token of a person of the test org (the admin's when
// person is empty).
func (f *hostileFields) as(person string) *string {
	if person == "" {
		return nil
	}
	if tok, ok := f.tokens[person]; ok {
		return tok
	}
	_, secret, err := f.h.app.CreateToken(context.Background(), apptest.Admin(), app.NewToken{Name: "inert-" + person, User: org.MustRef("user:" + person)})
	if err != nil {
		f.t.Fatal(err)
	}
	f.tokens[person] = &secret
	return &secret
}

// call sends a JSON write as person and wants status.
func (f *hostileFields) call(person, method, path string, body any, status int) map[string]any {
	f.t.Helper()
	res := f.h.do(call{method: method, path: path, body: body, token: f.as(person)})
	if res.status != status {
		f.t.Fatalf("%s %s as %q: %d, want %d\n%s", method, path, person, res.status, status, res.body)
	}
	if len(res.body) == 0 {
		return nil
	}
	return res.json(f.t)
}

// writeHostileFields fills every free-text field through the API, each as
// the person who may write it: Ada declares, the VP decides the
// attribution, Ada's leader decides her level, she appeals, and the VP
// hears it (J2, J4).
func writeHostileFields(t *testing.T, h *harness) *hostileFields {
	t.Helper()
	f := &hostileFields{t: t, h: h, byField: map[string]string{}, tokens: map[string]*string{}}
	now := h.clock.Now()
	rfc := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }

	// The org file: a person, a team and an entity. JSON is YAML.
	file := map[string]any{
		"version": 1,
		"people": []any{
			map[string]any{"id": "mallory", "name": f.payload("person name"), "handle": f.payload("person handle"),
				// An email may not hold < or > or spaces, but quotes it may.
				"email": f.markerOnly("person email") + `"'onmouseover=alert(8)@example.com`},
			map[string]any{"id": "eve"},
		},
		"teams": []any{map[string]any{"id": "red-team", "name": f.payload("team name"), "description": f.payload("team description"),
			"parent": "eng", "leader": "mallory"}},
		"entities": []any{map[string]any{"id": "component:hostile", "title": f.payload("entity title"),
			"description": f.payload("entity description"), "type": f.payload("entity type"),
			"lifecycle": f.payload("entity lifecycle"), "owner": "red-team", "code": []string{f.payload("entity code path")}}},
	}
	yaml, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	res := h.do(call{method: "POST", path: "/api/v1/import/org", body: yaml, contentType: "application/yaml"})
	res.want(t, http.StatusOK)
	f.call("", "POST", "/api/v1/people/user:eve/erasure", map[string]any{"reason": f.payload("erasure reason")}, http.StatusNoContent)

	// The incident and its timeline, as Ada.
	in := f.call("ada", "POST", "/api/v1/incidents", map[string]any{
		"title": f.payload("incident title"), "severity": "SEV2", "started_at": rfc(-time.Hour),
		"summary": f.payload("incident summary"), "source": f.payload("incident source"),
		"entities": []any{map[string]any{"ref": "component:checkout-api", "origin": true}},
	}, http.StatusCreated)
	f.incident = in["id"].(string)
	base := "/api/v1/incidents/" + f.incident
	f.call("ada", "PATCH", base, map[string]any{"impact": f.payload("incident impact")}, http.StatusOK)
	e := f.call("ada", "POST", base+"/timeline", map[string]any{"occurred_at": rfc(-30 * time.Minute), "kind": "action",
		"text": f.payload("timeline entry")}, http.StatusCreated)
	f.call("ada", "PATCH", base+"/timeline/"+e["id"].(string), map[string]any{"text": f.payload("timeline entry as edited")}, http.StatusOK)

	// The postmortem document.
	f.call("ada", "PUT", base+"/postmortem", map[string]any{
		"summary": f.payload("postmortem summary"), "impact": f.payload("postmortem impact"),
		"mechanism": f.payload("postmortem mechanism"), "went_well": f.payload("postmortem went well"),
		"went_poorly":          f.payload("postmortem went poorly"),
		"contributing_factors": []any{map[string]any{"text": f.payload("contributing factor"), "party": "group:payments"}},
	}, http.StatusOK)

	// Follow-ups: a tracker link that would run script is refused, on
	// creation and on a change; the titles and a won't-do reason are kept.
	fu := map[string]any{"incident": f.incident, "title": f.payload("follow-up title"), "owner": "user:pay-lead",
		"due": now.Format(time.DateOnly)}
	for _, link := range liveLinks {
		fu["tracker_url"] = link
		f.refused("POST", "/api/v1/followups", fu)
	}
	fu["tracker_url"] = "https://tracker.example/" + f.markerOnly("follow-up tracker URL") + `?q="><script>alert(1)</script>`
	if res := f.h.do(call{method: "POST", path: "/api/v1/followups", body: fu, token: f.as("ada")}); res.status != http.StatusCreated {
		// A tracker link with markup in it may be refused too; the title
		// is what matters then.
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(string(res.body), `"tracker_url"`) {
			t.Fatalf("POST /api/v1/followups: %d\n%s", res.status, res.body)
		}
		delete(fu, "tracker_url")
		f.call("ada", "POST", "/api/v1/followups", fu, http.StatusCreated)
	}
	fuID := f.call("ada", "POST", "/api/v1/followups", map[string]any{"incident": f.incident, "title": f.payload("won't-do follow-up title"),
		"owner": "group:payments"}, http.StatusCreated)["id"].(string)
	for _, link := range liveLinks {
		f.refused("PATCH", "/api/v1/followups/"+fuID, map[string]any{"tracker_url": link})
	}
	f.call("ada", "PATCH", "/api/v1/followups/"+fuID, map[string]any{"status": "wont_do", "reason": f.payload("won't-do reason")}, http.StatusOK)
	// It waits for the leader above Payments (F3), who lets it go.
	f.call("vp", "POST", "/api/v1/followups/"+fuID+"/approval", map[string]any{"approve": true}, http.StatusOK)

	// A freeze over Payments and a deploy inside it (A6), not linked, so
	// the attribution below stays as it is.
	f.call("vp", "POST", "/api/v1/freezes", map[string]any{"start": rfc(-24 * time.Hour), "end": rfc(24 * time.Hour),
		"scope": []string{"group:payments"}, "reason": f.payload("freeze reason")}, http.StatusCreated)
	f.call("bob", "POST", "/api/v1/changes", map[string]any{"entity": "component:checkout-api", "actor": "user:bob", "at": rfc(-2 * time.Hour),
		"ref": f.payload("change ref"), "source": f.payload("change source")}, http.StatusCreated)

	// The attribution, overriding the suggestion (A8), and the private
	// record that follows: Ada's leader judges and decides (J2), she
	// appeals, the VP hears it (J4).
	f.call("vp", "PUT", base+"/attribution", map[string]any{"party": "user:ada", "justification": f.payload("attribution justification")}, http.StatusOK)
	f.call("pay-lead", "PUT", base+"/assessment", map[string]any{"factors": map[string]any{"expected_to_prevent": "yes"}}, http.StatusOK)
	f.call("pay-lead", "POST", base+"/assessment/decision", map[string]any{"level": 3, "justification": f.payload("decision justification")}, http.StatusOK)
	f.call("ada", "POST", base+"/assessment/appeal", map[string]any{"reason": f.payload("appeal reason")}, http.StatusCreated)
	f.call("vp", "POST", base+"/assessment/appeal/outcome", map[string]any{"level": 1, "justification": f.payload("appeal outcome justification")}, http.StatusOK)

	// An integrity flag, dismissed with a reason (I7): a SEV1 declared
	// two hours after it was detected raises I1.
	late := f.call("ada", "POST", "/api/v1/incidents", map[string]any{"title": "Declared late", "severity": "SEV1",
		"started_at": rfc(-3 * time.Hour), "detected_at": rfc(-2 * time.Hour),
		"entities": []any{map[string]any{"ref": "component:checkout-api", "origin": true}}}, http.StatusCreated)
	flags := f.call("", "GET", "/api/v1/integrity-flags?incident="+late["id"].(string), nil, http.StatusOK)["items"].([]any)
	if len(flags) == 0 {
		t.Fatal("a SEV1 declared late raised no integrity flag")
	}
	flag := flags[0].(map[string]any)["id"].(string)
	f.call("", "POST", "/api/v1/integrity-flags/"+flag+"/review", map[string]any{"confirm": false, "reason": f.payload("flag review reason")}, http.StatusOK)

	// No page shows these today (the API does); should one start to, the
	// page checks hold it to the same standard.
	f.unshown = []string{"person handle", "erasure reason", "follow-up tracker URL"}

	// Sunday of the same week: the first follow-up, due on Friday (the
	// day it was written), is overdue, so the boards and the review list it.
	h.clock.Advance(48 * time.Hour)
	return f
}

// markerOnly registers a field whose value cannot take the whole payload
// and returns its marker alone.
func (f *hostileFields) markerOnly(field string) string {
	p := f.payload(field)
	return p[:len(p)-len(hostileMarkup)]
}

// liveLinks are links that would run script if a page made them a link.
var liveLinks = []string{"javascript:alert(3)", " JavaScript:alert(3)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)"}

// refused sends a write that must be refused as bad input, as Ada.
func (f *hostileFields) refused(method, path string, body any) {
	f.t.Helper()
	res := f.h.do(call{method: method, path: path, body: body, token: f.as("ada")})
	if res.status < 400 || res.status >= 500 {
		f.t.Errorf("%s %s with a live link: %d, want a refusal\n%s", method, path, res.status, res.body)
	}
}

// publish resolves the incident and takes its postmortem through review
// to published, so its sections render as Markdown rather than in the
// editor.
func (f *hostileFields) publish() {
	f.t.Helper()
	base := "/api/v1/incidents/" + f.incident
	f.call("ada", "PATCH", base, map[string]any{"status": "resolved"}, http.StatusOK)
	f.call("ada", "POST", base+"/postmortem/transitions", map[string]any{"to": "in_review"}, http.StatusOK)
	f.call("vp", "POST", base+"/postmortem/transitions", map[string]any{"to": "published"}, http.StatusOK)
}

// checkInert fails the test if a page holds anything hostile markup could
// have made live: a script element other than the site's own, an event
// handler attribute, a javascript:, vbscript: or data: URL in an attribute
// that loads or links, or an srcdoc. The page is parsed as a browser
// would, so escaped text (which may well read "onerror=") is text. A
// finding names the field whose marker came last before it.
func checkInert(t *testing.T, name, body string, fields map[string]string) {
	t.Helper()
	found := map[string]bool{}
	report := func(field, what string) {
		t.Helper()
		msg := fmt.Sprintf("%s: %s, after the %s", name, what, field)
		if !found[msg] {
			found[msg] = true
			t.Error(msg)
		}
	}
	// last is the field whose marker comes last in s.
	last := func(s string) string {
		field, at := "start of the page", -1
		for f, m := range fields {
			if i := strings.LastIndex(s, m); i > at {
				field, at = f, i
			}
		}
		return field
	}

	lower := strings.ToLower(body)
	for _, raw := range []string{"<script>alert", "<img src=x", "<svg onload", "<b onmouseover"} {
		for i := 0; ; {
			j := strings.Index(lower[i:], raw)
			if j < 0 {
				break
			}
			i += j + len(raw)
			report(last(body[:i]), fmt.Sprintf("%q came through unescaped", raw))
		}
	}

	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	field := "start of the page"
	for n := range doc.Descendants() {
		if n.Type == html.TextNode {
			if f := last(n.Data); f != "start of the page" {
				field = f
			}
			continue
		}
		if n.Type != html.ElementNode {
			continue
		}
		if n.Data == "script" {
			if src := attrOf(n, "src"); !strings.HasPrefix(src, "/static/") || n.FirstChild != nil {
				report(field, "a script element "+outerHTML(n))
			}
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			switch {
			case strings.HasPrefix(key, "on"):
				report(field, fmt.Sprintf("an event handler <%s %s=%q>", n.Data, a.Key, a.Val))
			case key == "srcdoc":
				report(field, fmt.Sprintf("an srcdoc on <%s>", n.Data))
			case urlAttrs[key] && liveScheme(a.Val):
				report(field, fmt.Sprintf("a live link <%s %s=%q>", n.Data, a.Key, a.Val))
			}
		}
		for _, a := range n.Attr {
			if f := last(a.Val); f != "start of the page" {
				field = f
			}
		}
	}
}

// urlAttrs are the attributes whose value a browser follows or loads.
var urlAttrs = map[string]bool{"href": true, "src": true, "action": true, "formaction": true, "poster": true,
	"data": true, "background": true, "cite": true, "srcset": true}

// liveScheme tells whether a URL, as a browser reads it (ignoring case,
// whitespace and control characters), runs or embeds content.
func liveScheme(v string) bool {
	v = strings.ToLower(strings.Map(func(r rune) rune {
		if r <= ' ' {
			return -1
		}
		return r
	}, v))
	return strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:")
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func outerHTML(n *html.Node) string {
	var b strings.Builder
	if err := html.Render(&b, n); err != nil {
		return fmt.Sprint(err)
	}
	return b.String()
}
