package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/recurrence"
)

// SetIncidentSignals replaces an incident's alert fingerprints and labels
// (labels as name=value).
func (tx *Tx) SetIncidentSignals(id incident.ID, a recurrence.Alerts) error {
	tx.touch("incident_signals", string(id))
	if _, err := tx.exec("replace alert signals", `DELETE FROM incident_signals WHERE incident = $1`, string(id)); err != nil {
		return err
	}
	add := func(kind string, values []string) error {
		for _, v := range values {
			if _, err := tx.exec("record alert signal", `INSERT INTO incident_signals (incident, kind, value) VALUES ($1, $2, $3)`,
				string(id), kind, v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add("fingerprint", a.Fingerprints); err != nil {
		return err
	}
	return add("label", a.LabelPairs())
}

// IncidentSignals returns the alert signals of incidents; an incident
// without any has no entry.
func (tx *Tx) IncidentSignals(ids []incident.ID) (map[incident.ID]recurrence.Alerts, error) {
	out := map[incident.ID]recurrence.Alerts{}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = string(id)
	}
	for _, c := range chunks(args, inChunk) {
		err := tx.each("list alert signals", `SELECT incident, kind, value FROM incident_signals WHERE incident IN `+inList(1, len(c))+
			` ORDER BY incident, kind, value`, c, func(rows *sql.Rows) error {
			var id, kind, v string
			if err := rows.Scan(&id, &kind, &v); err != nil {
				return err
			}
			a := out[incident.ID(id)]
			if kind == "fingerprint" {
				a.Fingerprints = append(a.Fingerprints, v)
			} else if name, val, ok := strings.Cut(v, "="); ok {
				if a.Labels == nil {
					a.Labels = map[string]string{}
				}
				a.Labels[name] = val
			}
			out[incident.ID(id)] = a
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RecurrenceSubject reads an incident as recurrence detection sees it: its
// text (with its postmortem's mechanism), failed entities and signals.
func (tx *Tx) RecurrenceSubject(id incident.ID) (recurrence.Subject, error) {
	list, err := tx.recurrenceIncidents([]string{string(id)})
	if err != nil {
		return recurrence.Subject{}, err
	}
	if len(list) == 0 {
		return recurrence.Subject{}, notFound("no incident %s", id)
	}
	c := list[0]
	return recurrence.Subject{ID: c.ID, Title: c.Title, Summary: c.Summary, Mechanism: c.Mechanism, StartedAt: c.StartedAt,
		Entities: c.Entities, Alerts: c.Alerts}, nil
}

// recurrenceRows is, per engine, the incidents whose IDs are in $1 (a JSON
// array on SQLite, a text array on PostgreSQL) as recurrence detection
// reads them, in one statement of the same text for any number: a row
// tagged i per incident (title, summary, start, mechanism), e per failed
// entity (with origin and position), s per signal (kind, value); for each
// incident its entities by position, then itself, then its signals.
var recurrenceRows = map[Engine]string{
	SQLite:   recurrenceRowsOf(`IN (SELECT value FROM json_each($1))`),
	Postgres: recurrenceRowsOf(`= ANY ($1::text[])`),
}

func recurrenceRowsOf(in string) string {
	return `
SELECT 'i', i.id, i.title, i.summary, i.started_at, COALESCE(p.mechanism, ''), 0, 0
FROM incidents i LEFT JOIN postmortems p ON p.incident = i.id WHERE i.id ` + in + `
UNION ALL
SELECT 'e', incident, entity, '', NULL, '', CASE WHEN origin THEN 1 ELSE 0 END, position
FROM incident_entities WHERE incident ` + in + `
UNION ALL
SELECT 's', incident, kind, value, NULL, '', 0, 0
FROM incident_signals WHERE incident ` + in + `
ORDER BY 2, 1, 8, 3, 4`
}

// recurrenceIncidents reads incidents by ID with their mechanism, failed
// entities and signals, in ID order.
func (tx *Tx) recurrenceIncidents(ids []string) ([]recurrence.Candidate, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []recurrence.Candidate
	var entities []incident.FailedEntity
	var alerts recurrence.Alerts
	var cur string
	flush := func() {
		if n := len(out); n > 0 && string(out[n-1].ID) == cur {
			out[n-1].Entities, out[n-1].Alerts = entities, alerts
		}
		entities, alerts = nil, recurrence.Alerts{}
	}
	err := tx.each("read candidate incidents", recurrenceRows[tx.engine], []any{tx.list(ids)}, func(rows *sql.Rows) error {
		var tag, id, a, b, mech string
		var at time.Time
		var origin, position int
		if err := rows.Scan(&tag, &id, &a, &b, tm(&at), &mech, &origin, &position); err != nil {
			return err
		}
		if id != cur {
			flush()
			cur = id
		}
		switch tag {
		case "i":
			out = append(out, recurrence.Candidate{ID: incident.ID(id), Title: a, Summary: b, StartedAt: at, Mechanism: mech})
		case "e":
			entities = append(entities, incident.FailedEntity{Ref: org.Ref(a), Origin: origin == 1})
		case "s":
			if a == "fingerprint" {
				alerts.Fingerprints = append(alerts.Fingerprints, b)
			} else if name, val, ok := strings.Cut(b, "="); ok {
				if alerts.Labels == nil {
					alerts.Labels = map[string]string{}
				}
				alerts.Labels[name] = val
			}
		}
		return nil
	})
	flush()
	return out, err
}

// list passes values as one parameter: a JSON array on SQLite (read with
// json_each), a text array on PostgreSQL.
func (tx *Tx) list(values []string) any {
	if tx.engine == SQLite {
		b, _ := json.Marshal(values)
		return string(b)
	}
	if values == nil {
		values = []string{}
	}
	return values
}

// candidateLimit bounds what the lookup by failed entity returns, and
// sideLimit what each of the other ways returns: the union, at most about
// 150 incidents, is scored in Go.
const (
	candidateLimit = 50
	sideLimit      = 25
)

// keyLookup is, per engine, the lookups by recurrence_keys in one
// statement: the incidents that started in [$1, $2), other than $3, with a
// key among $4 (the subject's failed entities; the candidateLimit latest),
// $5 (the other entities of its systems), $6 (its fingerprints among other
// incidents' signals), $7 (the same among their alert events) or $8 (its
// specific labels), the sideLimit latest of each of the last four. Each
// list is a JSON array on SQLite and a text array on PostgreSQL, so that
// the statement's text, and its prepared form, is the same for every
// subject. Each way is a range of the table's primary key per key, read
// in key order and sorted; no incident row is read.
var keyLookup = map[Engine]string{
	SQLite:   keyWays(`key IN (SELECT value FROM json_each($%d))`),
	Postgres: keyWays(`key = ANY ($%d::text[])`),
}

func keyWays(match string) string {
	ways := []struct{ param, limit int }{{4, candidateLimit}, {5, sideLimit}, {6, sideLimit}, {7, sideLimit}, {8, sideLimit}}
	var b strings.Builder
	for i, w := range ways {
		if i > 0 {
			b.WriteString("\nUNION ALL\n")
		}
		fmt.Fprintf(&b, `SELECT incident FROM (SELECT DISTINCT incident, started_at FROM recurrence_keys
    WHERE `+match+` AND started_at >= $1 AND started_at < $2 AND incident <> $3
    ORDER BY started_at DESC, incident LIMIT %d) w%d`, w.param, w.limit, i)
	}
	return b.String()
}

// RecurrenceCandidates gathers the earlier incidents that s may be a
// recurrence of: those that started in the 365 days before it and share a
// failed entity, have a failed entity of the same system (as the catalog
// stood when s started), share an alert fingerprint or a specific label,
// or match its words in the text index; each way returns at most 50, the
// most recent or best ranked first. It returns them with their text
// ranks, and the systems of the entities involved.
func (tx *Tx) RecurrenceCandidates(s recurrence.Subject) ([]recurrence.Candidate, recurrence.Systems, error) {
	if tx.engine == Postgres {
		// Plan each lookup for its own values: a plan cached for unknown
		// ones (after five calls) walks the window by start.
		if _, err := tx.exec("plan lookups", `SET LOCAL plan_cache_mode = force_custom_plan`); err != nil {
			return nil, nil, err
		}
	}
	from, to := tx.t(s.StartedAt.Add(-recurrence.Window)), tx.t(s.StartedAt)
	found := map[string]float64{}
	var order []string
	note := func(id string, rank float64) {
		if _, ok := found[id]; !ok {
			order = append(order, id)
		}
		found[id] = max(found[id], rank)
	}
	systems, siblings, err := tx.sameSystem(s.Entities, s.StartedAt)
	if err != nil {
		return nil, nil, err
	}
	fps := s.Alerts.Fingerprints
	var labels []string
	for _, l := range s.Alerts.LabelPairs() {
		if name, _, _ := strings.Cut(l, "="); !recurrence.IsGenericLabel(name) {
			labels = append(labels, l)
		}
	}
	keys := func(prefix string, values []string) any {
		out := make([]string, len(values))
		for i, v := range values {
			out[i] = prefix + v
		}
		return tx.list(out)
	}
	var mine []string
	for _, e := range s.Entities {
		mine = append(mine, string(e.Ref))
	}
	args := []any{from, to, string(s.ID), keys("e ", mine), keys("e ", siblings), keys("f ", fps), keys("a ", fps), keys("l ", labels)}
	err = tx.each("look up candidates", keyLookup[tx.engine], args, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		note(id, 0)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	hits, err := tx.textCandidates(recurrence.QueryTerms(s.Title+" "+s.Summary+" "+s.Mechanism, queryTerms), s.StartedAt.Add(-recurrence.Window), s.StartedAt, string(s.ID))
	if err != nil {
		return nil, nil, err
	}
	for _, h := range hits {
		note(h.id, h.rank)
	}
	cands, err := tx.recurrenceIncidents(order)
	if err != nil {
		return nil, nil, err
	}
	if err := tx.laterFingerprints(cands, fps); err != nil {
		return nil, nil, err
	}
	for i := range cands {
		cands[i].TextRank = found[string(cands[i].ID)]
	}
	return cands, systems, nil
}

// laterFingerprints adds to the candidates' fingerprints those of fps
// their alert events carry: an alert that joined a candidate after its
// signals were taken is evidence too.
func (tx *Tx) laterFingerprints(cands []recurrence.Candidate, fps []string) error {
	if len(cands) == 0 || len(fps) == 0 {
		return nil
	}
	at := make(map[incident.ID]int, len(cands))
	args := make([]any, 0, len(cands)+len(fps))
	for i, c := range cands {
		at[c.ID] = i
		args = append(args, string(c.ID))
	}
	for _, f := range fps {
		args = append(args, f)
	}
	q := `SELECT DISTINCT incident, fingerprint FROM alert_events WHERE incident IN ` + tx.in(1, len(cands)) +
		` AND fingerprint IN ` + tx.in(len(cands)+1, len(fps))
	return tx.each("read candidates' alert fingerprints", q, args, func(rows *sql.Rows) error {
		var id, fp string
		if err := rows.Scan(&id, &fp); err != nil {
			return err
		}
		c := &cands[at[incident.ID(id)]]
		if !slices.Contains(c.Alerts.Fingerprints, fp) {
			c.Alerts.Fingerprints = append(c.Alerts.Fingerprints, fp)
		}
		return nil
	})
}

// maxSiblings bounds the other entities of the same systems whose
// incidents are looked up.
const maxSiblings = 100

// sameSystem returns the systems the entities were part of at t, and the
// other entities of those systems then (at most maxSiblings). Only a
// system counts: a system's own part_of (a domain) is too wide to say two
// failures are alike.
func (tx *Tx) sameSystem(entities []incident.FailedEntity, t time.Time) (recurrence.Systems, []string, error) {
	systems := recurrence.Systems{}
	if len(entities) == 0 {
		return systems, nil, nil
	}
	refs := make([]org.Ref, len(entities))
	for i, e := range entities {
		refs[i] = e.Ref
	}
	up, err := tx.Edges(EdgeFilter{Subjects: refs, Relations: []org.Relation{org.PartOf}, At: t})
	if err != nil {
		return nil, nil, err
	}
	var parents []org.Ref
	for _, e := range up {
		if e.Object.Kind() != string(catalog.System) {
			continue
		}
		systems[e.Subject] = append(systems[e.Subject], e.Object)
		parents = append(parents, e.Object)
	}
	if len(parents) == 0 {
		return systems, nil, nil
	}
	down, err := tx.Edges(EdgeFilter{Objects: parents, Relations: []org.Relation{org.PartOf}, At: t})
	if err != nil {
		return nil, nil, err
	}
	mine := map[org.Ref]bool{}
	for _, r := range refs {
		mine[r] = true
	}
	var siblings []string
	for _, e := range down {
		if mine[e.Subject] {
			continue
		}
		systems[e.Subject] = append(systems[e.Subject], e.Object)
		if len(siblings) < maxSiblings {
			siblings = append(siblings, string(e.Subject))
		}
	}
	return systems, siblings, nil
}

const linkColumns = `incident, earlier, state, reason, decided_by, decided_at`

func scanLink(rows interface{ Scan(...any) error }) (recurrence.Link, error) {
	var l recurrence.Link
	var in, earlier, state, by string
	err := rows.Scan(&in, &earlier, &state, &l.Reason, &by, tm(&l.DecidedAt))
	l.Incident, l.Earlier, l.State, l.DecidedBy = incident.ID(in), incident.ID(earlier), recurrence.State(state), org.Ref(by)
	return l, err
}

// SaveRecurrence records or re-decides the link between an incident and
// an earlier one.
func (tx *Tx) SaveRecurrence(l recurrence.Link) error {
	tx.touch("recurrences", string(l.Incident))
	_, err := tx.exec("record recurrence", `
INSERT INTO recurrences (incident, earlier, state, reason, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (incident, earlier) DO UPDATE SET state = excluded.state, reason = excluded.reason,
    decided_by = excluded.decided_by, decided_at = excluded.decided_at`,
		string(l.Incident), string(l.Earlier), string(l.State), l.Reason, string(l.DecidedBy), tx.t(l.DecidedAt))
	return err
}

// Recurrence returns the link between an incident and an earlier one;
// NotFound when nobody decided it.
func (tx *Tx) Recurrence(in, earlier incident.ID) (recurrence.Link, error) {
	var l recurrence.Link
	err := tx.one("no decision on "+string(in)+" and "+string(earlier), `SELECT `+linkColumns+` FROM recurrences
WHERE incident = $1 AND earlier = $2`, []any{string(in), string(earlier)}, func(rows *sql.Rows) (err error) {
		l, err = scanLink(rows)
		return err
	})
	return l, err
}

// Recurrences returns the links in which an incident is the later or the
// earlier one, the latest decision first.
func (tx *Tx) Recurrences(id incident.ID) ([]recurrence.Link, error) {
	var out []recurrence.Link
	err := tx.each("list recurrences", `
SELECT `+linkColumns+` FROM recurrences WHERE incident = $1
UNION ALL
SELECT `+linkColumns+` FROM recurrences WHERE earlier = $1
ORDER BY 6 DESC, 1, 2`, []any{string(id)}, func(rows *sql.Rows) error {
		l, err := scanLink(rows)
		out = append(out, l)
		return err
	})
	return out, err
}

// FollowUpsOf returns the follow-ups of an incident with when each was
// created and closed, the soonest due first.
func (tx *Tx) FollowUpsOf(in incident.ID) ([]recurrence.FollowUp, error) {
	var out []recurrence.FollowUp
	err := tx.each("list follow-ups", `SELECT id, owner, due, created_at, closed_at FROM followups WHERE incident = $1 ORDER BY due, id`,
		[]any{string(in)}, func(rows *sql.Rows) error {
			var f recurrence.FollowUp
			var owner, due string
			if err := rows.Scan(&f.ID, &owner, &due, tm(&f.CreatedAt), tm(&f.ClosedAt)); err != nil {
				return err
			}
			d, err := time.Parse(time.DateOnly, due)
			if err != nil {
				return err
			}
			f.Owner, f.Due = org.Ref(owner), d
			out = append(out, f)
			return nil
		})
	return out, err
}

// RecordMissed records a missed follow-up, or makes a withdrawn one count
// again. It reports whether anything changed.
func (tx *Tx) RecordMissed(m recurrence.Missed) (bool, error) {
	var withdrawn time.Time
	err := tx.get("missed follow-up", `SELECT withdrawn_at FROM missed_followups WHERE incident = $1 AND followup = $2`,
		[]any{string(m.Incident), m.FollowUp}, tm(&withdrawn))
	switch {
	case err == nil && withdrawn.IsZero():
		return false, nil
	case err == nil:
		tx.touch("missed_followups", string(m.Incident))
		_, err = tx.exec("restore missed follow-up", `UPDATE missed_followups SET withdrawn_at = NULL, recorded_at = $3
WHERE incident = $1 AND followup = $2`, string(m.Incident), m.FollowUp, tx.t(m.RecordedAt))
		return err == nil, err
	case errs.KindOf(err) != errs.NotFound:
		return false, err
	}
	tx.touch("missed_followups", string(m.Incident))
	_, err = tx.exec("record missed follow-up", `
INSERT INTO missed_followups (incident, followup, earlier, owner, due, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		string(m.Incident), m.FollowUp, string(m.Earlier), string(m.Owner), m.Due.Format(time.DateOnly), tx.t(m.RecordedAt))
	return err == nil, err
}

// WithdrawMissed withdraws the missed follow-ups a link recorded, keeping
// them; it returns how many it withdrew.
func (tx *Tx) WithdrawMissed(in, earlier incident.ID, at time.Time) (int, error) {
	tx.touch("missed_followups", string(in))
	res, err := tx.exec("withdraw missed follow-ups", `UPDATE missed_followups SET withdrawn_at = $3
WHERE incident = $1 AND earlier = $2 AND withdrawn_at IS NULL`, string(in), string(earlier), tx.t(at))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// MissedFilter selects missed follow-ups; zero fields select everything.
type MissedFilter struct {
	// Incidents selects those recorded against recurrences among these.
	Incidents []incident.ID
	// Owners selects those of these owners.
	Owners []org.Ref
	// FollowUp selects those of one follow-up.
	FollowUp string
	// ActiveOnly leaves out the withdrawn.
	ActiveOnly bool
	// Since and Before bound when they were recorded.
	Since, Before time.Time
	// Limit caps a listing; zero lists them all.
	Limit int
	// Latest makes Limit keep the latest recorded rather than the
	// earliest; they are still listed earliest first.
	Latest bool
}

// missedWindow is how many of the latest missed follow-ups of all a
// listing of the latest of a whole organisation reads first (a variable
// for tests).
var missedWindow = 4000

// MissedFollowUps returns the missed follow-ups matching f, the earliest
// recorded first.
//
// The latest of many owners (a leader's whole organisation) are looked for
// first among the missedWindow latest of all, read in time order: when
// that window holds f.Limit of them, they are the latest of all, and
// most of an organisation's are recent ones. Otherwise, and for a few
// owners, the owners' own are read and sorted. For the root leader of the
// §9 set (64,000 of 159,000), sorting them all took most of a second on
// SQLite.
func (tx *Tx) MissedFollowUps(f MissedFilter) ([]recurrence.Missed, error) {
	if f.Limit > 0 && f.Latest && len(f.Owners) > manyRefs && f.Limit <= missedWindow {
		out, err := tx.missedFollowUps(f, `(SELECT * FROM missed_followups`+recordedIndex[tx.engine]+`
ORDER BY recorded_at DESC, incident DESC, followup DESC LIMIT `+itoa(missedWindow)+`) recent`)
		if err != nil || len(out) == f.Limit {
			return out, err
		}
	}
	return tx.missedFollowUps(f, "missed_followups")
}

// recordedIndex keeps SQLite on missed_followups_recorded for the latest
// of all: it would otherwise sort the whole table by time.
var recordedIndex = map[Engine]string{SQLite: " INDEXED BY missed_followups_recorded", Postgres: ""}

// missedFollowUps is MissedFollowUps reading from source, the table or a
// part of it.
func (tx *Tx) missedFollowUps(f MissedFilter, source string) ([]recurrence.Missed, error) {
	where, args, none := missedWhere(f, tx)
	if none {
		return nil, nil
	}
	const cols = `incident, followup, earlier, owner, due, recorded_at, withdrawn_at`
	q := `SELECT ` + cols + ` FROM ` + source + where
	switch {
	case f.Limit > 0 && f.Latest:
		q = `SELECT ` + cols + ` FROM (` + q + ` ORDER BY recorded_at DESC, incident DESC, followup DESC LIMIT ` + itoa(f.Limit) + `) latest
ORDER BY recorded_at, incident, followup`
	case f.Limit > 0:
		q += " ORDER BY recorded_at, incident, followup LIMIT " + itoa(f.Limit)
	default:
		q += " ORDER BY recorded_at, incident, followup"
	}
	var out []recurrence.Missed
	err := tx.each("list missed follow-ups", q, args, func(rows *sql.Rows) error {
		var m recurrence.Missed
		var inc, earlier, owner, due string
		if err := rows.Scan(&inc, &m.FollowUp, &earlier, &owner, &due, tm(&m.RecordedAt), tm(&m.WithdrawnAt)); err != nil {
			return err
		}
		d, err := time.Parse(time.DateOnly, due)
		if err != nil {
			return err
		}
		m.Incident, m.Earlier, m.Owner, m.Due = incident.ID(inc), incident.ID(earlier), org.Ref(owner), d
		out = append(out, m)
		return nil
	})
	return out, err
}

// CountMissedFollowUps counts the missed follow-ups matching f, its Limit
// aside.
func (tx *Tx) CountMissedFollowUps(f MissedFilter) (int, error) {
	where, args, none := missedWhere(f, tx)
	if none {
		return 0, nil
	}
	var n int
	err := tx.get("count missed follow-ups", `SELECT COUNT(*) FROM missed_followups`+where, args, &n)
	return n, err
}

// missedWhere is the WHERE clause of f, or none when f selects nothing.
func missedWhere(f MissedFilter, tx *Tx) (string, []any, bool) {
	var where []string
	var args []any
	in := func(col string, vals []string) {
		first := len(args) + 1
		for _, v := range vals {
			args = append(args, v)
		}
		where = append(where, col+" IN "+inList(first, len(vals)))
	}
	if f.Incidents != nil {
		if len(f.Incidents) == 0 {
			return "", nil, true
		}
		vals := make([]string, len(f.Incidents))
		for i, id := range f.Incidents {
			vals[i] = string(id)
		}
		in("incident", vals)
	}
	if f.Owners != nil {
		if len(f.Owners) == 0 {
			return "", nil, true
		}
		if len(f.Owners) > manyRefs {
			// A leader's whole organisation: one parameter, not thousands
			// of placeholders (see inRefs).
			args = append(args, tx.refsArg(f.Owners))
			where = append(where, tx.inRefs("owner", len(args)))
		} else {
			vals := make([]string, len(f.Owners))
			for i, r := range f.Owners {
				vals[i] = string(r)
			}
			in("owner", vals)
		}
	}
	if f.FollowUp != "" {
		in("followup", []string{f.FollowUp})
	}
	if f.ActiveOnly {
		where = append(where, "withdrawn_at IS NULL")
	}
	if !f.Since.IsZero() {
		args = append(args, tx.t(f.Since))
		where = append(where, "recorded_at >= $"+itoa(len(args)))
	}
	if !f.Before.IsZero() {
		args = append(args, tx.t(f.Before))
		where = append(where, "recorded_at < $"+itoa(len(args)))
	}
	if len(where) == 0 {
		return "", args, false
	}
	return " WHERE " + strings.Join(where, " AND "), args, false
}
