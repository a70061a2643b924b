package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/notify"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// githubSample reads one of GitHub's payloads (internal/ingest/testdata).
func githubSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "ingest", "testdata", "github", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withGitHubOrg imports the test org again with what GitHub's samples
// name: a person whose handle is Codertocat, and an entity whose code
// lives in Codertocat/Hello-World.
func withGitHubOrg(t *testing.T, a *app.App) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("apptest", "org.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "people:\n", "people:\n  - {id: octo, name: Octo Cat, handle: Codertocat}\n", 1)
	text = strings.Replace(text, "entities:\n", "entities:\n  - {id: component:hello, owner: payments, code: [github.com/Codertocat/Hello-World]}\n", 1)
	batch, err := importer.ParseOrg("apptest/org.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Import(ctx, apptest.Admin(), batch); err != nil {
		t.Fatal(err)
	}
}

func githubChanges(t *testing.T, a *app.App) []freeze.Change {
	t.Helper()
	list, err := a.Changes(ctx, apptest.Admin(), app.ChangeFilter{Entity: "component:default/hello"})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestGitHubDeploymentStatusSample(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		withGitHubOrg(t, a)
		body := githubSample(t, "deployment_status.created.json")
		out, err := a.ReceiveGitHub(ctx, "deployment_status", "delivery-1", body)
		if err != nil || !out.Recorded || len(out.Changes) != 1 {
			t.Fatalf("deployment_status.created.json: %+v %v", out, err)
		}
		got := githubChanges(t, a)
		if len(got) != 1 {
			t.Fatalf("%d changes, want 1", len(got))
		}
		c := got[0]
		want := freeze.Change{ID: c.ID, Entity: "component:default/hello", Ref: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
			Actor: "user:default/octo", At: time.Date(2019, 5, 15, 15, 20, 55, 0, time.UTC), Source: "github",
			RecordedAt: c.RecordedAt, RecordedBy: "system:default/github"}
		if c != want {
			t.Errorf("change\n got %+v\nwant %+v", c, want)
		}

		// The same delivery again, and the same status in another
		// delivery: nothing changes.
		for _, delivery := range []string{"delivery-1", "delivery-2"} {
			out, err := a.ReceiveGitHub(ctx, "deployment_status", delivery, body)
			if err != nil || out.Recorded || !out.Replay {
				t.Errorf("%s again: %+v %v", delivery, out, err)
			}
		}
		if n := len(githubChanges(t, a)); n != 1 {
			t.Errorf("%d changes after the replays, want 1", n)
		}
		if v, err := a.VerifyAudit(ctx, apptest.Admin()); err != nil || !v.OK {
			t.Errorf("audit: %+v %v", v, err)
		}
	})
}

func TestGitHubDeploymentReplayedAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		withGitHubOrg(t, a)
		body := githubSample(t, "deployment_status.created.json")
		var wg sync.WaitGroup
		outs := make([]app.GitHubOutcome, 3)
		errs := make([]error, 3)
		for i := range 3 {
			wg.Go(func() { outs[i], errs[i] = a.ReceiveGitHub(ctx, "deployment_status", "same-delivery", body) })
		}
		wg.Wait()
		recorded := 0
		for i := range 3 {
			if errs[i] != nil {
				t.Errorf("delivery %d: %v", i, errs[i])
			}
			if outs[i].Recorded {
				recorded++
			}
		}
		if n := len(githubChanges(t, a)); recorded != 1 || n != 1 {
			t.Errorf("%d recorded, %d changes; want exactly one", recorded, n)
		}
	})
}

func TestGitHubDeploymentLeftAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		body := githubSample(t, "deployment_status.created.json")
		// Before the catalog knows the repository: nobody's change.
		out, err := a.ReceiveGitHub(ctx, "deployment_status", "d-1", body)
		if err != nil || out.Recorded || !strings.Contains(out.Reason, "github.com/Codertocat/Hello-World") {
			t.Errorf("unknown repository: %+v %v", out, err)
		}
		withGitHubOrg(t, a)
		failed := strings.Replace(string(body), `"state": "success"`, `"state": "failure"`, 1)
		if out, err := a.ReceiveGitHub(ctx, "deployment_status", "d-2", []byte(failed)); err != nil || out.Recorded {
			t.Errorf("a failed deployment: %+v %v", out, err)
		}
		for file, event := range map[string]string{"deployment.created.json": "deployment", "workflow_run.completed.json": "workflow_run",
			"issues.opened.json": "issues"} {
			if out, err := a.ReceiveGitHub(ctx, event, "d-"+file, githubSample(t, file)); err != nil || out.Recorded {
				t.Errorf("%s: %+v %v", file, out, err)
			}
		}
		if out, err := a.ReceiveGitHub(ctx, "ping", "d-ping", []byte(`{"zen":"Design for failure."}`)); err != nil || out.Recorded {
			t.Errorf("ping: %+v %v", out, err)
		}
		// The first delivery was left alone, not received: sent again
		// once the catalog knows the repository, it records the change.
		if out, err := a.ReceiveGitHub(ctx, "deployment_status", "d-1", body); err != nil || !out.Recorded {
			t.Errorf("the first delivery again: %+v %v", out, err)
		}
		// A login no person has: the change has no actor.
		other := strings.ReplaceAll(string(body), `"login": "Codertocat"`, `"login": "someone-else"`)
		other = strings.Replace(other, `"id": 209916254`, `"id": 209916255`, 1)
		out, err = a.ReceiveGitHub(ctx, "deployment_status", "d-3", []byte(other))
		if err != nil || !out.Recorded || !strings.Contains(out.Reason, "someone-else") {
			t.Fatalf("an unknown login: %+v %v", out, err)
		}
		list := githubChanges(t, a)
		if len(list) != 2 || !list[0].Actor.IsZero() && !list[1].Actor.IsZero() {
			t.Errorf("changes %+v: want one without an actor", list)
		}
		if _, err := a.ReceiveGitHub(ctx, "deployment_status", "d-4", []byte(`{"deployment_status":`)); errs.KindOf(err) != errs.Invalid {
			t.Errorf("bad JSON: %v, want Invalid", err)
		}
	})
}

// fakeGitHub speaks GitHub's "create an issue" endpoint: it checks each
// request, answers 500 to the first failFirst of them, and then 201 with
// an issue numbered per repository.
type fakeGitHub struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	failFirst int
	calls     int
	issues    map[string]int
	bodies    []map[string]any
	problems  []string
}

func newFakeGitHub(t *testing.T, failFirst int) *fakeGitHub {
	g := &fakeGitHub{t: t, failFirst: failFirst, issues: map[string]int{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	check := func(ok bool, format string, args ...any) {
		if !ok {
			g.problems = append(g.problems, fmt.Sprintf(format, args...))
		}
	}
	check(r.Method == http.MethodPost, "method %s", r.Method)
	check(r.Header.Get("Authorization") == "Bearer test-token", "Authorization %q", r.Header.Get("Authorization"))
	check(r.Header.Get("Accept") == "application/vnd.github+json", "Accept %q", r.Header.Get("Accept"))
	check(r.Header.Get("X-GitHub-Api-Version") == "2022-11-28", "X-GitHub-Api-Version %q", r.Header.Get("X-GitHub-Api-Version"))
	repo, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/repos/"), "/issues")
	check(ok && strings.Count(repo, "/") == 1, "path %s", r.URL.Path)
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	check(json.Unmarshal(raw, &body) == nil, "body %s", raw)
	if g.calls <= g.failFirst {
		http.Error(w, `{"message":"Server Error"}`, http.StatusInternalServerError)
		return
	}
	g.bodies = append(g.bodies, body)
	g.issues[repo]++
	n := g.issues[repo]
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"id": 1, "number": %d, "html_url": "https://github.com/%s/issues/%d", "state": "open", "title": %q}`, n, repo, n, body["title"])
}

func TestExportFollowUpToGitHub(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		withGitHubOrg(t, a)
		in := declare(t, a, "component:checkout-api")
		f, err := a.CreateFollowUp(ctx, apptest.Admin(), app.FollowUpInput{Incident: in.ID, Title: "Cap the pool", Owner: "group:default/payments"})
		if err != nil {
			t.Fatal(err)
		}
		cy := apptest.Person("cy") // of checkout, not payments
		if _, err := a.ExportFollowUp(ctx, cy, f.ID, app.ExportInput{Tracker: "github", Repo: "Codertocat/Hello-World"}); errs.KindOf(err) != errs.Forbidden {
			t.Fatalf("someone of another team: %v, want Forbidden", err)
		}
		for _, bad := range []app.ExportInput{{Tracker: "jira", Repo: "a/b"}, {Tracker: "github", Repo: "not a repo"}, {Tracker: "github", Repo: "a/b/c"},
			{Tracker: "github", Repo: "a/b", Labels: []string{"bad\nlabel"}}, {Tracker: "github", Repo: "a/b", Labels: []string{strings.Repeat("x", 51)}}} {
			if _, err := a.ExportFollowUp(ctx, apptest.Admin(), f.ID, bad); errs.KindOf(err) != errs.Invalid {
				t.Errorf("%+v: %v, want Invalid", bad, err)
			}
		}
		bob := apptest.Person("bob") // a member of payments, the owner
		e, err := a.ExportFollowUp(ctx, bob, f.ID, app.ExportInput{Tracker: "github", Repo: "Codertocat/Hello-World", Labels: []string{"postmortem", " ", "postmortem", "SEV3"}})
		if err != nil || e.State != followup.ExportPending {
			t.Fatalf("export: %+v %v", e, err)
		}
		if _, err := a.ExportFollowUp(ctx, bob, f.ID, app.ExportInput{Tracker: "github", Repo: "Codertocat/Hello-World"}); errs.KindOf(err) != errs.Conflict {
			t.Errorf("exporting twice: %v, want Conflict", err)
		}

		// Slack alone configured: the issue waits for a GitHub token.
		slackOnly := &notify.Sender{SlackURL: "http://127.0.0.1:1/slack", AllowPrivate: true}
		if _, err := a.DeliverOutbox(ctx, slackOnly, clock.Now()); err != nil {
			t.Fatal(err)
		}
		v, err := a.FollowUpExport(ctx, bob, f.ID)
		if err != nil || v.Delivery != "waiting" || v.Attempts != 0 {
			t.Fatalf("without a token: %+v %v", v, err)
		}

		gh := newFakeGitHub(t, 1)
		s := &notify.Sender{GitHubToken: "test-token", GitHubAPI: gh.srv.URL, AllowPrivate: true, BaseURL: "https://blameful.example"}
		rep, err := a.DeliverOutbox(ctx, s, clock.Now())
		if err != nil || rep.Failed != 1 {
			t.Fatalf("first pass: %+v %v", rep, err)
		}
		v, err = a.FollowUpExport(ctx, bob, f.ID)
		if err != nil || v.Delivery != "retrying" || !strings.Contains(v.LastError, "500") {
			t.Fatalf("after a 500: %+v %v", v, err)
		}
		clock.Advance(time.Hour)
		if rep, err := a.DeliverOutbox(ctx, s, clock.Now()); err != nil || rep.Delivered != 1 {
			t.Fatalf("second pass: %+v %v", rep, err)
		}
		v, err = a.FollowUpExport(ctx, bob, f.ID)
		if err != nil || v.Export == nil || v.Export.State != followup.Exported || v.Export.Number != 1 ||
			v.Export.URL != "https://github.com/Codertocat/Hello-World/issues/1" || v.MayExport {
			t.Fatalf("after delivery: %+v %v", v, err)
		}
		got, err := a.FollowUp(ctx, bob, f.ID)
		if err != nil || got.TrackerURL != v.Export.URL {
			t.Errorf("tracker URL %q, want %q (%v)", got.TrackerURL, v.Export.URL, err)
		}
		gh.mu.Lock()
		if len(gh.problems) > 0 || len(gh.bodies) != 1 {
			t.Errorf("GitHub saw %d issues and problems %v", len(gh.bodies), gh.problems)
		} else {
			body, _ := gh.bodies[0]["body"].(string)
			if labels, _ := json.Marshal(gh.bodies[0]["labels"]); string(labels) != `["postmortem","SEV3"]` {
				t.Errorf("labels %s", labels)
			}
			if gh.bodies[0]["title"] != "Cap the pool" || !strings.Contains(body, "https://blameful.example/followups/"+string(f.ID)) ||
				!strings.Contains(body, string(in.ID)) {
				t.Errorf("issue %v", gh.bodies[0])
			}
		}
		gh.mu.Unlock()
		// Nothing more to deliver: the issue is made once.
		clock.Advance(time.Hour)
		if rep, err := a.DeliverOutbox(ctx, s, clock.Now()); err != nil || rep.Delivered+rep.Failed+rep.Dead != 0 {
			t.Errorf("third pass: %+v %v", rep, err)
		}
		if v, err := a.VerifyAudit(ctx, apptest.Admin()); err != nil || !v.OK {
			t.Errorf("audit: %+v %v", v, err)
		}
	})
}

// exported makes a follow-up and exports it to repo through a fake
// GitHub, which numbers it 1.
func exported(t *testing.T, a *app.App, clock *apptest.Clock, repo string) followup.FollowUp {
	t.Helper()
	in := declare(t, a, "component:checkout-api")
	f, err := a.CreateFollowUp(ctx, apptest.Admin(), app.FollowUpInput{Incident: in.ID, Title: "Fix " + repo, Owner: "group:default/payments"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExportFollowUp(ctx, apptest.Admin(), f.ID, app.ExportInput{Tracker: "github", Repo: repo}); err != nil {
		t.Fatal(err)
	}
	gh := newFakeGitHub(t, 0)
	s := &notify.Sender{GitHubToken: "test-token", GitHubAPI: gh.srv.URL, AllowPrivate: true}
	if rep, err := a.DeliverOutbox(ctx, s, clock.Now()); err != nil || rep.Delivered != 1 {
		t.Fatalf("deliver: %+v %v", rep, err)
	}
	return f
}

func TestGitHubIssuesSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		withGitHubOrg(t, a)
		slack := exported(t, a, clock, "github-slack/public-test")
		hello := exported(t, a, clock, "Codertocat/Hello-World")
		status := func(id followup.ID) followup.FollowUp {
			t.Helper()
			f, err := a.FollowUp(ctx, apptest.Admin(), id)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}

		closed := githubSample(t, "issues.closed.json")
		out, err := a.ReceiveGitHub(ctx, "issues", "c-1", closed)
		if err != nil || !out.Recorded || out.FollowUp != string(slack.ID) {
			t.Fatalf("issues.closed.json: %+v %v", out, err)
		}
		if f := status(slack.ID); f.Status != followup.Done || !strings.Contains(f.Reason, "closed in GitHub") ||
			!strings.Contains(f.Reason, "https://github.com/github-slack/public-test/issues/1") {
			t.Errorf("after issues.closed.json: %s %q", f.Status, f.Reason)
		}
		if out, err := a.ReceiveGitHub(ctx, "issues", "c-1", closed); err != nil || out.Recorded || !out.Replay {
			t.Errorf("issues.closed.json again: %+v %v", out, err)
		}
		if out, err := a.ReceiveGitHub(ctx, "issues", "o-1", githubSample(t, "issues.opened.json")); err != nil || out.Recorded {
			t.Errorf("issues.opened.json: %+v %v", out, err)
		}

		// Hello-World #1: reopened while open changes nothing; closed,
		// then reopened, opens it again.
		reopened := githubSample(t, "issues.reopened.json")
		if out, err := a.ReceiveGitHub(ctx, "issues", "r-0", reopened); err != nil || out.Recorded {
			t.Errorf("reopened while open: %+v %v", out, err)
		}
		closedHello := strings.Replace(string(reopened), `"action": "reopened"`, `"action": "closed"`, 1)
		if out, err := a.ReceiveGitHub(ctx, "issues", "c-2", []byte(closedHello)); err != nil || !out.Recorded {
			t.Fatalf("Hello-World closed: %+v %v", out, err)
		}
		if f := status(hello.ID); f.Status != followup.Done {
			t.Fatalf("Hello-World #1 closed: the follow-up is %s", f.Status)
		}
		if out, err := a.ReceiveGitHub(ctx, "issues", "r-1", reopened); err != nil || !out.Recorded {
			t.Fatalf("issues.reopened.json: %+v %v", out, err)
		}
		if f := status(hello.ID); f.Status != followup.Open || !f.ClosedAt.IsZero() {
			t.Errorf("after issues.reopened.json: %s closed %v", f.Status, f.ClosedAt)
		}
		v, err := a.FollowUpExport(ctx, apptest.Admin(), hello.ID)
		if err != nil || v.Export.IssueState != "open" {
			t.Errorf("issue state %+v %v", v.Export, err)
		}
		// A replay of the closing after the reopening changes nothing.
		if out, err := a.ReceiveGitHub(ctx, "issues", "c-2", []byte(closedHello)); err != nil || out.Recorded {
			t.Errorf("closing replayed: %+v %v", out, err)
		}
		if f := status(hello.ID); f.Status != followup.Open {
			t.Errorf("after the replay: %s", f.Status)
		}
		// Done in blameful first: closing the issue keeps it done and
		// records the issue's state.
		done := followup.Done
		if _, err := a.UpdateFollowUp(ctx, apptest.Admin(), hello.ID, app.FollowUpPatch{Status: &done}); err != nil {
			t.Fatal(err)
		}
		if out, err := a.ReceiveGitHub(ctx, "issues", "c-3", []byte(closedHello)); err != nil || !out.Recorded {
			t.Errorf("closed after done: %+v %v", out, err)
		}
		v, err = a.FollowUpExport(ctx, apptest.Admin(), hello.ID)
		if f := status(hello.ID); err != nil || f.Status != followup.Done || v.Export.IssueState != "closed" {
			t.Errorf("closed after done: %s, issue %q (%v)", f.Status, v.Export.IssueState, err)
		}
		if v, err := a.VerifyAudit(ctx, apptest.Admin()); err != nil || !v.OK {
			t.Errorf("audit: %+v %v", v, err)
		}
	})
}

// TestGitHubDeploymentByCodeowners: a repository no entity names is
// matched through its CODEOWNERS default owners when they own exactly one
// entity, and left alone, saying why, when they own several.
func TestGitHubDeploymentByCodeowners(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		for repo, owners := range map[string]string{"acme/db-tools": "@acme/platform", "acme/shop": "@acme/payments"} {
			file, err := importer.ParseCodeowners("CODEOWNERS", []byte("* "+owners+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.ImportCodeowners(ctx, apptest.Admin(), repo, file); err != nil {
				t.Fatal(err)
			}
		}
		body := string(githubSample(t, "deployment_status.created.json"))
		deploy := func(repo, delivery string) app.GitHubOutcome {
			t.Helper()
			b := strings.ReplaceAll(body, `"full_name": "Codertocat/Hello-World"`, `"full_name": "`+repo+`"`)
			b = strings.Replace(b, `"id": 209916254`, `"id": 1`+fmt.Sprint(len(delivery)), 1)
			out, err := a.ReceiveGitHub(ctx, "deployment_status", delivery, []byte(b))
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		if out := deploy("acme/db-tools", "d-1"); !out.Recorded || len(out.Changes) != 1 {
			t.Fatalf("platform's repository: %+v", out)
		}
		list, err := a.Changes(ctx, apptest.Admin(), app.ChangeFilter{Entity: "resource:default/orders-db"})
		if err != nil || len(list) != 1 || list[0].Source != "github" {
			t.Errorf("orders-db's changes: %+v %v", list, err)
		}
		if out := deploy("acme/shop", "d-22"); out.Recorded || !strings.Contains(out.Reason, "group:default/payments") {
			t.Errorf("payments' repository: %+v", out)
		}
	})
}
