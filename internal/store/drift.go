package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
)

// AlertLabelValues reads the values of the labels that name entities on
// the incidents that started in the days before at (their Incidents not
// read), and which of the values name a catalog entity of any kind.
//
// At a million incidents the profile showed 30 s here when SQLite walked
// every incident's label, then 1 s on SQLite and 2.9 s on PostgreSQL when
// the window's 83,000 incidents were read first and their signals probed
// one incident at a time. Now the labels are read from label_signals
// (0024), which keeps each label beside its incident's start, and the
// window's values from label_values (0027), which keeps each value's latest
// start (the window's 83,000 labels were 190-200 ms of the review at a
// million); the catalog is asked about the values in one statement.
//
// known, when not nil, says whether an entity exists (a server's copy of
// the catalog, current for this transaction); without it the catalog is
// read.
func (tx *Tx) AlertLabelValues(at time.Time, days int, labels []string, known func(org.Ref) bool) ([]review.AlertLabel, map[string]bool, error) {
	names := map[string]bool{}
	from, to := tx.t(at.AddDate(0, 0, -days)), tx.t(at)
	type value struct{ label, value string }
	var window []string
	// The values seen in the window, from label_values (0027): its latest
	// start says it for all but the values seen again after the window.
	err := tx.each("read alert labels", `
SELECT value FROM label_values v
WHERE v.last_started_at >= $1 AND (v.last_started_at < $2 OR EXISTS (
    SELECT 1 FROM label_signals s WHERE s.value = v.value AND s.started_at >= $1 AND s.started_at < $2))`,
		[]any{from, to}, func(rows *sql.Rows) error {
			var v string
			err := rows.Scan(&v)
			window = append(window, v)
			return err
		})
	if err != nil {
		return nil, nil, err
	}
	// Sorted here, not by the statement: ordered by value, SQLite read
	// every value (label_values' own order) rather than the window's
	// range of its index by start, 39,924 rows for 12,465 at a million.
	slices.Sort(window)
	var values []value
	for _, l := range labels {
		if l == "" || strings.ContainsAny(l, "=>") {
			continue
		}
		// Label values are "name=value"; a label with an empty value
		// names nothing.
		for _, v := range window {
			if rest, ok := strings.CutPrefix(v, l+"="); ok && rest != "" {
				values = append(values, value{l, rest})
			}
		}
	}
	// Most values name a component: those are looked for first, the other
	// kinds only for the values still unknown.
	var refs [][]org.Ref
	for _, v := range values {
		refs = append(refs, ingest.EntityRefs(v.value))
	}
	for k := 0; k < 4; k++ {
		var ask []org.Ref
		for i, v := range values {
			if k < len(refs[i]) && !names[v.value] && !names[refs[i][k].Name()] {
				ask = append(ask, refs[i][k])
			}
		}
		if len(ask) == 0 {
			continue
		}
		if known != nil {
			for _, r := range ask {
				if known(r) {
					names[r.Name()] = true
				}
			}
			continue
		}
		err := tx.each("look up alert label entities", `SELECT ref FROM entities WHERE `+tx.inRefs("ref", 1), []any{tx.refsArg(ask)},
			func(rows *sql.Rows) error {
				var r string
				err := rows.Scan(&r)
				names[org.Ref(r).Name()] = true
				return err
			})
		if err != nil {
			return nil, nil, err
		}
	}
	var out []review.AlertLabel
	for _, v := range values {
		out = append(out, review.AlertLabel{Label: v.label, Value: v.value})
	}
	return out, names, nil
}

// AlertLabelFacts is AlertLabelValues with the incidents of every value
// that names nothing listed (AlertLabelIncidents).
func (tx *Tx) AlertLabelFacts(at time.Time, days int, labels []string, known func(org.Ref) bool) ([]review.AlertLabel, map[string]bool, error) {
	values, names, err := tx.AlertLabelValues(at, days, labels, known)
	if err != nil {
		return nil, nil, err
	}
	listed, err := tx.AlertLabelIncidents(at, days, review.UnknownLabels(values, names))
	if err != nil {
		return nil, nil, err
	}
	k := 0
	for i, v := range values {
		if !names[v.Value] {
			values[i] = listed[k]
			k++
		}
	}
	return values, names, nil
}

// AlertLabelIncidents returns values with the incidents that started in
// the days before at and carried them, newest first and at most 50 a
// value, in one statement: at a million incidents some thousands of values
// named nothing, and a statement each took most of this read.
func (tx *Tx) AlertLabelIncidents(at time.Time, days int, values []review.AlertLabel) ([]review.AlertLabel, error) {
	if len(values) == 0 {
		return values, nil
	}
	from, to := tx.t(at.AddDate(0, 0, -days)), tx.t(at)
	keys := make([]org.Ref, len(values))
	for i, v := range values {
		keys[i] = org.Ref(v.Key()) // refsArg carries any text
	}
	listed := map[string][]string{}
	err := tx.each("list unknown alert labels' incidents", `
SELECT value, incident FROM (
    SELECT value, incident, ROW_NUMBER() OVER (PARTITION BY value ORDER BY started_at DESC, incident) AS k
    FROM label_signals WHERE `+tx.inRefs("value", 1)+` AND started_at >= $2 AND started_at < $3
) newest WHERE k <= 50 ORDER BY value, k`, []any{tx.refsArg(keys), from, to}, func(rows *sql.Rows) error {
		var v, id string
		err := rows.Scan(&v, &id)
		listed[v] = append(listed[v], id)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]review.AlertLabel, len(values))
	for i, v := range values {
		out[i] = review.AlertLabel{Label: v.Label, Value: v.Value, Incidents: listed[string(keys[i])]}
	}
	return out, nil
}

// DriftFacts reads what review.Drift needs at the moment at: the imported
// CODEOWNERS rules, the entities with a GitHub code path and their owners
// at that moment (only when some CODEOWNERS was imported), the changes of
// the days before of every entity that may have drifted (DriftSuspects),
// and the edges that judge them. The edges come from edges: the
// transaction itself, or a server's copy of the org that is current for
// it.
func (tx *Tx) DriftFacts(at time.Time, days int, edges EdgeReader) (review.DriftFacts, error) {
	suspects, err := tx.DriftSuspects(at.AddDate(0, 0, -days), at)
	if err != nil {
		return review.DriftFacts{}, err
	}
	entities := make([]org.Ref, len(suspects))
	for i, s := range suspects {
		entities[i] = s.Entity
	}
	f, err := tx.DriftCodeowners(at, edges)
	if err != nil {
		return f, err
	}
	f.Days = days
	f.Changes, f.Edges, err = tx.DriftChanges(at, days, edges, entities)
	return f, err
}

// DriftCodeowners reads the CODEOWNERS side of drift at the moment at:
// the imported rules, and the entities with a GitHub code path and their
// owners then (only when some CODEOWNERS was imported).
func (tx *Tx) DriftCodeowners(at time.Time, edges EdgeReader) (review.DriftFacts, error) {
	f := review.DriftFacts{At: at}
	files, err := tx.AllCodeowners()
	if err != nil {
		return f, err
	}
	for _, c := range files {
		f.Codeowners = append(f.Codeowners, review.RepoRules{Repo: c.Repo, Rules: c.Rules})
	}
	if len(files) > 0 {
		f.Entities, err = tx.githubEntities(at, edges)
	}
	return f, err
}

// DriftChanges reads the changes of the given entities in the days before
// at, latest first, and the edges that judge them: those entities' owners,
// the team tree, and the memberships and leads of the people who made the
// changes.
func (tx *Tx) DriftChanges(at time.Time, days int, edges EdgeReader, entities []org.Ref) ([]freeze.Change, []org.Edge, error) {
	if len(entities) == 0 {
		return nil, nil, nil
	}
	changes, err := tx.entityChanges(at.AddDate(0, 0, -days), at, entities)
	if err != nil || len(changes) == 0 {
		return nil, nil, err
	}
	out, err := ChangeEdges(edges, changes)
	return changes, out, err
}

// ChangeEdges reads from src the edges that judging changes needs
// (review.JudgeChanges): the owned_by edges of their entities, every
// child_of edge, and the member_of and leads edges of their actors.
func ChangeEdges(src EdgeReader, changes []freeze.Change) ([]org.Edge, error) {
	var changed []org.Ref
	for _, c := range changes {
		changed = append(changed, c.Entity)
	}
	slices.Sort(changed)
	changed = slices.Compact(changed)
	owned, err := src.Edges(EdgeFilter{Subjects: changed, Relations: []org.Relation{org.OwnedBy}})
	if err != nil {
		return nil, err
	}
	children, err := src.Edges(EdgeFilter{Relations: []org.Relation{org.ChildOf}})
	if err != nil {
		return nil, err
	}
	out := append(owned, children...)
	// Whether an actor was inside an owning team is read from the actor's
	// own memberships: those of the people who made the changes, not of
	// everyone in the owning teams and the teams under them (about
	// 12,000 edges for an owner near the root).
	var actors []org.Ref
	for _, c := range changes {
		if !c.Actor.IsZero() {
			actors = append(actors, c.Actor)
		}
	}
	slices.Sort(actors)
	actors = slices.Compact(actors)
	if len(actors) == 0 {
		return out, nil
	}
	members, err := src.Edges(EdgeFilter{Subjects: actors, Relations: []org.Relation{org.MemberOf, org.Leads}})
	return append(out, members...), err
}

// githubEntities returns the entities with a code path on GitHub, with
// their owners at t.
func (tx *Tx) githubEntities(t time.Time, src EdgeReader) ([]review.DriftEntity, error) {
	var out []review.DriftEntity
	err := tx.each("list entities with GitHub code", `SELECT ref, code_paths FROM entities WHERE code_paths LIKE '%github.com/%' ORDER BY ref`,
		nil, func(rows *sql.Rows) error {
			var e review.DriftEntity
			var ref, paths string
			if err := rows.Scan(&ref, &paths); err != nil {
				return err
			}
			e.Ref = org.Ref(ref)
			if err := json.Unmarshal([]byte(paths), &e.CodePaths); err != nil {
				return fmt.Errorf("entity %s code paths: %w", ref, err)
			}
			out = append(out, e)
			return nil
		})
	if err != nil || len(out) == 0 {
		return out, err
	}
	refs := make([]org.Ref, len(out))
	for i, e := range out {
		refs[i] = e.Ref
	}
	edges, err := src.Edges(EdgeFilter{Subjects: refs, Relations: []org.Relation{org.OwnedBy}, At: t})
	if err != nil {
		return nil, err
	}
	at := map[org.Ref]int{}
	for i, e := range out {
		at[e.Ref] = i
	}
	for _, e := range edges {
		d := &out[at[e.Subject]]
		if !slices.Contains(d.Owners, e.Object) {
			d.Owners = append(d.Owners, e.Object)
		}
	}
	return out, nil
}

// DriftSuspect is an entity that may have drifted in a window of days:
// it has a change there judged outside its owner, or not judged since an
// edge it depends on was written (change_drift, migration 0023), and none
// judged inside.
type DriftSuspect struct {
	Entity org.Ref
	// Stale is set when some of its changes in the window are not judged:
	// review.Drift must judge it from its changes and edges. An entity
	// whose changes are all judged has drifted (review.Drift finds
	// DeploysFromOutside exactly when an entity's judged changes are all
	// outside its owner, and the verdicts are the same judgement made in
	// SQL), so a bounded list can count it without reading its changes.
	Stale bool
}

// DriftSuspects returns the entities that may have drifted in [from, to),
// by ref. An entity with a change made from inside its owner in the
// window cannot be a DeploysFromOutside finding, and review.Drift judges
// each entity from its own changes alone, so leaving the others out
// changes no finding.
//
// At a million incidents the profile showed the review reading all
// 83,000 changes of 90 days and judging each against the org chart (1.1 s
// of reads on SQLite, seconds of judging); with one deploy in ten from
// outside, a few thousand index entries are read here instead. They are
// grouped by entity before each is probed for an inside change: the
// window's 9,449 outside changes were of 2,749 entities, and probing each
// change took 42 ms in C SQLite, each entity 17 ms.
func (tx *Tx) DriftSuspects(from, to time.Time) ([]DriftSuspect, error) {
	var out []DriftSuspect
	err := tx.each("list entities that may have drifted", `
SELECT c.entity, c.stale FROM (
    SELECT entity, MAX(CASE WHEN state = 'stale' THEN 1 ELSE 0 END) AS stale FROM change_drift
    WHERE state IN ('stale', 'outside') AND at >= $1 AND at < $2 GROUP BY entity) c
WHERE NOT EXISTS (SELECT 1 FROM change_drift i WHERE i.entity = c.entity AND i.state = 'inside' AND i.at >= $1 AND i.at < $2)`, []any{tx.t(from), tx.t(to)}, func(rows *sql.Rows) error {
		var ref string
		var stale int
		err := rows.Scan(&ref, &stale)
		out = append(out, DriftSuspect{Entity: org.Ref(ref), Stale: stale == 1})
		return err
	})
	// By ref in Go: PostgreSQL orders text by the database's collation.
	slices.SortFunc(out, func(a, b DriftSuspect) int { return strings.Compare(string(a.Entity), string(b.Entity)) })
	return out, err
}

// entityChanges returns the changes of [from, to) of the given entities,
// latest first.
func (tx *Tx) entityChanges(from, to time.Time, entities []org.Ref) ([]freeze.Change, error) {
	var out []freeze.Change
	err := tx.each("list the changes of entities that may have drifted", `
SELECT `+changeColumns+` FROM changes c
WHERE `+tx.inRefs("c.entity", 3)+` AND c.at >= $1 AND c.at < $2
ORDER BY c.at DESC, c.id DESC`, []any{tx.t(from), tx.t(to), tx.refsArg(entities)}, func(rows *sql.Rows) error {
		c, err := scanChange(rows)
		out = append(out, c)
		return err
	})
	return out, err
}

// judgeChanges is the verdict of change_drift for its stale rows that
// todo selects (a SELECT of change_id, entity, actor, at): the owners of
// each change's entity at its time; the teams its actor led or belonged to
// then, and every team above them then; inside when the actor is an owner
// or one of those teams is, outside when there were owners and none of
// them, unjudged without an actor or an owner: review.JudgeChanges's
// rules, by which the jobs judge again in Go (TestVerdictsAgree holds the
// two together). Migration 0023 ran the same statement over every change.
func judgeChangesSQL(todo string) string {
	return `
WITH RECURSIVE
todo AS (` + todo + `),
own AS (
    SELECT t.change_id, e.object AS owner
    FROM todo t JOIN edges e ON e.subject = t.entity AND e.relation = 'owned_by'
    WHERE (e.valid_from IS NULL OR e.valid_from <= t.at) AND (e.valid_to IS NULL OR t.at < e.valid_to)
),
up (change_id, at, team) AS (
    SELECT t.change_id, t.at, m.object
    FROM todo t JOIN edges m ON m.subject = t.actor AND m.relation IN ('member_of', 'leads')
    WHERE t.actor <> '' AND (m.valid_from IS NULL OR m.valid_from <= t.at) AND (m.valid_to IS NULL OR t.at < m.valid_to)
    UNION
    SELECT u.change_id, u.at, p.object
    FROM up u JOIN edges p ON p.subject = u.team AND p.relation = 'child_of'
    WHERE (p.valid_from IS NULL OR p.valid_from <= u.at) AND (p.valid_to IS NULL OR u.at < p.valid_to)
),
owned AS (SELECT DISTINCT change_id FROM own),
inside AS (
    SELECT DISTINCT o.change_id FROM own o JOIN todo t ON t.change_id = o.change_id WHERE o.owner = t.actor
    UNION
    SELECT o.change_id FROM own o JOIN up u ON u.change_id = o.change_id AND u.team = o.owner
),
verdict AS (
    SELECT t.change_id, CASE
        WHEN t.actor = '' OR w.change_id IS NULL THEN 'unjudged'
        WHEN i.change_id IS NOT NULL THEN 'inside'
        ELSE 'outside' END AS state
    FROM todo t LEFT JOIN owned w ON w.change_id = t.change_id LEFT JOIN inside i ON i.change_id = t.change_id
)
UPDATE change_drift SET state = verdict.state FROM verdict WHERE change_drift.change_id = verdict.change_id`
}

// judgeChange judges one change, in the transaction that records it.
func (tx *Tx) judgeChange(id string) error {
	_, err := tx.exec("judge the change's drift", judgeChangesSQL(
		`SELECT change_id, entity, actor, at FROM change_drift WHERE change_id = $1 AND state = 'stale'`), id)
	return err
}

// StaleDriftChanges returns up to limit changes whose drift verdict is
// stale, the earliest first: their ID, entity, actor and time, what
// judging reads. Invalid when limit is not positive. The order is that of
// the index on state: by ID, SQLite read every stale verdict and sorted
// them for each batch.
func (tx *Tx) StaleDriftChanges(limit int) ([]freeze.Change, error) {
	if limit <= 0 {
		return nil, errs.E(errs.Invalid, "%d is not a positive number of changes to judge", limit)
	}
	var out []freeze.Change
	err := tx.each("list changes whose drift verdict is stale", `
SELECT change_id, entity, actor, at FROM change_drift WHERE state = 'stale' ORDER BY at, entity LIMIT `+itoa(limit), nil,
		func(rows *sql.Rows) error {
			var c freeze.Change
			var entity, actor string
			err := rows.Scan(&c.ID, &entity, &actor, tm(&c.At))
			c.Entity, c.Actor = org.Ref(entity), org.Ref(actor)
			out = append(out, c)
			return err
		})
	return out, err
}

// RecordDriftVerdicts keeps the verdict of each change, verdicts[i] being
// changes[i]'s (review.JudgeChanges), and returns how many it kept. The
// caller read the changes stale in this transaction and judged them from
// the org as it sees it, held still (HoldOrg), so no edge written since
// can have made a verdict stale again; and a change is never rewritten.
// The rows are found by key alone: with "state = 'stale'" beside it,
// SQLite walked every stale verdict for each batch, 7 minutes for a
// million changes where this takes seconds.
func (tx *Tx) RecordDriftVerdicts(changes []freeze.Change, verdicts []review.DriftVerdict) (int, error) {
	if len(changes) != len(verdicts) {
		return 0, fmt.Errorf("%d verdicts for %d changes", len(verdicts), len(changes))
	}
	ids := map[review.DriftVerdict][]org.Ref{}
	for i, v := range verdicts {
		ids[v] = append(ids[v], org.Ref(changes[i].ID))
	}
	kept := 0
	for _, v := range []review.DriftVerdict{review.ChangeInside, review.ChangeOutside, review.ChangeUnjudged} {
		if len(ids[v]) == 0 {
			continue
		}
		res, err := tx.exec("keep changes' drift verdicts", `
UPDATE change_drift SET state = $1 WHERE `+tx.inRefs("change_id", 2), string(v), tx.refsArg(ids[v]))
		if err != nil {
			return kept, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return kept, err
		}
		kept += int(n)
	}
	return kept, nil
}

// StaleChanges counts the changes whose drift verdict is stale (not judged
// since an edge it depends on was written).
func (tx *Tx) StaleChanges() (int, error) {
	var n int
	err := tx.get("count stale changes", `SELECT COUNT(*) FROM change_drift WHERE state = 'stale'`, nil, &n)
	return n, err
}
