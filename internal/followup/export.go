package followup

import (
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
	"blameful.dev/blameful/internal/org"
)

// A follow-up may be exported to an external tracker, where the people
// who do the work track it: blameful queues the issue's creation, and once
// the tracker has made it, the follow-up links to it. The tracker's later
// word on the issue (closed, reopened) comes back as the follow-up's
// status. One export per follow-up.

// Tracker names an external tracker.
type Tracker string

// The trackers.
const (
	GitHub Tracker = "github"
)

// ParseTracker validates a tracker's name.
func ParseTracker(s string) (Tracker, error) {
	if t := Tracker(strings.ToLower(strings.TrimSpace(s))); t == GitHub {
		return t, nil
	}
	return "", errs.Field("tracker", "%q is not a tracker blameful exports to: use github", s)
}

// ExportState is where an export stands.
type ExportState string

// The export states.
const (
	// ExportPending is an issue asked for and not yet made: its delivery
	// says how it is going (waiting, failing and retried, or dead).
	ExportPending ExportState = "pending"
	// Exported is an issue that exists, with its number and URL.
	Exported ExportState = "exported"
)

// Export is a follow-up's issue in an external tracker.
type Export struct {
	FollowUp ID
	Tracker  Tracker
	// Repo is the GitHub repository, OWNER/NAME.
	Repo  string
	State ExportState
	// Number and URL identify the issue once it exists.
	Number int64
	URL    string
	// IssueState is the issue's state as the tracker last reported it
	// (open or closed); empty until it has.
	IssueState string
	// Message is the outbox message that creates the issue.
	Message     string
	RequestedBy org.Ref
	RequestedAt time.Time
	// ExportedAt is when the issue was made.
	ExportedAt time.Time
}

// ParseRepo validates a GitHub repository's full name, OWNER/NAME, as
// GitHub names them: an owner of letters, digits and single hyphens (at
// most 39), and a name of letters, digits, '.', '-' and '_' (at most 100,
// neither "." nor ".."). The error names the field repo.
func ParseRepo(s string) (string, error) {
	s = strings.TrimSpace(s)
	owner, name, ok := strings.Cut(s, "/")
	if !ok || !isOwner(owner) || !isRepoName(name) {
		return "", errs.Field("repo", "%q is not a GitHub repository: write it as OWNER/NAME, such as acme/checkout", clip(s, 80))
	}
	return s, nil
}

func isOwner(s string) bool {
	if s == "" || len(s) > 39 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, c := range []byte(s) {
		if !isAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

func isRepoName(s string) bool {
	if s == "" || len(s) > 100 || s == "." || s == ".." {
		return false
	}
	for _, c := range []byte(s) {
		if !isAlnum(c) && c != '-' && c != '.' && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// MaxLabels bounds the labels an exported issue gets; a label is at most
// MaxLabelBytes long, as GitHub's are.
const (
	MaxLabels     = 10
	MaxLabelBytes = 50
)

// ParseLabels validates the labels an exported issue is to get: each a
// line of text of at most MaxLabelBytes, at most MaxLabels of them;
// blanks are dropped and repeats kept once, in the order given. The error
// names the field labels.
func ParseLabels(in []string) ([]string, error) {
	var out []string
	for _, l := range in {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
			continue
		case len(l) > MaxLabelBytes:
			return nil, errs.Field("labels", "%q is longer than %d bytes", clip(l, 60), MaxLabelBytes)
		case freetext.Check(l, freetext.Line) != "":
			return nil, errs.Field("labels", "%s", freetext.Check(l, freetext.Line))
		case slices.Contains(out, l):
			continue
		}
		out = append(out, l)
	}
	if len(out) > MaxLabels {
		return nil, errs.Field("labels", "%d labels; at most %d", len(out), MaxLabels)
	}
	return out, nil
}

// CheckExport refuses to export a follow-up that already has an export,
// pending or made: a second issue for the same work would split it. The
// error is Conflict and says where the first one stands.
func CheckExport(prior *Export) error {
	if prior == nil {
		return nil
	}
	if prior.State == Exported {
		return errs.E(errs.Conflict, "%s is already exported to %s as issue #%d (%s)", prior.FollowUp, prior.Repo, prior.Number, prior.URL)
	}
	return errs.E(errs.Conflict, "%s is already being exported to %s: its issue is on the way", prior.FollowUp, prior.Repo)
}

// Synced applies the tracker's word on an exported follow-up's issue at
// now: "closed" marks an open follow-up done, "reopened" opens a done one
// again. It reports whether the follow-up changed. A follow-up marked
// wont_do stays so: dropping it was decided in blameful (F3), and a closed
// or reopened issue does not undo that decision. Reopening a done
// follow-up is what SetStatus already allows anyone.
func Synced(f *FollowUp, action, issueURL string, now time.Time) bool {
	switch {
	case action == "closed" && f.Status == Open:
		_ = f.SetStatus(Done, "closed in GitHub: "+issueURL, now)
		return true
	case action == "reopened" && f.Status == Done:
		_ = f.SetStatus(Open, "reopened in GitHub: "+issueURL, now)
		return true
	}
	return false
}
