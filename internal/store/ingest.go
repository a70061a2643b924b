package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/incident"
)

// CurrentAlertGroup returns the group's current incident, whole, in one
// statement; found is false for a group never seen.
func (tx *Tx) CurrentAlertGroup(source, key string) (g incident.AlertGroup, in incident.Incident, found bool, err error) {
	err = tx.eachPrepared("read alert group", `
SELECT `+incidentColumnsI+`, ie.entity, ie.origin, g.opened_at, g.resolved_at
FROM alert_groups g JOIN incidents i ON i.id = g.incident LEFT JOIN incident_entities ie ON ie.incident = i.id
WHERE g.source = $1 AND g.group_key = $2 AND g.current = `+tx.boolean(true)+`
ORDER BY ie.position`, []any{source, key}, func(rows *sql.Rows) error {
		var opened, resolved time.Time
		first, err := scanIncidentRow(rows, &in, tm(&opened), tm(&resolved))
		if first {
			found = true
			g = incident.AlertGroup{Source: source, Key: key, Incident: in.ID, Current: true, OpenedAt: opened, ResolvedAt: resolved}
		}
		return err
	})
	return g, in, found, err
}

// OpenAlertGroup makes inc the group's current incident; the one before
// it, if any, stays in the group's history.
func (tx *Tx) OpenAlertGroup(g incident.AlertGroup, previous incident.ID) error {
	if previous != "" {
		tx.touch("alert_groups", string(previous))
		if _, err := tx.exec("retire alert group", `UPDATE alert_groups SET current = `+tx.boolean(false)+`
WHERE source = $1 AND group_key = $2 AND incident = $3`, g.Source, g.Key, string(previous)); err != nil {
			return err
		}
	}
	tx.touch("alert_groups", string(g.Incident))
	_, err := tx.exec("open alert group", `
INSERT INTO alert_groups (source, group_key, incident, current, opened_at, resolved_at) VALUES ($1, $2, $3, `+tx.boolean(true)+`, $4, NULL)`,
		g.Source, g.Key, string(g.Incident), tx.t(g.OpenedAt))
	return err
}

// SetAlertGroupResolved records when the whole group resolved, or that it
// fires again (zero at).
func (tx *Tx) SetAlertGroupResolved(source, key string, inc incident.ID, at time.Time) error {
	tx.touch("alert_groups", string(inc))
	_, err := tx.exec("mark alert group", `UPDATE alert_groups SET resolved_at = $4 WHERE source = $1 AND group_key = $2 AND incident = $3`,
		source, key, string(inc), tx.t(at))
	return err
}

// RecordedAlertEvents returns which of the keys an incident already has.
func (tx *Tx) RecordedAlertEvents(inc incident.ID, keys []string) (map[string]bool, error) {
	out := make(map[string]bool)
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	for _, c := range chunks(args, inChunk-1) {
		err := tx.eachPrepared("read alert events", `SELECT event_key FROM alert_events WHERE incident = $1 AND event_key IN `+tx.in(2, len(c)),
			append([]any{string(inc)}, c...), func(rows *sql.Rows) error {
				var k string
				if err := rows.Scan(&k); err != nil {
					return err
				}
				out[k] = true
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AddAlertEvents stores alert events with their timeline entries, many
// rows to a statement: an alert storm is written in as few round trips
// as the engine's parameter limit allows.
func (tx *Tx) AddAlertEvents(entries []incident.Entry, events []incident.AlertEvent) error {
	if len(entries) != len(events) {
		return fmt.Errorf("store: %d alert entries for %d events", len(entries), len(events))
	}
	const entryCols, eventCols = 10, 9
	const perInsert = 100
	for start := 0; start < len(entries); start += perInsert {
		end := min(start+perInsert, len(entries))
		var q strings.Builder
		args := make([]any, 0, entryCols*(end-start))
		q.WriteString(`INSERT INTO timeline_entries (id, incident, occurred_at, recorded_at, author, kind, text, deleted, revision, updated_at) VALUES `)
		for i, e := range entries[start:end] {
			tx.touchWritten("timeline_entries", e.ID, []any{e.ID, string(e.Incident), micro(e.OccurredAt), micro(e.RecordedAt),
				string(e.Author), string(e.Kind), e.Text, e.Deleted, int64(e.Revision), micro(e.UpdatedAt)})
			tx.values(&q, i, entryCols)
			args = append(args, e.ID, string(e.Incident), tx.t(e.OccurredAt), tx.t(e.RecordedAt), string(e.Author), string(e.Kind), e.Text,
				e.Deleted, e.Revision, tx.t(e.UpdatedAt))
		}
		if _, err := tx.execPrepared("add alert entries", q.String(), args...); err != nil {
			return err
		}
		q.Reset()
		args = args[:0]
		q.WriteString(`INSERT INTO alert_events (entry, incident, source, event_key, fingerprint, status, at, labels, received_at) VALUES `)
		for i, ev := range events[start:end] {
			labels := []byte(ev.LabelText)
			if len(labels) == 0 {
				var err error
				if labels, err = json.Marshal(ev.Labels); err != nil { // map keys sorted: one text per label set
					return err
				}
			}
			tx.touchWritten("alert_events", ev.Entry, []any{ev.Entry, string(ev.Incident), ev.Source, ev.Key, ev.Fingerprint, ev.Status,
				micro(ev.At), string(labels), micro(ev.ReceivedAt)})
			tx.values(&q, i, eventCols)
			args = append(args, ev.Entry, string(ev.Incident), ev.Source, ev.Key, ev.Fingerprint, ev.Status, tx.t(ev.At), string(labels),
				tx.t(ev.ReceivedAt))
		}
		if _, err := tx.execPrepared("add alert events", q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// micro is a time as the store keeps it: UTC, to the microsecond.
func micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// values writes the i-th row's placeholders of a multi-row insert.
func (tx *Tx) values(q *strings.Builder, i, cols int) {
	if i > 0 {
		q.WriteString(", ")
	}
	q.WriteByte('(')
	for c := range cols {
		if c > 0 {
			q.WriteString(", ")
		}
		q.WriteString(tx.param(i*cols + c + 1))
	}
	q.WriteByte(')')
}

// param is the n-th parameter of a statement whose parameters all come in
// order. SQLite's are left unnumbered: binding a numbered one makes
// SQLite search its list of names, so a statement with hundreds of them
// spends most of its time binding.
func (tx *Tx) param(n int) string {
	if tx.engine == SQLite {
		return "?"
	}
	return "$" + itoa(n)
}

// in is an IN list of count parameters from the first, which follows
// parameters 1 to first-1 in order.
func (tx *Tx) in(first, count int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := range count {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tx.param(first + i))
	}
	b.WriteByte(')')
	return b.String()
}

const alertEventColumns = `entry, incident, source, event_key, fingerprint, status, at, labels, received_at`

func scanAlertEvent(rows *sql.Rows) (incident.AlertEvent, error) {
	var ev incident.AlertEvent
	var id, labels string
	if err := rows.Scan(&ev.Entry, &id, &ev.Source, &ev.Key, &ev.Fingerprint, &ev.Status, tm(&ev.At), &labels, tm(&ev.ReceivedAt)); err != nil {
		return ev, err
	}
	ev.Incident = incident.ID(id)
	return ev, json.Unmarshal([]byte(labels), &ev.Labels)
}

// IncidentAlertEvents returns an incident's alert events in the order
// they happened, at most limit of them (all when 0).
func (tx *Tx) IncidentAlertEvents(inc incident.ID, limit int) ([]incident.AlertEvent, error) {
	q := `SELECT ` + alertEventColumns + ` FROM alert_events WHERE incident = $1 ORDER BY at, entry`
	if limit > 0 {
		q += " LIMIT " + itoa(limit)
	}
	var out []incident.AlertEvent
	err := tx.each("read alert events", q, []any{string(inc)}, func(rows *sql.Rows) error {
		ev, err := scanAlertEvent(rows)
		out = append(out, ev)
		return err
	})
	return out, err
}

// IncidentAlertGroups returns the alert groups that opened or feed an
// incident.
func (tx *Tx) IncidentAlertGroups(inc incident.ID) ([]incident.AlertGroup, error) {
	var out []incident.AlertGroup
	err := tx.each("read alert groups", `SELECT source, group_key, current, opened_at, resolved_at FROM alert_groups WHERE incident = $1
ORDER BY opened_at, source, group_key`, []any{string(inc)}, func(rows *sql.Rows) error {
		g := incident.AlertGroup{Incident: inc}
		if err := rows.Scan(&g.Source, &g.Key, &g.Current, tm(&g.OpenedAt), tm(&g.ResolvedAt)); err != nil {
			return err
		}
		out = append(out, g)
		return nil
	})
	return out, err
}

// CountAlertsStored records that n alert events of a source were stored
// at at.
func (tx *Tx) CountAlertsStored(source string, n int, at time.Time) error {
	_, err := tx.exec("count stored alerts", `
INSERT INTO ingest_sources (source, last_at, events) VALUES ($1, $2, $3)
ON CONFLICT (source) DO UPDATE SET last_at = excluded.last_at, events = ingest_sources.events + excluded.events`,
		source, tx.t(at), n)
	return err
}

// AlertsStored returns, per source, when its last alert event was stored
// and how many have been.
func (tx *Tx) AlertsStored() (map[string]SourceCount, error) {
	out := map[string]SourceCount{}
	err := tx.each("read stored alert counts", `SELECT source, last_at, events FROM ingest_sources`, nil, func(rows *sql.Rows) error {
		var s string
		var c SourceCount
		if err := rows.Scan(&s, tm(&c.LastAt), &c.Events); err != nil {
			return err
		}
		out[s] = c
		return nil
	})
	return out, err
}

// SourceCount is what one alert source has had stored.
type SourceCount struct {
	LastAt time.Time
	Events int64
}

// boolean is a boolean literal as the engine's column type takes it.
func (tx *Tx) boolean(b bool) string {
	switch {
	case tx.engine == Postgres && b:
		return "TRUE"
	case tx.engine == Postgres:
		return "FALSE"
	case b:
		return "1"
	}
	return "0"
}
