package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestChangesPage walks A6 through the pages: a leader declares a freeze
// over Payments, a member may not (refused in place, 403); hostile or bad
// input in either form is refused in place with nothing written; a deploy
// recorded inside the freeze is tagged on /changes, the filters keep out
// what does not match; the incident page offers the deploy from the week
// before its start, links it, and refuses a bad id in place; and the
// postmortem editor then names the person who deployed by A6, with the
// change and the freeze as evidence.
func TestChangesPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ctx := context.Background()
		ada, bob, vp := apptest.Person("ada"), apptest.Person("bob"), apptest.Person("vp", org.RoleLeader)
		now := clock.Now()
		local := func(d time.Duration) string { return now.Add(d).UTC().Format("2006-01-02T15:04") }
		counts := func() (int, int) {
			t.Helper()
			fzs, err := a.Freezes(ctx, ada, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			chs, err := a.Changes(ctx, ada, app.ChangeFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return len(fzs), len(chs)
		}
		refused := func(name string, w interface {
			Result() *http.Response
		}, body string, want int) {
			t.Helper()
			if code := w.Result().StatusCode; code != want || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "Changes and freezes") {
				t.Errorf("%s: %d, want %d with the refusal in place on the page", name, code, want)
			}
		}

		good := url.Values{"start": {local(-24 * time.Hour)}, "end": {local(24 * time.Hour)}, "scope": {"group:payments"}, "reason": {"Black Friday"}}
		w := pageCall(t, s, s.postFreeze, ada, "POST", "/changes/freezes", good, nil)
		refused("a member declaring a freeze", w, w.Body.String(), http.StatusForbidden)
		if n, _ := counts(); n != 0 {
			t.Fatalf("a member's refused freeze was written: %d", n)
		}
		for name, form := range map[string]url.Values{
			"a NUL in the reason":        {"start": good["start"], "end": good["end"], "scope": good["scope"], "reason": {"Black\x00Friday"}},
			"an escape in the reason":    {"start": good["start"], "end": good["end"], "scope": good["scope"], "reason": {"\x1b[2Jgone"}},
			"markup as the scope":        {"start": good["start"], "end": good["end"], "scope": {"<script>alert(1)</script>"}, "reason": good["reason"]},
			"a person in the scope":      {"start": good["start"], "end": good["end"], "scope": {"user:ada"}, "reason": good["reason"]},
			"an unknown team":            {"start": good["start"], "end": good["end"], "scope": {"group:nobody"}, "reason": good["reason"]},
			"all and a team":             {"start": good["start"], "end": good["end"], "scope": {"all, group:payments"}, "reason": good["reason"]},
			"the end before the start":   {"start": good["end"], "end": good["start"], "scope": good["scope"], "reason": good["reason"]},
			"a start that is not a time": {"start": {"tomorrow"}, "end": good["end"], "scope": good["scope"], "reason": good["reason"]},
			"no reason":                  {"start": good["start"], "end": good["end"], "scope": good["scope"]},
		} {
			w := pageCall(t, s, s.postFreeze, vp, "POST", "/changes/freezes", form, nil)
			refused(name, w, w.Body.String(), http.StatusUnprocessableEntity)
		}
		if n, _ := counts(); n != 0 {
			t.Fatalf("refused freezes were written: %d", n)
		}
		if w := pageCall(t, s, s.postFreeze, vp, "POST", "/changes/freezes", good, nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/changes#freezes" {
			t.Fatalf("a leader declaring a freeze: %d %s", w.Code, w.Body)
		}
		later := url.Values{"start": {local(72 * time.Hour)}, "end": {local(96 * time.Hour)}, "scope": {"ALL"}, "reason": {"Year-end close"}}
		if w := pageCall(t, s, s.postFreeze, vp, "POST", "/changes/freezes", later, nil); w.Code != http.StatusSeeOther {
			t.Fatalf("a freeze over everything: %d %s", w.Code, w.Body)
		}

		deploy := url.Values{"entity": {"component:checkout-api"}, "ref": {"v2026.11.20-3"}, "actor": {"user:bob"}, "at": {local(-2 * time.Hour)}, "source": {"ci"}}
		for name, form := range map[string]url.Values{
			"a line break in the ref":    {"entity": deploy["entity"], "ref": {"v1\nDROP TABLE changes"}, "actor": deploy["actor"]},
			"a NUL in the source":        {"entity": deploy["entity"], "ref": deploy["ref"], "actor": deploy["actor"], "source": {"c\x00i"}},
			"markup as the entity":       {"entity": {"<img src=x onerror=alert(1)>"}, "ref": deploy["ref"], "actor": deploy["actor"]},
			"a team as the actor":        {"entity": deploy["entity"], "ref": deploy["ref"], "actor": {"group:payments"}},
			"an unknown entity":          {"entity": {"component:nowhere"}, "ref": deploy["ref"], "actor": deploy["actor"]},
			"an approval by oneself":     {"entity": deploy["entity"], "ref": deploy["ref"], "actor": deploy["actor"], "exception_approved_by": {"user:bob"}},
			"an approval from elsewhere": {"entity": deploy["entity"], "ref": deploy["ref"], "actor": deploy["actor"], "exception_approved_by": {"user:plat-lead"}},
			"a change in the future":     {"entity": deploy["entity"], "ref": deploy["ref"], "actor": deploy["actor"], "at": {local(48 * time.Hour)}},
			"no ref":                     {"entity": deploy["entity"], "actor": deploy["actor"]},
		} {
			w := pageCall(t, s, s.postChange, bob, "POST", "/changes", form, nil)
			refused(name, w, w.Body.String(), http.StatusUnprocessableEntity)
		}
		w = pageCall(t, s, s.postChange, bob, "POST", "/changes", url.Values{"entity": deploy["entity"], "ref": deploy["ref"], "actor": deploy["actor"],
			"exception_approved_by": {"user:plat-lead"}}, nil)
		if !strings.Contains(w.Body.String(), ">A6<") || !strings.Contains(w.Body.String(), `value="user:plat-lead"`) {
			t.Error("the refused exception does not name A6 or keep what was typed")
		}
		if _, n := counts(); n != 0 {
			t.Fatalf("refused changes were written: %d", n)
		}
		if w := pageCall(t, s, s.postChange, bob, "POST", "/changes", deploy, nil); w.Code != http.StatusSeeOther {
			t.Fatalf("recording a change: %d %s", w.Code, w.Body)
		}
		// A deploy to what Platform owns is outside the freeze on Payments.
		other := url.Values{"entity": {"resource:orders-db"}, "ref": {"pg-16.4"}, "actor": {"user:dee"}, "at": {local(-3 * time.Hour)}}
		if w := pageCall(t, s, s.postChange, bob, "POST", "/changes", other, nil); w.Code != http.StatusSeeOther {
			t.Fatalf("recording another change: %d %s", w.Code, w.Body)
		}
		chs, err := a.Changes(ctx, ada, app.ChangeFilter{Entity: org.MustRef("component:checkout-api")})
		if err != nil || len(chs) != 1 {
			t.Fatalf("the deploy: %v %v", chs, err)
		}
		change := chs[0]

		body := pageCall(t, s, s.pageChanges, ada, "GET", "/changes", nil, nil).Body.String()
		for _, want := range []string{"In force now", "Black Friday", `href="/teams/group:default/payments"`, "Coming", "Year-end close",
			"<strong>everything</strong>", "v2026.11.20-3", "pg-16.4", `href="/people/user:default/bob"`, "inside a freeze (A6)",
			"Leaders and admins declare freezes", `action="/changes"`} {
			if !strings.Contains(body, want) {
				t.Errorf("/changes lacks %q", want)
			}
		}
		if strings.Count(body, "inside a freeze (A6)") != 1 {
			t.Errorf("/changes tags %d changes inside a freeze, want 1 (the Platform deploy is outside it)", strings.Count(body, "inside a freeze (A6)"))
		}
		if strings.Contains(body, `action="/changes/freezes"`) {
			t.Error("a member is offered the freeze form")
		}
		if !strings.Contains(pageCall(t, s, s.pageChanges, vp, "GET", "/changes", nil, nil).Body.String(), `action="/changes/freezes"`) {
			t.Error("a leader is not offered the freeze form")
		}
		for target, absent := range map[string]string{
			"/changes?entity=resource:orders-db":                          "<td>v2026.11.20-3</td>",
			"/changes?entity=checkout-api":                                "<td>pg-16.4</td>",
			"/changes?since=" + now.AddDate(0, 0, 1).Format("2006-01-02"): "<td>v2026.11.20-3</td>",
		} {
			w := pageCall(t, s, s.pageChanges, ada, "GET", target, nil, nil)
			if w.Code != http.StatusOK || strings.Contains(w.Body.String(), absent) {
				t.Errorf("%s: %d, lists %s: %v", target, w.Code, absent, strings.Contains(w.Body.String(), absent))
			}
		}
		if w := pageCall(t, s, s.pageChanges, ada, "GET", "/changes?since=yesterday", nil, nil); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("a bad since: %d", w.Code)
		}

		in, err := a.DeclareIncident(ctx, ada, app.IncidentInput{Title: "Double charges", Severity: incident.SEV2, StartedAt: now.Add(-time.Hour),
			Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		path := map[string]string{"id": string(in.ID)}
		body = pageCall(t, s, s.pageIncident, ada, "GET", "/incidents/"+string(in.ID), nil, path).Body.String()
		if !strings.Contains(body, "No change is linked") || !strings.Contains(body, `name="change" value="`+change.ID+`"`) || strings.Contains(body, "pg-16.4") {
			t.Error("the incident page does not offer its entity's deploy alone to link")
		}
		for _, bad := range []string{"nope", "", "<script>x</script>"} {
			w := pageCall(t, s, s.postLinkChange, ada, "POST", "/", url.Values{"change": {bad}}, path)
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="link-error"`) || strings.Contains(w.Body.String(), "<script>x") {
				t.Errorf("linking %q: %d, want 422 in place", bad, w.Code)
			}
		}
		if linked, _ := a.IncidentChanges(ctx, ada, in.ID); len(linked) != 0 {
			t.Fatalf("a refused link was written: %v", linked)
		}
		if w := pageCall(t, s, s.postLinkChange, ada, "POST", "/", url.Values{"change": {change.ID}}, path); w.Code != http.StatusSeeOther ||
			w.Header().Get("Location") != "/incidents/"+string(in.ID)+"#changes" {
			t.Fatalf("linking: %d %s", w.Code, w.Body)
		}
		body = pageCall(t, s, s.pageIncident, ada, "GET", "/", nil, path).Body.String()
		if strings.Contains(body, "No change is linked") || !strings.Contains(body, "inside a freeze (A6)") || strings.Contains(body, `name="change" value="`+change.ID+`"`) {
			t.Error("the incident page does not show the linked change, tagged, and out of the list to link")
		}

		// The editor: A6 named the party, with the change and the freeze.
		body = pageCall(t, s, s.pagePostmortem, ada, "GET", "/", nil, path).Body.String()
		fzs, _ := a.Freezes(ctx, ada, now)
		if len(fzs) != 1 {
			t.Fatalf("freezes in force: %d", len(fzs))
		}
		for _, want := range []string{"<strong>user:bob</strong> <span class=\"rule\">A6</span>", `<tr class="applied"><th scope="row"><span class="rule">A6</span>`,
			"inside freeze " + fzs[0].ID, "change " + change.ID + " (v2026.11.20-3)", "freeze " + fzs[0].ID, "Black Friday"} {
			if !strings.Contains(body, want) {
				t.Errorf("the editor lacks %q", want)
			}
		}
	})
}
