// Package recurrence finds the earlier incidents an incident may be a
// recurrence of (F6) and explains why: it scores candidates that the store
// gathered from shared failed entities, entities of the same system, shared
// alert fingerprints and labels, and similar text, and keeps the best five.
// A person confirms or dismisses each; a confirmed recurrence of an incident
// whose follow-up was still open records a missed follow-up (F7), which the
// blame engine's A7 reads.
//
// The package is pure: the store fetches, the app decides, this scores.
package recurrence

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
)

// Window is how far back candidates go: earlier incidents that started
// within 365 days before the incident.
const Window = 365 * 24 * time.Hour

// Top is how many candidates are suggested.
const Top = 5

// State is a person's decision on a candidate.
type State string

// The decisions.
const (
	Confirmed State = "confirmed"
	Dismissed State = "dismissed"
)

// Limits on an incident's alert signals.
const (
	MaxFingerprints = 50
	MaxLabels       = 50
	maxSignalLen    = 200
)

// Alerts are an incident's alert fingerprints and labels, as alerting
// integrations report them.
type Alerts struct {
	Fingerprints []string
	Labels       map[string]string
}

// IsZero reports whether there are no signals.
func (a Alerts) IsZero() bool { return len(a.Fingerprints) == 0 && len(a.Labels) == 0 }

// Normalize trims the values and drops duplicate fingerprints, sorting
// them; it returns Invalid naming the field when a value is empty, too
// long, holds control characters, or there are too many.
func (a Alerts) Normalize() (Alerts, error) {
	var p errs.Problems
	out := Alerts{}
	if len(a.Fingerprints) > MaxFingerprints {
		p.Add("alert_fingerprints", "lists %d fingerprints; at most %d", len(a.Fingerprints), MaxFingerprints)
	}
	for i, f := range a.Fingerprints {
		f = strings.TrimSpace(f)
		if msg := checkSignal(f); msg != "" {
			p.Add(fmt.Sprintf("alert_fingerprints[%d]", i), "%s", msg)
			continue
		}
		out.Fingerprints = append(out.Fingerprints, f)
	}
	slices.Sort(out.Fingerprints)
	out.Fingerprints = slices.Compact(out.Fingerprints)
	if len(a.Labels) > MaxLabels {
		p.Add("alert_labels", "has %d labels; at most %d", len(a.Labels), MaxLabels)
	}
	for name, v := range a.Labels {
		name, v = strings.TrimSpace(name), strings.TrimSpace(v)
		if !isLabelName(name) {
			p.Add("alert_labels", "%q is not a label name (letters, digits and _, not starting with a digit)", name)
			continue
		}
		if msg := checkSignal(v); msg != "" {
			p.Add("alert_labels."+name, "%s", msg)
			continue
		}
		if out.Labels == nil {
			out.Labels = map[string]string{}
		}
		out.Labels[name] = v
	}
	return out, p.Err()
}

func checkSignal(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > maxSignalLen:
		return fmt.Sprintf("is longer than %d bytes", maxSignalLen)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "holds control characters"
	}
	return ""
}

func isLabelName(s string) bool {
	if s == "" || len(s) > 100 || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// LabelPairs returns the labels as sorted name=value strings, the form the
// store keeps.
func (a Alerts) LabelPairs() []string {
	out := make([]string, 0, len(a.Labels))
	for k, v := range a.Labels {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// genericLabels say nothing about what failed: every alert of a kind
// carries them. Sharing one is no evidence of a recurrence.
var genericLabels = map[string]bool{
	"severity": true, "priority": true, "env": true, "environment": true, "cluster": true, "region": true,
	"prometheus": true, "monitor": true, "receiver": true, "team": true, "tier": true, "namespace": true,
	"instance": true, "pod": true, "container": true, "job": true, "replica": true, "zone": true, "datacenter": true,
}

// IsGenericLabel reports whether a label name is one whose sharing is no
// evidence (severity, env, cluster …).
func IsGenericLabel(name string) bool { return genericLabels[strings.ToLower(name)] }

// CheckWindow returns the F6 error when earlier cannot be a recurrence's
// earlier incident: it must start strictly before later, and within Window.
func CheckWindow(later, earlier incident.ID, laterStart, earlierStart time.Time) error {
	if later == earlier {
		return ruleField(rule.F6, "earlier", "an incident is not a recurrence of itself")
	}
	if !earlierStart.Before(laterStart) {
		return ruleField(rule.F6, "earlier", "%s started at %s, not before %s (%s): the earlier incident of a recurrence starts first",
			earlier, earlierStart.UTC().Format(time.RFC3339), later, laterStart.UTC().Format(time.RFC3339))
	}
	if laterStart.Sub(earlierStart) > Window {
		return ruleField(rule.F6, "earlier", "%s started more than 365 days before %s: a recurrence is of an incident of the 365 days before",
			earlier, later)
	}
	return nil
}

// ruleField is an Invalid error about one field that enforces a rule.
func ruleField(r, field, format string, args ...any) error {
	var p errs.Problems
	p.AddRule(r, field, format+" ("+r+")", args...)
	return p.Err()
}

// Subject is the incident whose recurrence candidates are wanted.
type Subject struct {
	ID        incident.ID
	Title     string
	Summary   string
	Mechanism string
	StartedAt time.Time
	Entities  []incident.FailedEntity
	Alerts    Alerts
}

// Candidate is an earlier incident the store gathered, with what it knows
// of it.
type Candidate struct {
	ID        incident.ID
	Title     string
	Summary   string
	Mechanism string
	StartedAt time.Time
	Entities  []incident.FailedEntity
	Alerts    Alerts
	// TextRank is the database's text rank of the candidate against the
	// subject's terms (higher is closer; 0 when the text search did not
	// find it). Ranks are only compared among one lookup's candidates.
	TextRank float64
}

// Systems maps an entity to the systems it was part of when the subject
// started. Entities of the same system are weaker evidence than a shared
// failed entity.
type Systems map[org.Ref][]org.Ref

// Match is a scored candidate: Score in [0, 1], best first, and the
// reasons in the order of their weight.
type Match struct {
	Incident  incident.ID
	Title     string
	StartedAt time.Time
	Score     float64
	Reasons   []string
}

// Evidence weights. They combine as independent evidence
// (1 − Π(1 − w)), so two strong reasons score above one, and no sum passes 1.
const (
	wOriginBoth   = 0.60 // the origin of both incidents
	wSharedEntity = 0.45 // a failed entity of both, not the origin of both
	wSameSystem   = 0.30 // failed entities of one system
	wFingerprint  = 0.70 // a shared alert fingerprint
	wLabel        = 0.15 // a shared, specific alert label
	// Similar text weighs more between incidents of related entities (a
	// shared one, or one system) than between strangers, where the same
	// words often name a different failure of a different thing.
	wText          = 0.75 // times the text similarity in [0, 1]
	wTextUnrelated = 0.50
	// recencyFloor is the weight of a candidate a whole window old;
	// one that started just before weighs 1.
	recencyFloor = 0.8
)

// Rank scores the candidates against the subject and returns the best
// Top, best first; ties go to the more recent, then the lower ID. A
// candidate that is the subject itself, started at or after it, or more
// than Window before it, is left out, as is one with no evidence.
func Rank(s Subject, cands []Candidate, systems Systems) []Match {
	// The names of the failed entities are evidence of their own: words
	// of them in the text do not count again as similar text.
	names := map[string]bool{}
	for _, e := range s.Entities {
		for _, w := range Tokens(e.Ref.Name()) {
			names[w] = true
		}
	}
	for _, c := range cands {
		for _, e := range c.Entities {
			for _, w := range Tokens(e.Ref.Name()) {
				names[w] = true
			}
		}
	}
	subjectTokens := without(Tokens(s.Title+" "+s.Summary+" "+s.Mechanism), names)
	maxRank := 0.0
	for _, c := range cands {
		maxRank = math.Max(maxRank, c.TextRank)
	}
	var out []Match
	for _, c := range cands {
		if c.ID == s.ID || !c.StartedAt.Before(s.StartedAt) || s.StartedAt.Sub(c.StartedAt) > Window {
			continue
		}
		m, ok := score(s, c, subjectTokens, names, maxRank, systems)
		if ok {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Match) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Incident, b.Incident)
	})
	if len(out) > Top {
		out = out[:Top]
	}
	return out
}

type reason struct {
	w    float64
	text string
}

func score(s Subject, c Candidate, subjectTokens []string, names map[string]bool, maxRank float64, systems Systems) (Match, bool) {
	var rs []reason
	// Failed entities.
	theirs := map[org.Ref]bool{}
	theirOrigin := org.Ref("")
	for _, e := range c.Entities {
		theirs[e.Ref] = true
		if e.Origin {
			theirOrigin = e.Ref
		}
	}
	shared := false
	sharedNames := map[string]bool{}
	for _, e := range s.Entities {
		if !theirs[e.Ref] {
			continue
		}
		shared = true
		sharedNames[e.Ref.Name()] = true
		if e.Origin && e.Ref == theirOrigin {
			rs = append(rs, reason{wOriginBoth, fmt.Sprintf("same failed entity %s (origin of both)", e.Ref)})
		} else {
			rs = append(rs, reason{wSharedEntity, fmt.Sprintf("same failed entity %s", e.Ref)})
		}
	}
	related := shared
	if !shared {
		if sys, mine, other := sameSystem(s.Entities, c.Entities, systems); sys != "" {
			related = true
			rs = append(rs, reason{wSameSystem, fmt.Sprintf("entities of the same system %s (%s and %s)", sys, mine, other)})
		}
	}
	// Alert signals.
	for _, f := range intersect(s.Alerts.Fingerprints, c.Alerts.Fingerprints) {
		rs = append(rs, reason{wFingerprint, "shared alert fingerprint " + f})
	}
	for _, l := range intersect(s.Alerts.LabelPairs(), c.Alerts.LabelPairs()) {
		name, value, _ := strings.Cut(l, "=")
		// A label naming a shared failed entity says nothing more.
		if !IsGenericLabel(name) && !sharedNames[value] {
			rs = append(rs, reason{wLabel, "shared alert label " + l})
		}
	}
	// Text.
	theirTokens := without(Tokens(c.Title+" "+c.Summary+" "+c.Mechanism), names)
	overlap, common := Overlap(subjectTokens, theirTokens)
	rank := 0.0
	if maxRank > 0 {
		rank = c.TextRank / maxRank
	}
	sim := 0.3*rank + 0.7*overlap
	if sim >= 0.15 && len(common) > 0 {
		w := wTextUnrelated
		if related {
			w = wText
		}
		spelled := Spelled(s.Title + " " + s.Summary + " " + s.Mechanism)
		words := make([]string, 0, 4)
		for _, t := range common[:min(len(common), 4)] {
			words = append(words, cmp.Or(spelled[t], t))
		}
		rs = append(rs, reason{w * sim, fmt.Sprintf("similar text: %q", strings.Join(words, " "))})
	}
	if len(rs) == 0 {
		return Match{}, false
	}
	none := 1.0
	for _, r := range rs {
		none *= 1 - r.w
	}
	age := float64(s.StartedAt.Sub(c.StartedAt)) / float64(Window)
	sc := (1 - none) * (1 - (1-recencyFloor)*age)
	slices.SortStableFunc(rs, func(a, b reason) int { return cmp.Compare(b.w, a.w) })
	m := Match{Incident: c.ID, Title: c.Title, StartedAt: c.StartedAt, Score: math.Round(sc*1000) / 1000}
	for _, r := range rs {
		m.Reasons = append(m.Reasons, r.text)
	}
	days := int(s.StartedAt.Sub(c.StartedAt).Hours() / 24)
	m.Reasons = append(m.Reasons, fmt.Sprintf("started %d days earlier", days))
	return m, true
}

// sameSystem returns a system that a failed entity of each incident was
// part of, with the two entities, or "" when there is none.
func sameSystem(mine, theirs []incident.FailedEntity, systems Systems) (org.Ref, org.Ref, org.Ref) {
	for _, a := range mine {
		for _, sys := range append([]org.Ref{a.Ref}, systems[a.Ref]...) {
			for _, b := range theirs {
				if b.Ref == a.Ref {
					continue
				}
				if sys == b.Ref || slices.Contains(systems[b.Ref], sys) {
					return sys, a.Ref, b.Ref
				}
			}
		}
	}
	return "", "", ""
}

func without(tokens []string, drop map[string]bool) []string {
	return slices.DeleteFunc(tokens, func(t string) bool { return drop[t] })
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
