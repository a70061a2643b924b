package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// GitHub Issues as a channel: a follow-up exported to GitHub is an outbox
// message of kind KindGitHubIssue, and its one delivery, on the GitHub
// channel, creates the issue through GitHub's REST API. The app reads the
// issue's number and URL from the answer and links the follow-up to it.

// GitHub is the channel that creates issues in GitHub.
const GitHub Channel = "github"

// KindGitHubIssue is the kind of the messages that create a GitHub issue
// for a follow-up. They go to the GitHub channel only, and it takes no
// other kind.
const KindGitHubIssue = "github_issue"

// DefaultGitHubAPI is GitHub's REST API.
const DefaultGitHubAPI = "https://api.github.com"

// IssuePayload is the payload of a KindGitHubIssue message, as the app
// queues it.
type IssuePayload struct {
	FollowUp string `json:"followup"`
	Incident string `json:"incident"`
	// Repo is OWNER/NAME.
	Repo     string   `json:"repo"`
	Title    string   `json:"title"`
	Owner    string   `json:"owner"`
	Due      string   `json:"due"`
	Priority string   `json:"priority"`
	Labels   []string `json:"labels,omitempty"`
}

// Issue is an issue GitHub created.
type Issue struct {
	Number  int64  `json:"number"`
	HTMLURL string `json:"html_url"`
}

// issueRequest is the body of GitHub's "create an issue" request.
type issueRequest struct {
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Labels []string `json:"labels,omitempty"`
}

// IssueBody writes the issue's text: what the follow-up is, and the way
// back to it in blameful (baseURL + /followups/{id}; the ids alone when
// there is no base URL).
func IssueBody(p IssuePayload, baseURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Follow-up %s of incident %s, exported from blameful.\n\n", p.FollowUp, p.Incident)
	fmt.Fprintf(&b, "- Owner: %s\n- Due: %s\n- Priority: %s\n", p.Owner, p.Due, p.Priority)
	if base := strings.TrimRight(baseURL, "/"); base != "" {
		fmt.Fprintf(&b, "\nIn blameful: %s/followups/%s (incident: %s/incidents/%s)\n", base, url.PathEscape(p.FollowUp), base, url.PathEscape(p.Incident))
	}
	b.WriteString("\nClosing this issue marks the follow-up done in blameful; reopening it opens the follow-up again.\n")
	return b.String()
}

// CreateIssue makes one attempt at creating the issue a KindGitHubIssue
// message asks for: POST {api}/repos/{owner}/{repo}/issues with the
// sender's token. It returns the issue GitHub made. Errors are as Send's:
// a 4xx answer other than 408, 425 and 429 (a repository that does not
// exist, a token without access, a refused body) is permanent; a rate
// limit (403 or 429 with no requests remaining), a 5xx or a broken
// connection is worth another try.
func (s *Sender) CreateIssue(ctx context.Context, m Message) (Issue, error) {
	var none Issue
	if s.GitHubToken == "" {
		return none, Permanent(errors.New("no GitHub token is configured (serve --github-token)"))
	}
	if m.Kind != KindGitHubIssue {
		return none, Permanent(fmt.Errorf("a %s message is not a GitHub issue", m.Kind))
	}
	var p IssuePayload
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.Repo == "" || p.Title == "" {
		return none, Permanent(fmt.Errorf("the message holds no issue to create"))
	}
	owner, name, ok := strings.Cut(p.Repo, "/")
	if !ok {
		return none, Permanent(fmt.Errorf("%q is not OWNER/NAME", p.Repo))
	}
	api := strings.TrimRight(s.githubAPI(), "/")
	target := api + "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/issues"
	body, err := json.Marshal(issueRequest{Title: p.Title, Body: IssueBody(p, s.BaseURL), Labels: p.Labels})
	if err != nil {
		return none, Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return none, Permanent(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.GitHubToken)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "blameful-notify")
	res, err := s.httpClient().Do(req)
	if err != nil {
		var b *BlockedError
		if errors.As(err, &b) {
			return none, Permanent(b)
		}
		return none, fmt.Errorf("POST to %s: %w", req.URL.Host, unwrapURL(err))
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode == http.StatusCreated || res.StatusCode == http.StatusOK {
		var is Issue
		if err := json.Unmarshal(answer, &is); err != nil || is.Number <= 0 || is.HTMLURL == "" {
			// The issue may exist: another try could make a second one,
			// so this one is not tried again.
			return none, Permanent(fmt.Errorf("GitHub answered %s without an issue number and html_url", res.Status))
		}
		return is, nil
	}
	err = fmt.Errorf("POST to %s/repos/%s/issues: %s", req.URL.Host, p.Repo, res.Status)
	if snippet := bytes.TrimSpace(answer); len(snippet) > 0 {
		err = fmt.Errorf("%w: %s", err, clip(string(snippet), 300))
	}
	rateLimited := res.Header.Get("X-RateLimit-Remaining") == "0" || res.Header.Get("Retry-After") != ""
	switch {
	case res.StatusCode == 408 || res.StatusCode == 425 || res.StatusCode == 429:
		return none, err
	case res.StatusCode == http.StatusForbidden && rateLimited:
		return none, err
	case res.StatusCode >= 400 && res.StatusCode < 500:
		return none, Permanent(err)
	}
	return none, err
}

func (s *Sender) githubAPI() string {
	if s.GitHubAPI != "" {
		return s.GitHubAPI
	}
	return DefaultGitHubAPI
}
