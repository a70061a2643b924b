package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
)

// AlertLabelFacts reads the values of the labels that name entities on
// the incidents that started in the days before at, with the incidents
// (newest first, at most 50 a value) of the values that name no catalog
// entity, and which of the values name a catalog entity of any kind.
//
// At a million incidents the profile showed 30 s here: SQLite, without
// statistics, walked every incident's label through the signals' index
// and looked each incident up for its start. Now the window's incidents
// are read first (their started_at range) and their labels probed, the
// values come back once each, the catalog is asked about them in one
// statement, and only the few values that name nothing have their
// incidents listed.
func (tx *Tx) AlertLabelFacts(at time.Time, days int, labels []string) ([]review.AlertLabel, map[string]bool, error) {
	names := map[string]bool{}
	from, to := tx.t(at.AddDate(0, 0, -days)), tx.t(at)
	type value struct{ label, value string }
	var values []value
	for _, l := range labels {
		if l == "" || strings.ContainsAny(l, "=>") {
			continue
		}
		// A range of the signals' index: label values are "name=value".
		err := tx.each("read alert labels", `
SELECT s.value FROM incidents i CROSS JOIN incident_signals s
WHERE s.incident = i.id AND i.started_at >= $3 AND i.started_at < $4 AND s.kind = 'label' AND s.value > $1 AND s.value < $2
GROUP BY s.value ORDER BY s.value`, []any{l + "=", l + ">", from, to}, func(rows *sql.Rows) error {
			var v string
			err := rows.Scan(&v)
			values = append(values, value{l, strings.TrimPrefix(v, l+"=")})
			return err
		})
		if err != nil {
			return nil, nil, err
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
		a := review.AlertLabel{Label: v.label, Value: v.value}
		if !names[v.value] {
			err := tx.each("list an alert label's incidents", `
SELECT i.id FROM incident_signals s JOIN incidents i ON i.id = s.incident
WHERE s.kind = 'label' AND s.value = $1 AND i.started_at >= $2 AND i.started_at < $3
ORDER BY i.started_at DESC, i.id LIMIT 50`, []any{v.label + "=" + v.value, from, to}, func(rows *sql.Rows) error {
				var id string
				err := rows.Scan(&id)
				a.Incidents = append(a.Incidents, id)
				return err
			})
			if err != nil {
				return nil, nil, err
			}
		}
		out = append(out, a)
	}
	return out, names, nil
}

// DriftFacts reads what review.Drift needs at the moment at: the imported
// CODEOWNERS rules, the entities with a GitHub code path and their owners
// at that moment (only when some CODEOWNERS was imported), the changes of
// the days before, and the edges that judge them: the changed entities'
// owners, the team tree, and the memberships and leads of the people who
// made the changes.
func (tx *Tx) DriftFacts(at time.Time, days int) (review.DriftFacts, error) {
	f := review.DriftFacts{At: at, Days: days}
	files, err := tx.AllCodeowners()
	if err != nil {
		return f, err
	}
	for _, c := range files {
		f.Codeowners = append(f.Codeowners, review.RepoRules{Repo: c.Repo, Rules: c.Rules})
	}
	if len(files) > 0 {
		if f.Entities, err = tx.githubEntities(at); err != nil {
			return f, err
		}
	}
	if f.Changes, err = tx.Changes(ChangeFilter{Since: at.AddDate(0, 0, -days), Before: at}); err != nil {
		return f, err
	}
	var changed []org.Ref
	for _, c := range f.Changes {
		changed = append(changed, c.Entity)
	}
	slices.Sort(changed)
	changed = slices.Compact(changed)
	if len(changed) == 0 {
		return f, nil
	}
	owned, err := tx.Edges(EdgeFilter{Subjects: changed, Relations: []org.Relation{org.OwnedBy}})
	if err != nil {
		return f, err
	}
	f.Edges = append(f.Edges, owned...)
	children, err := tx.Edges(EdgeFilter{Relations: []org.Relation{org.ChildOf}})
	if err != nil {
		return f, err
	}
	f.Edges = append(f.Edges, children...)
	// Whether an actor was inside an owning team is read from the actor's
	// own memberships: those of the people who made the changes, not of
	// everyone in the owning teams and the teams under them (about
	// 12,000 edges for an owner near the root).
	var actors []org.Ref
	for _, c := range f.Changes {
		if !c.Actor.IsZero() {
			actors = append(actors, c.Actor)
		}
	}
	slices.Sort(actors)
	actors = slices.Compact(actors)
	if len(actors) == 0 {
		return f, nil
	}
	members, err := tx.Edges(EdgeFilter{Subjects: actors, Relations: []org.Relation{org.MemberOf, org.Leads}})
	if err != nil {
		return f, err
	}
	f.Edges = append(f.Edges, members...)
	return f, nil
}

// githubEntities returns the entities with a code path on GitHub, with
// their owners at t.
func (tx *Tx) githubEntities(t time.Time) ([]review.DriftEntity, error) {
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
	edges, err := tx.Edges(EdgeFilter{Subjects: refs, Relations: []org.Relation{org.OwnedBy}, At: t})
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
