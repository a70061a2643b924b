package ingest_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/ingest"
)

// FuzzParseGitHub feeds the parser GitHub's payloads and mutations of
// them, under each event name: it must never panic, and whatever it
// accepts must mean the same once written back as GitHub would send it
// and read again.
func FuzzParseGitHub(f *testing.F) {
	for file, event := range map[string]string{
		"deployment_status.created.json": "deployment_status",
		"deployment.created.json":        "deployment",
		"issues.opened.json":             "issues",
		"issues.closed.json":             "issues",
		"issues.reopened.json":           "issues",
		"workflow_run.completed.json":    "workflow_run",
		"workflow_run.requested.json":    "workflow_run",
	} {
		f.Add(event, sample(f, file))
	}
	f.Add("ping", []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`))
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		d, err := ingest.ParseGitHub(event, "fuzz", body)
		if err != nil {
			return
		}
		again, err := ingest.ParseGitHub(event, "fuzz", encodeGitHub(d))
		if err != nil {
			t.Fatalf("a parsed delivery does not parse again: %v", err)
		}
		if diff := cmp.Diff(d, again); diff != "" {
			t.Fatalf("the meaning changed once re-encoded (-first +again)\n%s", diff)
		}
	})
}

// encodeGitHub writes a delivery back as the JSON GitHub sends, with the
// fields the parser reads.
func encodeGitHub(d ingest.GitHubDelivery) []byte {
	p := map[string]any{}
	if d.Action != "" {
		p["action"] = d.Action
	}
	if d.Repository != "" {
		p["repository"] = map[string]any{"full_name": d.Repository}
	}
	if d.Sender != "" {
		p["sender"] = map[string]any{"login": d.Sender}
	}
	if dep := d.Deployment; dep != nil {
		deployment := map[string]any{"id": dep.DeploymentID, "sha": dep.SHA, "ref": dep.Ref, "environment": dep.Environment}
		if dep.Creator != "" {
			deployment["creator"] = map[string]any{"login": dep.Creator}
		}
		p["deployment"] = deployment
		p["deployment_status"] = map[string]any{"id": dep.StatusID, "state": dep.State, "created_at": dep.At.Format(time.RFC3339)}
	}
	if iss := d.Issue; iss != nil {
		p["issue"] = map[string]any{"number": iss.Number, "html_url": iss.URL, "state": iss.State, "title": iss.Title}
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return b
}
