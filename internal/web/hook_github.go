package web

import (
	"mime"
	"net/http"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/ingest"
)

// POST /hooks/github: GitHub's webhook. GitHub signs each delivery with
// the webhook's secret, so the signature is the authentication; without a
// secret configured (serve --github-secret) the endpoint does not exist
// for callers (404), since nothing could be verified. The answer is 202
// for every genuine delivery, whatever was made of it, so that GitHub
// does not retry what blameful chose to leave alone; its body says what
// happened.

// maxHookBytes bounds a webhook's body. GitHub caps its payloads at
// 25 MB, but the events blameful reads are a few kilobytes; a push with
// thousands of commits is not among them.
const maxHookBytes = 1 << 20

// WithGitHubSecret sets the secret GitHub signs webhook deliveries with
// (serve --github-secret); without it /hooks/github answers 404.
func WithGitHubSecret(secret string) Option {
	return func(s *Server) { s.githubSecret = []byte(secret) }
}

// hookAnswerJSON is what the webhook answers a genuine delivery.
type hookAnswerJSON struct {
	Delivery string `json:"delivery"`
	Event    string `json:"event"`
	// Recorded says whether the delivery changed anything; Replay that it
	// (or what it carries) was received before.
	Recorded bool     `json:"recorded"`
	Replay   bool     `json:"replay"`
	Reason   string   `json:"reason"`
	Changes  []string `json:"changes,omitempty"`
	FollowUp string   `json:"followup,omitempty"`
}

// hookGitHub takes a delivery, counting it in /metrics beside the alert
// hooks' (blameful_ingest_deliveries_total, source "github").
func (s *Server) hookGitHub(w http.ResponseWriter, r *http.Request) error {
	err := s.receiveGitHub(w, r)
	s.metrics.ingest.WithLabelValues("github", outcomeOf(err)).Inc()
	return err
}

func (s *Server) receiveGitHub(w http.ResponseWriter, r *http.Request) error {
	if len(s.githubSecret) == 0 {
		return errs.E(errs.NotFound, "GitHub webhooks are not configured: start serve with --github-secret")
	}
	body, err := readHookBody(w, r, maxHookBytes)
	if err != nil {
		return err
	}
	if err := ingest.VerifyGitHub(s.githubSecret, r.Header.Get(ingest.GitHubSignatureHeader), body); err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			return errs.E(errs.Invalid, "the body is %s; set the webhook's content type to application/json in GitHub", mt)
		}
	}
	out, err := s.app.ReceiveGitHub(r.Context(), r.Header.Get("X-GitHub-Event"), r.Header.Get("X-GitHub-Delivery"), body)
	if err != nil {
		return err
	}
	s.log.Info("github delivery", "request_id", requestID(r), "delivery", out.Delivery, "event", out.Event,
		"recorded", out.Recorded, "replay", out.Replay, "reason", out.Reason)
	writeJSON(w, http.StatusAccepted, hookAnswerJSON{Delivery: out.Delivery, Event: out.Event, Recorded: out.Recorded, Replay: out.Replay,
		Reason: out.Reason, Changes: out.Changes, FollowUp: out.FollowUp})
	return nil
}
