package store

import (
	"database/sql"
	"encoding/json"
	"fmt"

	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// suggestionJSON is how a suggestion is kept with the decision that was
// made on it, so the record shows what the reviewer saw.
type suggestionJSON struct {
	Party             string         `json:"party"`
	Rule              string         `json:"rule"`
	Evidence          []evidenceJSON `json:"evidence"`
	Explanation       []stepJSON     `json:"explanation"`
	RecentlyInherited bool           `json:"recently_inherited,omitempty"`
	PolicyViolation   bool           `json:"policy_violation,omitempty"`
	Clarify           []string       `json:"clarify,omitempty"`
}

type evidenceJSON struct {
	Kind   string `json:"kind"`
	Ref    string `json:"ref,omitempty"`
	Detail string `json:"detail"`
}

type stepJSON struct {
	Rule    string `json:"rule"`
	Fired   bool   `json:"fired"`
	Applied bool   `json:"applied"`
	Reason  string `json:"reason"`
}

func encodeSuggestion(s blame.Suggestion) (string, error) {
	j := suggestionJSON{Party: string(s.Party), Rule: string(s.Rule), RecentlyInherited: s.RecentlyInherited, PolicyViolation: s.PolicyViolation}
	for _, e := range s.Evidence {
		j.Evidence = append(j.Evidence, evidenceJSON{Kind: e.Kind, Ref: string(e.Ref), Detail: e.Detail})
	}
	for _, st := range s.Explanation {
		j.Explanation = append(j.Explanation, stepJSON{Rule: string(st.Rule), Fired: st.Fired, Applied: st.Applied, Reason: st.Reason})
	}
	for _, c := range s.Clarify {
		j.Clarify = append(j.Clarify, string(c))
	}
	b, err := json.Marshal(j)
	return string(b), err
}

func decodeSuggestion(text string) (blame.Suggestion, error) {
	var j suggestionJSON
	if err := json.Unmarshal([]byte(text), &j); err != nil {
		return blame.Suggestion{}, err
	}
	s := blame.Suggestion{Party: org.Ref(j.Party), Rule: blame.Rule(j.Rule), RecentlyInherited: j.RecentlyInherited, PolicyViolation: j.PolicyViolation}
	for _, e := range j.Evidence {
		s.Evidence = append(s.Evidence, blame.Evidence{Kind: e.Kind, Ref: org.Ref(e.Ref), Detail: e.Detail})
	}
	for _, st := range j.Explanation {
		s.Explanation = append(s.Explanation, blame.Step{Rule: blame.Rule(st.Rule), Fired: st.Fired, Applied: st.Applied, Reason: st.Reason})
	}
	for _, c := range j.Clarify {
		s.Clarify = append(s.Clarify, org.Ref(c))
	}
	return s, nil
}

const decisionColumns = `id, incident, party, rule, justification, suggestion, supersedes, decided_by, decided_at`

func scanDecision(rows interface{ Scan(...any) error }) (blame.Decision, error) {
	var d blame.Decision
	var inc, party, rule, sugg, by string
	if err := rows.Scan(&d.ID, &inc, &party, &rule, &d.Justification, &sugg, str(&d.Supersedes), &by, tm(&d.DecidedAt)); err != nil {
		return d, err
	}
	d.Incident, d.Party, d.Rule, d.DecidedBy = incident.ID(inc), org.Ref(party), blame.Rule(rule), org.Ref(by)
	s, err := decodeSuggestion(sugg)
	if err != nil {
		return d, fmt.Errorf("decision %s suggestion: %w", d.ID, err)
	}
	d.Suggested = s
	return d, nil
}

// CreateDecision records an attribution decision and makes it the one in
// force for its incident.
func (tx *Tx) CreateDecision(d *blame.Decision) error {
	tx.touch("attributions", d.ID)
	tx.touch("incidents", string(d.Incident))
	sugg, err := encodeSuggestion(d.Suggested)
	if err != nil {
		return fmt.Errorf("encode suggestion: %w", err)
	}
	if _, err := tx.exec("record attribution", `
INSERT INTO attributions (id, incident, party, rule, justification, suggested_party, suggested_rule, suggestion,
    supersedes, decided_by, decided_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		d.ID, string(d.Incident), string(d.Party), string(d.Rule), d.Justification, string(d.Suggested.Party),
		string(d.Suggested.Rule), sugg, nullStr(d.Supersedes), string(d.DecidedBy), tx.t(d.DecidedAt)); err != nil {
		return err
	}
	_, err = tx.exec("point incident at its attribution", `UPDATE incidents SET attribution = $2 WHERE id = $1`, string(d.Incident), d.ID)
	return err
}

// Decision returns the attribution decision in force for an incident.
func (tx *Tx) Decision(id incident.ID) (blame.Decision, error) {
	var d blame.Decision
	err := tx.one("no attribution decided for "+string(id), `
SELECT a.id, a.incident, a.party, a.rule, a.justification, a.suggestion, a.supersedes, a.decided_by, a.decided_at
FROM incidents i JOIN attributions a ON a.id = i.attribution WHERE i.id = $1`, []any{string(id)}, func(rows *sql.Rows) (err error) {
		d, err = scanDecision(rows)
		return err
	})
	return d, err
}

// DecisionRecord returns, in one statement, every attribution decision of
// an incident, oldest first (as Decisions), and the one in force (as
// Decision), nil when none is.
func (tx *Tx) DecisionRecord(id incident.ID) ([]blame.Decision, *blame.Decision, error) {
	var history []blame.Decision
	var current *blame.Decision
	err := tx.each("list attribution decisions", `
SELECT a.id, a.incident, a.party, a.rule, a.justification, a.suggestion, a.supersedes, a.decided_by, a.decided_at,
    CASE WHEN a.incident = $1 THEN 1 ELSE 0 END,
    CASE WHEN a.id = (SELECT attribution FROM incidents WHERE id = $1) THEN 1 ELSE 0 END
FROM attributions a
WHERE a.incident = $1 OR a.id = (SELECT attribution FROM incidents WHERE id = $1)
ORDER BY a.decided_at, a.id`, []any{string(id)}, func(rows *sql.Rows) error {
		var mine, inForce int
		d, err := scanDecision(scanWith{rows, []any{&mine, &inForce}})
		if err != nil {
			return err
		}
		if mine == 1 {
			history = append(history, d)
		}
		if inForce == 1 {
			current = &d
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return history, current, nil
}

// Decisions returns every attribution decision of an incident, oldest first.
func (tx *Tx) Decisions(id incident.ID) ([]blame.Decision, error) {
	var out []blame.Decision
	err := tx.each("list attribution decisions", `SELECT `+decisionColumns+` FROM attributions WHERE incident = $1 ORDER BY decided_at, id`,
		[]any{string(id)}, func(rows *sql.Rows) error {
			d, err := scanDecision(rows)
			out = append(out, d)
			return err
		})
	return out, err
}
