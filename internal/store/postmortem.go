package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
)

// factorJSON is how contributing factors are stored.
type factorJSON struct {
	Text  string `json:"text"`
	Party string `json:"party,omitempty"`
}

const postmortemColumns = `incident, state, summary, impact, mechanism, factors, went_well, went_poorly,
    updated_at, updated_by, published_at, closed_at`

func scanPostmortem(rows interface{ Scan(...any) error }) (postmortem.Postmortem, error) {
	var p postmortem.Postmortem
	var inc, state, factors, by string
	if err := rows.Scan(&inc, &state, &p.Summary, &p.Impact, &p.Mechanism, &factors, &p.WentWell, &p.WentPoorly,
		tm(&p.UpdatedAt), &by, tm(&p.PublishedAt), tm(&p.ClosedAt)); err != nil {
		return p, err
	}
	p.Incident, p.State, p.UpdatedBy = incident.ID(inc), postmortem.State(state), org.Ref(by)
	var fs []factorJSON
	if err := json.Unmarshal([]byte(factors), &fs); err != nil {
		return p, fmt.Errorf("postmortem %s factors: %w", inc, err)
	}
	for _, f := range fs {
		p.Factors = append(p.Factors, postmortem.Factor{Text: f.Text, Party: org.Ref(f.Party)})
	}
	return p, nil
}

func factorsJSON(p *postmortem.Postmortem) (string, error) {
	fs := make([]factorJSON, len(p.Factors))
	for i, f := range p.Factors {
		fs[i] = factorJSON{Text: f.Text, Party: string(f.Party)}
	}
	b, err := json.Marshal(fs)
	return string(b), err
}

// SavePostmortem creates or replaces an incident's postmortem.
func (tx *Tx) SavePostmortem(p *postmortem.Postmortem) error {
	tx.touch("postmortems", string(p.Incident))
	factors, err := factorsJSON(p)
	if err != nil {
		return fmt.Errorf("postmortem %s factors: %w", p.Incident, err)
	}
	_, err = tx.exec("save postmortem of "+string(p.Incident), `
INSERT INTO postmortems (incident, state, summary, impact, mechanism, factors, went_well, went_poorly,
    updated_at, updated_by, published_at, closed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (incident) DO UPDATE SET state = excluded.state, summary = excluded.summary, impact = excluded.impact,
    mechanism = excluded.mechanism, factors = excluded.factors, went_well = excluded.went_well,
    went_poorly = excluded.went_poorly, updated_at = excluded.updated_at, updated_by = excluded.updated_by,
    published_at = excluded.published_at, closed_at = excluded.closed_at`,
		string(p.Incident), string(p.State), p.Summary, p.Impact, p.Mechanism, factors, p.WentWell, p.WentPoorly,
		tx.t(p.UpdatedAt), string(p.UpdatedBy), tx.t(p.PublishedAt), tx.t(p.ClosedAt))
	return err
}

// MarkReviewStarted records when a postmortem first entered review, which
// the integrity rules compare timeline edits against.
func (tx *Tx) MarkReviewStarted(id incident.ID, at time.Time) error {
	tx.touch("postmortems", string(id))
	_, err := tx.exec("mark review started", `UPDATE postmortems SET review_started_at = COALESCE(review_started_at, $2) WHERE incident = $1`, string(id), tx.t(at))
	return err
}

// Postmortem returns an incident's postmortem.
func (tx *Tx) Postmortem(id incident.ID) (postmortem.Postmortem, error) {
	var p postmortem.Postmortem
	err := tx.one("no postmortem for "+string(id), `SELECT `+postmortemColumns+` FROM postmortems WHERE incident = $1`,
		[]any{string(id)}, func(rows *sql.Rows) (err error) {
			p, err = scanPostmortem(rows)
			return err
		})
	return p, err
}
