package ingest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
)

// GitHub webhooks. GitHub signs each delivery with the webhook's secret
// (X-Hub-Signature-256: "sha256=" and the hex HMAC-SHA256 of the exact
// body), names the event in X-GitHub-Event and the delivery in
// X-GitHub-Delivery, a GUID that a redelivery keeps. Of the events, two
// mean something to blameful: deployment_status (a deploy that succeeded
// is a change, rule A6's fact) and issues (an issue exported from a
// follow-up was closed or reopened). Every other event is read as far as
// its name and left alone.

// GitHubSignatureHeader is the header GitHub puts its signature in.
const GitHubSignatureHeader = "X-Hub-Signature-256"

// The GitHub events blameful reads.
const (
	GitHubPing             = "ping"
	GitHubDeploymentStatus = "deployment_status"
	GitHubIssues           = "issues"
)

// VerifyGitHub checks a delivery's X-Hub-Signature-256 header against
// the exact body it came with, in constant time. The error is
// Unauthenticated and says what is wrong: no header, a header not of the
// form sha256=<64 hex digits>, or a signature that does not match (the
// wrong secret, or a body changed on the way).
func VerifyGitHub(secret []byte, header string, body []byte) error {
	if header == "" {
		return errs.E(errs.Unauthenticated, "the delivery is not signed: %s is missing (set the webhook's secret in GitHub)", GitHubSignatureHeader)
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(got) != sha256.Size {
		return errs.E(errs.Unauthenticated, "%s must be sha256= followed by 64 hexadecimal digits", GitHubSignatureHeader)
	}
	if !hmac.Equal(got, SignGitHub(secret, body)) {
		return errs.E(errs.Unauthenticated, "%s does not match the body: the secret differs from the one blameful has", GitHubSignatureHeader)
	}
	return nil
}

// SignGitHub returns the HMAC-SHA256 of body under secret, the signature
// GitHub sends (hex-encoded, after "sha256=").
func SignGitHub(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

// GitHubDelivery is one webhook delivery, read as far as blameful needs.
type GitHubDelivery struct {
	// ID is the X-GitHub-Delivery GUID; Event the X-GitHub-Event name.
	ID    string
	Event string
	// Action is the payload's action ("created", "closed"…), when it has
	// one.
	Action string
	// Repository is the repository's full name, OWNER/NAME; empty for
	// events about no repository (an organisation's ping).
	Repository string
	// Sender is the login of whoever caused the event.
	Sender string
	// Deployment is set for deployment_status, Issue for issues.
	Deployment *GitHubDeployment
	Issue      *GitHubIssue
}

// GitHubDeployment is a deployment_status event: a status posted for a
// deployment.
type GitHubDeployment struct {
	// StatusID identifies the status; the same status sent twice is one
	// change.
	StatusID     int64
	DeploymentID int64
	// State is the status: success, failure, error, inactive, in_progress,
	// queued or pending.
	State string
	// SHA and Ref are what was deployed: the commit, and the branch or tag
	// it was asked for by.
	SHA, Ref    string
	Environment string
	// Creator is the login of who created the deployment (the person who
	// deployed), else of who posted the status.
	Creator string
	// At is when the status was posted.
	At time.Time
}

// Version is what went out: the commit, else the ref.
func (d *GitHubDeployment) Version() string {
	if d.SHA != "" {
		return d.SHA
	}
	return d.Ref
}

// GitHubIssue is an issues event.
type GitHubIssue struct {
	Number int64
	// URL is the issue's page (html_url).
	URL   string
	State string
	Title string
}

// maxGitHubText bounds the strings blameful keeps from a delivery: logins
// are at most 39 characters and repository names 100, so anything longer is
// not GitHub's.
const maxGitHubText = 1000

// ParseGitHub reads a delivery: its event and delivery headers and its
// JSON body. Events other than ping, deployment_status and issues are
// parsed only as far as their repository and sender. The error is Invalid
// and names what is wrong: malformed JSON, or a field the event needs
// that is missing or of the wrong type.
func ParseGitHub(event, delivery string, body []byte) (GitHubDelivery, error) {
	d := GitHubDelivery{ID: strings.TrimSpace(delivery), Event: strings.TrimSpace(event)}
	if d.Event == "" {
		return d, errs.E(errs.Invalid, "the X-GitHub-Event header is missing: it names the event delivered")
	}
	if d.ID == "" {
		return d, errs.E(errs.Invalid, "the X-GitHub-Delivery header is missing: it identifies the delivery")
	}
	if len(d.ID) > 100 || len(d.Event) > 100 {
		return d, errs.E(errs.Invalid, "the X-GitHub-Event or X-GitHub-Delivery header is too long to be GitHub's")
	}
	var p ghPayload
	if err := decodeGitHub(body, &p); err != nil {
		return d, err
	}
	d.Action = p.Action
	if p.Repository != nil {
		d.Repository = p.Repository.FullName
	}
	if p.Sender != nil {
		d.Sender = p.Sender.Login
	}
	switch d.Event {
	case GitHubDeploymentStatus:
		dep, err := p.deployment()
		if err != nil {
			return d, err
		}
		d.Deployment = dep
	case GitHubIssues:
		iss, err := p.issue()
		if err != nil {
			return d, err
		}
		d.Issue = iss
	}
	if d.Repository == "" && (d.Deployment != nil || d.Issue != nil) {
		return d, errs.E(errs.Invalid, "repository.full_name is missing: a %s event is about a repository", d.Event)
	}
	if err := checkText(d); err != nil {
		return d, err
	}
	return d, nil
}

// decodeGitHub decodes a payload, naming what is wrong with it.
func decodeGitHub(body []byte, p *ghPayload) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(p); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return errs.E(errs.Invalid, "the body is empty; GitHub sends a JSON object")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errs.E(errs.Invalid, "malformed JSON: the body ends too early")
		case errors.As(err, &syn):
			return errs.E(errs.Invalid, "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
		case errors.As(err, &typ):
			if typ.Field == "" {
				return errs.E(errs.Invalid, "the body must be a JSON object")
			}
			return errs.E(errs.Invalid, "%s must be a %s, not %s", typ.Field, typ.Type.Kind(), typ.Value)
		}
		return errs.E(errs.Invalid, "malformed JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, "the body must hold exactly one JSON value")
	}
	return nil
}

// checkText refuses strings no GitHub delivery holds: too long, or not
// UTF-8 text.
func checkText(d GitHubDelivery) error {
	fields := map[string]string{"action": d.Action, "repository.full_name": d.Repository, "sender.login": d.Sender}
	if dep := d.Deployment; dep != nil {
		fields["deployment.sha"], fields["deployment.ref"], fields["deployment.environment"] = dep.SHA, dep.Ref, dep.Environment
		fields["deployment.creator.login"], fields["deployment_status.state"] = dep.Creator, dep.State
	}
	if iss := d.Issue; iss != nil {
		fields["issue.html_url"], fields["issue.state"] = iss.URL, iss.State
	}
	for name, v := range fields {
		if len(v) > maxGitHubText {
			return errs.E(errs.Invalid, "%s is longer than %d bytes", name, maxGitHubText)
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0xfffd }) {
			return errs.E(errs.Invalid, "%s holds control characters or bytes that are not UTF-8", name)
		}
	}
	return nil
}

// ghPayload is the part of a GitHub payload blameful reads. Unknown
// fields are ignored: GitHub adds fields over time.
type ghPayload struct {
	Action           string        `json:"action"`
	Repository       *ghRepository `json:"repository"`
	Sender           *ghUser       `json:"sender"`
	Deployment       *ghDeployment `json:"deployment"`
	DeploymentStatus *ghStatus     `json:"deployment_status"`
	Issue            *ghIssue      `json:"issue"`
}

type ghRepository struct {
	FullName string `json:"full_name"`
}

type ghUser struct {
	Login string `json:"login"`
}

type ghDeployment struct {
	ID          json.Number `json:"id"`
	SHA         string      `json:"sha"`
	Ref         string      `json:"ref"`
	Environment string      `json:"environment"`
	Creator     *ghUser     `json:"creator"`
}

type ghStatus struct {
	ID        json.Number `json:"id"`
	State     string      `json:"state"`
	CreatedAt string      `json:"created_at"`
	Creator   *ghUser     `json:"creator"`
}

type ghIssue struct {
	Number  json.Number `json:"number"`
	HTMLURL string      `json:"html_url"`
	State   string      `json:"state"`
	Title   string      `json:"title"`
}

func (p *ghPayload) deployment() (*GitHubDeployment, error) {
	if p.DeploymentStatus == nil {
		return nil, errs.E(errs.Invalid, "deployment_status is missing from a deployment_status event")
	}
	if p.Deployment == nil {
		return nil, errs.E(errs.Invalid, "deployment is missing from a deployment_status event")
	}
	s, dp := p.DeploymentStatus, p.Deployment
	var d GitHubDeployment
	var err error
	if d.StatusID, err = positive("deployment_status.id", s.ID); err != nil {
		return nil, err
	}
	if d.DeploymentID, err = positive("deployment.id", dp.ID); err != nil {
		return nil, err
	}
	d.State, d.SHA, d.Ref, d.Environment = s.State, dp.SHA, dp.Ref, dp.Environment
	if d.State == "" {
		return nil, errs.E(errs.Invalid, "deployment_status.state is missing")
	}
	if d.SHA == "" && d.Ref == "" {
		return nil, errs.E(errs.Invalid, "deployment.sha and deployment.ref are both missing: nothing says what was deployed")
	}
	if s.CreatedAt == "" {
		return nil, errs.E(errs.Invalid, "deployment_status.created_at is missing")
	}
	at, err := time.Parse(time.RFC3339, s.CreatedAt)
	if err != nil {
		return nil, errs.E(errs.Invalid, "deployment_status.created_at %q is not an RFC 3339 time", s.CreatedAt)
	}
	d.At = at.UTC()
	switch {
	case dp.Creator != nil && dp.Creator.Login != "":
		d.Creator = dp.Creator.Login
	case s.Creator != nil && s.Creator.Login != "":
		d.Creator = s.Creator.Login
	case p.Sender != nil:
		d.Creator = p.Sender.Login
	}
	return &d, nil
}

func (p *ghPayload) issue() (*GitHubIssue, error) {
	if p.Issue == nil {
		return nil, errs.E(errs.Invalid, "issue is missing from an issues event")
	}
	if p.Action == "" {
		return nil, errs.E(errs.Invalid, "action is missing from an issues event")
	}
	n, err := positive("issue.number", p.Issue.Number)
	if err != nil {
		return nil, err
	}
	return &GitHubIssue{Number: n, URL: p.Issue.HTMLURL, State: p.Issue.State, Title: p.Issue.Title}, nil
}

// positive reads a JSON number that must be a positive integer.
func positive(field string, n json.Number) (int64, error) {
	if n == "" {
		return 0, errs.E(errs.Invalid, "%s is missing", field)
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || v <= 0 {
		return 0, errs.E(errs.Invalid, "%s must be a positive whole number, not %s", field, n)
	}
	return v, nil
}

// String names the delivery for logs and answers.
func (d GitHubDelivery) String() string {
	s := d.Event
	if d.Action != "" {
		s += "." + d.Action
	}
	return fmt.Sprintf("%s %s", s, d.ID)
}

// RepoCodePath is how the catalog names a GitHub repository among an
// entity's code paths: "github.com/OWNER/NAME" (Backstage's
// github.com/project-slug annotation).
func RepoCodePath(fullName string) string { return "github.com/" + fullName }

// IsRepoPath reports whether an entity's code path names the repository
// fullName: "github.com/OWNER/NAME", with or without a scheme, a ".git"
// suffix or a trailing path inside the repository (a Backstage
// source-location such as https://github.com/OWNER/NAME/tree/main/).
// GitHub's names are case-insensitive, and so is the match.
func IsRepoPath(codePath, fullName string) bool {
	if fullName == "" {
		return false
	}
	p := strings.TrimSpace(codePath)
	p = strings.TrimPrefix(p, "url:")
	for _, scheme := range []string{"https://", "http://", "git+https://", "git://"} {
		if len(p) >= len(scheme) && strings.EqualFold(p[:len(scheme)], scheme) {
			p = p[len(scheme):]
			break
		}
	}
	p = strings.TrimPrefix(p, "www.")
	want := RepoCodePath(fullName)
	if len(p) < len(want) || !strings.EqualFold(p[:len(want)], want) {
		return false
	}
	rest := p[len(want):]
	return rest == "" || rest == "/" || rest == ".git" || strings.HasPrefix(rest, "/")
}
