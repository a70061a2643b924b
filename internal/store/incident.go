package store

import (
	"database/sql"
	"strings"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// NextSequence increments the named counter and returns its new value,
// starting at 1. Inside a write transaction it is gap-free and, because the
// row is locked until commit, safe across servers.
func (tx *Tx) NextSequence(name string) (int, error) {
	var n int
	err := tx.get("counter "+name, `
INSERT INTO counters (name, value) VALUES ($1, 1)
ON CONFLICT (name) DO UPDATE SET value = counters.value + 1
RETURNING value`, []any{name}, &n)
	return n, err
}

const incidentColumns = `id, title, severity, status, summary, impact, source, started_at, detected_at, declared_at,
    mitigated_at, resolved_at, created_by, created_at, updated_at`

func scanIncident(rows interface{ Scan(...any) error }) (incident.Incident, error) {
	var in incident.Incident
	var id, sev, status, by string
	err := rows.Scan(&id, &in.Title, &sev, &status, &in.Summary, &in.Impact, &in.Source,
		tm(&in.StartedAt), tm(&in.DetectedAt), tm(&in.DeclaredAt), tm(&in.MitigatedAt), tm(&in.ResolvedAt),
		&by, tm(&in.CreatedAt), tm(&in.UpdatedAt))
	in.ID, in.Severity, in.Status, in.CreatedBy = incident.ID(id), incident.Severity(sev), incident.Status(status), org.Ref(by)
	return in, err
}

// CreateIncident inserts an incident and its failed entities.
func (tx *Tx) CreateIncident(in *incident.Incident) error {
	tx.touch("incidents", string(in.ID))
	_, err := tx.exec("create incident "+string(in.ID), `
INSERT INTO incidents (id, title, severity, status, summary, impact, source, started_at, detected_at, declared_at,
    mitigated_at, resolved_at, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		string(in.ID), in.Title, string(in.Severity), string(in.Status), in.Summary, in.Impact, in.Source,
		tx.t(in.StartedAt), tx.t(in.DetectedAt), tx.t(in.DeclaredAt), tx.t(in.MitigatedAt), tx.t(in.ResolvedAt),
		string(in.CreatedBy), tx.t(in.CreatedAt), tx.t(in.UpdatedAt))
	if err != nil {
		return err
	}
	return tx.saveFailed(in)
}

// UpdateIncident writes every field of an existing incident and replaces its
// failed entities.
func (tx *Tx) UpdateIncident(in *incident.Incident) error {
	tx.touch("incidents", string(in.ID))
	res, err := tx.exec("update incident "+string(in.ID), `
UPDATE incidents SET title = $2, severity = $3, status = $4, summary = $5, impact = $6, source = $7, started_at = $8,
    detected_at = $9, declared_at = $10, mitigated_at = $11, resolved_at = $12, updated_at = $13
WHERE id = $1`,
		string(in.ID), in.Title, string(in.Severity), string(in.Status), in.Summary, in.Impact, in.Source,
		tx.t(in.StartedAt), tx.t(in.DetectedAt), tx.t(in.DeclaredAt), tx.t(in.MitigatedAt), tx.t(in.ResolvedAt), tx.t(in.UpdatedAt))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("no incident %s", in.ID)
	}
	if _, err := tx.exec("replace failed entities", `DELETE FROM incident_entities WHERE incident = $1`, string(in.ID)); err != nil {
		return err
	}
	return tx.saveFailed(in)
}

func (tx *Tx) saveFailed(in *incident.Incident) error {
	tx.touch("incident_entities", string(in.ID))
	for i, e := range in.Entities {
		if _, err := tx.exec("record failed entity "+string(e.Ref), `
INSERT INTO incident_entities (incident, entity, origin, position) VALUES ($1, $2, $3, $4)`,
			string(in.ID), string(e.Ref), e.Origin, i); err != nil {
			return err
		}
	}
	return nil
}

// Incident returns one incident with its failed entities, read in one
// statement.
func (tx *Tx) Incident(id incident.ID) (incident.Incident, error) {
	var in incident.Incident
	err := tx.one("no incident "+string(id), `
SELECT `+incidentColumnsI+`, ie.entity, ie.origin
FROM incidents i LEFT JOIN incident_entities ie ON ie.incident = i.id
WHERE i.id = $1
ORDER BY ie.position`, []any{string(id)}, func(rows *sql.Rows) error {
		_, err := scanIncidentRow(rows, &in)
		return err
	})
	return in, err
}

// scanIncidentRow reads one row of an incident joined with its failed
// entities (incidentColumns, then entity and origin, then extra) into in:
// the first row sets it, each adds its entity. It reports whether the row
// was the first.
func scanIncidentRow(rows *sql.Rows, in *incident.Incident, extra ...any) (bool, error) {
	var ent string
	var origin sql.NullBool
	row, err := scanIncident(scanWith{rows, append([]any{str(&ent), &origin}, extra...)})
	if err != nil {
		return false, err
	}
	first := in.ID == ""
	if first {
		*in = row
	}
	if ent != "" {
		in.Entities = append(in.Entities, incident.FailedEntity{Ref: org.Ref(ent), Origin: origin.Bool})
	}
	return first, nil
}

// incidentColumnsI is incidentColumns qualified by the alias i, made once:
// the statements that use it are built per API read and per alert, and
// splitting and joining the list was 0.6 KB of an API read's 16 KB of
// allocations.
var incidentColumnsI = incidentColumnsOf("i")

// incidentColumnsOf is incidentColumns qualified by a table alias.
func incidentColumnsOf(alias string) string {
	cols := strings.Split(incidentColumns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// scanWith scans a row into a scanner's destinations followed by more.
type scanWith struct {
	rows interface{ Scan(...any) error }
	more []any
}

func (s scanWith) Scan(dest ...any) error { return s.rows.Scan(append(dest, s.more...)...) }

// Incidents returns incidents matching f with their failed entities.
func (tx *Tx) Incidents(f incident.Filter) ([]incident.Incident, error) {
	q, args := tx.incidentsQuery(f)
	var out []incident.Incident
	err := tx.each("list incidents", q, args, func(rows *sql.Rows) error {
		in, err := scanIncident(rows)
		out = append(out, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, tx.loadFailed(out)
}

// incidentsQuery is the statement Incidents runs for f, and its arguments.
// The latest come first, by start and then ID, read in that order from
// incidents_started_id, or from incidents_source for one source. An
// entity's incidents are read in the same order from recurrence_keys,
// whose "e <entity>" keys the triggers keep for every failed entity of an
// incident, beside its start. Found through incident_entities instead,
// every incident of the entity was read and sorted for a page of them:
// 9.3 s in C at PRODUCT.md section 9's size for the entity of 39,581
// incidents, 3 ms from its keys.
func (tx *Tx) incidentsQuery(f incident.Filter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	from, start, id := " FROM incidents i", "i.started_at", "i.id"
	if !f.Entity.IsZero() {
		from, start, id = " FROM recurrence_keys k JOIN incidents i ON i.id = k.incident", "k.started_at", "k.incident"
		add("k.key = ?", "e "+string(f.Entity))
	}
	if f.Status != "" {
		add("i.status = ?", string(f.Status))
	}
	if f.Severity != "" {
		add("i.severity = ?", string(f.Severity))
	}
	if !f.StartedFrom.IsZero() {
		add(start+" >= ?", tx.t(f.StartedFrom))
	}
	if !f.StartedBefore.IsZero() {
		add(start+" < ?", tx.t(f.StartedBefore))
	}
	if f.Source != "" {
		add("i.source = ?", f.Source)
	}
	if !f.Party.IsZero() {
		add("i.attribution IN (SELECT id FROM attributions WHERE party = ?)", string(f.Party))
	}
	if f.Text != "" {
		pattern := "%" + likeEscaper.Replace(asciiLower(f.Text)) + "%"
		lower := asciiLowerSQL[tx.engine]
		add("("+lower("i.title")+` LIKE ? ESCAPE '\' OR `+lower("i.summary")+` LIKE ? ESCAPE '\')`, pattern) // one argument, used twice
	}
	if f.AfterID != "" {
		args = append(args, tx.t(f.AfterStarted), string(f.AfterID))
		s, i := "$"+itoa(len(args)-1), "$"+itoa(len(args))
		where = append(where, "("+start+" < "+s+" OR ("+start+" = "+s+" AND "+id+" < "+i+"))")
	}
	q := `SELECT ` + incidentColumnsI + from
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + start + " DESC, " + id + " DESC"
	if f.Limit > 0 {
		q += " LIMIT " + itoa(f.Limit)
	}
	return q, args
}

// loadFailed fills in the failed entities of each incident.
func (tx *Tx) loadFailed(list []incident.Incident) error {
	if len(list) == 0 {
		return nil
	}
	at := make(map[incident.ID]int, len(list))
	ids := make([]any, len(list))
	for i, in := range list {
		at[in.ID] = i
		ids[i] = string(in.ID)
	}
	for _, c := range chunks(ids, 400) {
		err := tx.each("list failed entities", `SELECT incident, entity, origin FROM incident_entities WHERE incident IN `+
			inList(1, len(c))+` ORDER BY incident, position`, c, func(rows *sql.Rows) error {
			var id, ent string
			var origin bool
			if err := rows.Scan(&id, &ent, &origin); err != nil {
				return err
			}
			i := at[incident.ID(id)]
			list[i].Entities = append(list[i].Entities, incident.FailedEntity{Ref: org.Ref(ent), Origin: origin})
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Text search matches ASCII letters regardless of case, and nothing else,
// so that both engines find the same incidents: SQLite's lower() folds only
// ASCII, and PostgreSQL's translate() is told to do the same.
var asciiLowerSQL = map[Engine]func(col string) string{
	SQLite: func(col string) string { return "lower(" + col + ")" },
	Postgres: func(col string) string {
		return "translate(" + col + ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
	},
}

// asciiLower lower-cases ASCII letters only, as asciiLowerSQL does.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// likeEscaper escapes LIKE's wildcards and its escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
