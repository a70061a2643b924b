package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func issueMessage(t *testing.T, repo string) Message {
	t.Helper()
	b, err := json.Marshal(IssuePayload{FollowUp: "FU-2026-0007", Incident: "INC-2026-0042", Repo: repo, Title: "Cap the pool",
		Owner: "group:default/payments", Due: "2026-12-04", Priority: "P2"})
	if err != nil {
		t.Fatal(err)
	}
	return Message{ID: "m1", Kind: KindGitHubIssue, Recipient: "github:" + repo, Payload: b, CreatedAt: at}
}

// TestGitHubIssueRouting: an issue goes to GitHub alone, and GitHub
// takes nothing else.
func TestGitHubIssueRouting(t *testing.T) {
	issue := Message{Kind: KindGitHubIssue, To: []string{"a@example.com"}}
	reminder := Message{Kind: "followup.reminder", To: []string{"a@example.com"}}
	for _, ch := range Channels {
		if got := Applies(ch, issue); got != (ch == GitHub) {
			t.Errorf("an issue on %s: %v", ch, got)
		}
		if got := Applies(ch, reminder); got == (ch == GitHub) {
			t.Errorf("a reminder on %s: %v", ch, got)
		}
	}
	if got := (&Sender{GitHubToken: "t"}).Configured(); len(got) != 1 || got[0] != GitHub {
		t.Errorf("Configured with a token: %v", got)
	}
}

// TestCreateIssue: the request is GitHub's, the answer's number and URL
// come back, and each failure is permanent or not as a retry could cure
// it.
func TestCreateIssue(t *testing.T) {
	var status int
	var header http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body issueRequest
		ok := r.Method == http.MethodPost && r.URL.Path == "/repos/acme/checkout/issues" &&
			r.Header.Get("Authorization") == "Bearer secret-token" && r.Header.Get("Accept") == "application/vnd.github+json" &&
			r.Header.Get("X-GitHub-Api-Version") == "2022-11-28" && json.NewDecoder(r.Body).Decode(&body) == nil &&
			body.Title == "Cap the pool" && strings.Contains(body.Body, "https://blameful.example/followups/FU-2026-0007") &&
			strings.Contains(body.Body, "INC-2026-0042")
		if !ok {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		if status == http.StatusCreated {
			_, _ = w.Write([]byte(`{"number": 3, "html_url": "https://github.com/acme/checkout/issues/3"}`))
		} else {
			_, _ = w.Write([]byte(`{"message": "nope"}`))
		}
	}))
	defer srv.Close()
	s := &Sender{GitHubToken: "secret-token", GitHubAPI: srv.URL, AllowPrivate: true, BaseURL: "https://blameful.example/"}
	m := issueMessage(t, "acme/checkout")

	status = http.StatusCreated
	is, err := s.CreateIssue(context.Background(), m)
	if err != nil || is.Number != 3 || is.HTMLURL != "https://github.com/acme/checkout/issues/3" {
		t.Fatalf("created: %+v %v", is, err)
	}
	for _, tc := range []struct {
		name      string
		status    int
		header    http.Header
		permanent bool
	}{
		{"server error", 500, nil, false},
		{"too many requests", 429, nil, false},
		{"rate limited", 403, http.Header{"X-Ratelimit-Remaining": {"0"}}, false},
		{"forbidden", 403, nil, true},
		{"no such repository", 404, nil, true},
		{"refused body", 422, nil, true},
	} {
		status, header = tc.status, tc.header
		_, err := s.CreateIssue(context.Background(), m)
		if err == nil || IsPermanent(err) != tc.permanent {
			t.Errorf("%s: %v (permanent %v), want permanent %v", tc.name, err, IsPermanent(err), tc.permanent)
		}
	}
	header = nil
	if _, err := (&Sender{AllowPrivate: true}).CreateIssue(context.Background(), m); !IsPermanent(err) {
		t.Errorf("without a token: %v", err)
	}
	// The default guard refuses a loopback API, as it does Slack's.
	if _, err := (&Sender{GitHubToken: "t", GitHubAPI: srv.URL}).CreateIssue(context.Background(), m); !IsPermanent(err) {
		t.Errorf("a loopback API without AllowPrivate: %v", err)
	}
}
