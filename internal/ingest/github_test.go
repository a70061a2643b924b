package ingest_test

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/ingest"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "github", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifyGitHubDocumentedVector checks the verifier against the test
// vector GitHub publishes, read from the file that quotes it.
func TestVerifyGitHubDocumentedVector(t *testing.T) {
	var secret, payload, header string
	for _, line := range strings.Split(string(sample(t, "x-hub-signature-256.test-vector.txt")), "\n") {
		if v, ok := strings.CutPrefix(line, "secret: "); ok {
			secret = v
		}
		if v, ok := strings.CutPrefix(line, "payload (exact bytes, no newline): "); ok {
			payload = v
		}
		if v, ok := strings.CutPrefix(line, "X-Hub-Signature-256: "); ok {
			header = v
		}
	}
	if secret != "It's a Secret to Everybody" || payload != "Hello, World!" || header == "" {
		t.Fatalf("the vector file reads as secret %q, payload %q, header %q", secret, payload, header)
	}
	if err := ingest.VerifyGitHub([]byte(secret), header, []byte(payload)); err != nil {
		t.Errorf("the documented vector: %v", err)
	}
	if got := "sha256=" + hex.EncodeToString(ingest.SignGitHub([]byte(secret), []byte(payload))); got != header {
		t.Errorf("SignGitHub = %s, want %s", got, header)
	}
	refused := map[string]struct{ secret, header, body string }{
		"missing":        {secret, "", payload},
		"another secret": {"It's a Secret to Nobody", header, payload},
		"changed body":   {secret, header, payload + "\n"},
		"no prefix":      {secret, strings.TrimPrefix(header, "sha256="), payload},
		"sha1":           {secret, "sha1=" + strings.TrimPrefix(header, "sha256="), payload},
		"not hex":        {secret, "sha256=" + strings.Repeat("z", 64), payload},
		"short":          {secret, header[:len(header)-2], payload},
	}
	for name, c := range refused {
		t.Run(name, func(t *testing.T) {
			err := ingest.VerifyGitHub([]byte(c.secret), c.header, []byte(c.body))
			if errs.KindOf(err) != errs.Unauthenticated {
				t.Errorf("got %v, want Unauthenticated", err)
			}
		})
	}
}

func TestParseGitHubSamples(t *testing.T) {
	at := time.Date(2019, 5, 15, 15, 20, 55, 0, time.UTC)
	tests := []struct {
		file, event string
		want        ingest.GitHubDelivery
	}{
		{"deployment_status.created.json", "deployment_status", ingest.GitHubDelivery{ID: "d1", Event: "deployment_status", Action: "created",
			Repository: "Codertocat/Hello-World", Sender: "Codertocat", Deployment: &ingest.GitHubDeployment{StatusID: 209916254,
				DeploymentID: 145988746, State: "success", SHA: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", Ref: "master",
				Environment: "production", Creator: "Codertocat", At: at}}},
		{"issues.opened.json", "issues", ingest.GitHubDelivery{ID: "d1", Event: "issues", Action: "opened", Repository: "Codertocat/Hello-World",
			Sender: "Codertocat", Issue: &ingest.GitHubIssue{Number: 1, URL: "https://github.com/Codertocat/Hello-World/issues/1", State: "open",
				Title: "Spelling error in the README file"}}},
		{"issues.reopened.json", "issues", ingest.GitHubDelivery{ID: "d1", Event: "issues", Action: "reopened", Repository: "Codertocat/Hello-World",
			Sender: "Codertocat", Issue: &ingest.GitHubIssue{Number: 1, URL: "https://github.com/Codertocat/Hello-World/issues/1", State: "open",
				Title: "Spelling error in the README file"}}},
		{"issues.closed.json", "issues", ingest.GitHubDelivery{ID: "d1", Event: "issues", Action: "closed", Repository: "github-slack/public-test",
			Sender: "bkeepers", Issue: &ingest.GitHubIssue{Number: 1, URL: "https://github.com/github-slack/public-test/issues/1", State: "closed"}}},
		{"deployment.created.json", "deployment", ingest.GitHubDelivery{ID: "d1", Event: "deployment", Action: "created",
			Repository: "Codertocat/Hello-World", Sender: "Codertocat"}},
		{"workflow_run.completed.json", "workflow_run", ingest.GitHubDelivery{ID: "d1", Event: "workflow_run", Action: "completed",
			Repository: "octo-org/octo-repo", Sender: "Codertocat"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ingest.ParseGitHub(tt.event, "d1", sample(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got.Issue != nil && tt.want.Issue != nil && tt.want.Issue.Title == "" {
				tt.want.Issue.Title = got.Issue.Title // the 2017 delivery's title is not the point
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestParseGitHubRefuses(t *testing.T) {
	status := string(sample(t, "deployment_status.created.json"))
	tests := []struct {
		name, event, delivery, body, want string
	}{
		{"no event header", "", "d1", `{}`, "X-GitHub-Event"},
		{"no delivery header", "ping", "", `{}`, "X-GitHub-Delivery"},
		{"empty body", "ping", "d1", ``, "empty"},
		{"not JSON", "ping", "d1", `{"zen":`, "malformed JSON"},
		{"an array", "ping", "d1", `[1]`, "JSON object"},
		{"two values", "ping", "d1", `{} {}`, "exactly one"},
		{"a number for a name", "issues", "d1", `{"action":"closed","repository":{"full_name":7}}`, "repository.full_name"},
		{"no status", "deployment_status", "d1", `{"deployment":{"id":1,"sha":"a"},"repository":{"full_name":"a/b"}}`, "deployment_status is missing"},
		{"no deployment", "deployment_status", "d1", `{"deployment_status":{"id":1,"state":"success"},"repository":{"full_name":"a/b"}}`, "deployment is missing"},
		{"a bad time", "deployment_status", "d1", strings.Replace(status, "2019-05-15T15:20:55Z", "yesterday", 1), "created_at"},
		{"a negative id", "deployment_status", "d1", strings.Replace(status, `"id": 209916254`, `"id": -4`, 1), "deployment_status.id"},
		{"no repository", "deployment_status", "d1", strings.Replace(status, `"full_name": "Codertocat/Hello-World"`, `"full_name": ""`, 1), "repository.full_name"},
		{"no issue", "issues", "d1", `{"action":"closed","repository":{"full_name":"a/b"}}`, "issue is missing"},
		{"a fractional number", "issues", "d1", `{"action":"closed","issue":{"number":1.5},"repository":{"full_name":"a/b"}}`, "issue.number"},
		{"a control character", "issues", "d1", `{"action":"clo\u0000sed","issue":{"number":1},"repository":{"full_name":"a/b"}}`, "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ingest.ParseGitHub(tt.event, tt.delivery, []byte(tt.body))
			if errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want Invalid naming %q", err, tt.want)
			}
		})
	}
}

func TestIsRepoPath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"github.com/Codertocat/Hello-World", true},
		{"github.com/codertocat/hello-world", true},
		{"https://github.com/Codertocat/Hello-World/tree/main/", true},
		{"url:https://github.com/Codertocat/Hello-World", true},
		{"github.com/Codertocat/Hello-World.git", true},
		{"github.com/Codertocat/Hello-World-2", false},
		{"github.com/Codertocat", false},
		{"gitlab.com/Codertocat/Hello-World", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ingest.IsRepoPath(tt.path, "Codertocat/Hello-World"); got != tt.want {
			t.Errorf("IsRepoPath(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
