package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
)

// CodeownersResult reports a CODEOWNERS import.
type CodeownersResult struct {
	Repo string `json:"repo"`
	// Rules counts the rules imported, and Ownerless those among them
	// that name no owner (the paths they match are unowned).
	Rules     int `json:"rules"`
	Ownerless int `json:"ownerless"`
	// Owners counts the distinct owners the file names, Resolved those
	// that name a person or team of the org; Unresolved lists the others
	// as written.
	Owners     int      `json:"owners"`
	Resolved   int      `json:"resolved"`
	Unresolved []string `json:"unresolved"`
	// Replaced counts the rules the import replaced; Unchanged is true
	// when the file was already imported as it is, and nothing was written.
	Replaced  int  `json:"replaced"`
	Unchanged bool `json:"unchanged"`
}

// ImportCodeowners stores a parsed CODEOWNERS file as the ownership rules
// of repo, replacing what was imported for it before, in one transaction
// with its audit event. Owners are resolved against the org as it stands:
// an owner naming nobody is kept as written and listed in Unresolved (not
// an error). Re-importing the same file with the same resolution writes
// and records nothing. Only admins import; Invalid for a bad repository
// name.
func (a *App) ImportCodeowners(ctx context.Context, actor org.Actor, repo string, file importer.Codeowners) (CodeownersResult, error) {
	name, err := importer.CanonicalRepo(repo)
	if err != nil {
		return CodeownersResult{}, err
	}
	res := CodeownersResult{Repo: name, Rules: len(file.Rules), Unresolved: []string{}}
	rules := slices.Clone(file.Rules)
	err = a.write(ctx, actor, []org.Role{org.RoleAdmin}, func(tx *store.Tx) error {
		people, err := tx.AllPeople()
		if err != nil {
			return err
		}
		teams, err := tx.AllTeams()
		if err != nil {
			return err
		}
		res.Unresolved = append(res.Unresolved, importer.ResolveOwners(rules, people, teams)...)
		countOwners(rules, &res)
		old, err := tx.Codeowners(name)
		switch {
		case errors.Is(err, errs.NotFound):
		case err != nil:
			return err
		default:
			res.Replaced = len(old.Rules)
			if sameRules(old.Rules, rules) && slices.Equal(old.Unknown, res.Unresolved) {
				res.Unchanged = true
				return nil
			}
		}
		f := store.CodeownersFile{Repo: name, Rules: rules, Unknown: res.Unresolved, ImportedAt: a.Now(), ImportedBy: actor.Ref}
		if err := tx.ReplaceCodeowners(f); err != nil {
			return err
		}
		return a.record(tx, actor, "import.codeowners", "repo:"+name, res)
	})
	return res, err
}

func countOwners(rules []importer.OwnerRule, res *CodeownersResult) {
	seen := map[string]bool{}
	for _, r := range rules {
		if r.IsUnowned() {
			res.Ownerless++
		}
		for _, o := range r.Owners {
			seen[o] = true
		}
	}
	res.Owners = len(seen)
	res.Resolved = res.Owners - len(res.Unresolved)
}

func sameRules(x, y []importer.OwnerRule) bool {
	return slices.EqualFunc(x, y, func(a, b importer.OwnerRule) bool {
		return a.Line == b.Line && a.Text == b.Text && a.Pattern == b.Pattern && slices.Equal(a.Owners, b.Owners) && slices.Equal(a.Refs, b.Refs)
	})
}

// Ownership is the answer to "who owns this path": the rule of the
// repository's CODEOWNERS that decides it.
type Ownership struct {
	// Repo is the repository's canonical name, Path the path asked about.
	Repo string
	Path string
	// Rule is the deciding rule; Matched is false when no rule matches
	// (then nobody is named). A matched rule without owners makes the path
	// unowned.
	Rule    importer.OwnerRule
	Matched bool
}

// maxPathBytes bounds a path asked about.
const maxPathBytes = 1024

// OwnersOf answers who owns path in repo by the repository's imported
// CODEOWNERS (importer.Codeowners.Match: the last matching rule; "/" asks
// for the default rule). Any authenticated actor may ask. Invalid for a bad
// repository name or path; NotFound, naming the repository, when no
// CODEOWNERS was imported for it.
func (a *App) OwnersOf(ctx context.Context, actor org.Actor, repo, path string) (Ownership, error) {
	name, err := importer.CanonicalRepo(repo)
	if err != nil {
		return Ownership{}, err
	}
	if err := checkPath(path); err != nil {
		return Ownership{}, err
	}
	out := Ownership{Repo: name, Path: path}
	err = a.read(ctx, actor, func(tx *store.Tx) error {
		out.Rule, out.Matched, err = tx.OwnersOf(name, path)
		if errors.Is(err, errs.NotFound) {
			return errs.E(errs.NotFound, "no CODEOWNERS has been imported for %s (blameful import codeowners --repo %s FILE)", name, name)
		}
		return err
	})
	return out, err
}

func checkPath(path string) error {
	switch {
	case path == "":
		return errs.Field("path", "give the path to look up, for example src/main.go, or / for the repository's default owners")
	case len(path) > maxPathBytes:
		return errs.Field("path", "the path is %d bytes long; at most %d", len(path), maxPathBytes)
	case !utf8.ValidString(path) || strings.ContainsFunc(path, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return errs.Field("path", "the path holds a control character or is not UTF-8 text")
	}
	return nil
}

// CodeownersRepo is a repository whose CODEOWNERS was imported.
type CodeownersRepo struct {
	Repo string
	// Rules counts its rules, Unknown the owners they name that matched
	// nobody in the org.
	Rules      int
	Unknown    int
	ImportedAt time.Time
	ImportedBy org.Ref
}

// CodeownersRepos lists the repositories whose CODEOWNERS was imported,
// by name, with their rule counts. Any authenticated actor may read it.
func (a *App) CodeownersRepos(ctx context.Context, actor org.Actor) ([]CodeownersRepo, error) {
	var out []CodeownersRepo
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		repos, err := tx.CodeownersRepos()
		for _, r := range repos {
			out = append(out, CodeownersRepo(r))
		}
		return err
	})
	return out, err
}

// OwnershipDrift returns the ownership drift findings as they stand now
// (review.Drift), looking back days at changes (review.DefaultDriftDays
// when 0). Any authenticated actor may read them; Invalid for days outside
// 1 to 366.
func (a *App) OwnershipDrift(ctx context.Context, actor org.Actor, days int) ([]review.Finding, error) {
	if days == 0 {
		days = review.DefaultDriftDays
	}
	if days < 1 || days > 366 {
		return nil, errs.Field("days", "%d is not a number of days from 1 to 366", days)
	}
	var out []review.Finding
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		f, err := a.driftFacts(tx, a.Now(), days)
		out = review.Drift(f)
		return err
	})
	return out, err
}

// driftFacts reads the facts of ownership drift, the alert labels among
// them as the alert hooks map labels to entities.
func (a *App) driftFacts(tx *store.Tx, at time.Time, days int) (review.DriftFacts, error) {
	edges, known, err := a.driftSources(tx)
	if err != nil {
		return review.DriftFacts{}, err
	}
	f, err := tx.DriftFacts(at, days, edges)
	if err != nil {
		return f, err
	}
	f.AlertLabels, f.EntityNames, err = tx.AlertLabelFacts(at, days, a.entityLabels(), known)
	return f, err
}

// reviewDrift returns the first limit findings of ownership drift at at,
// in review.Drift's order, and how many there are in all, reading in full
// only the facts of the findings it returns. It counts an entity whose
// changes of the window are judged all outside its owner (store.DriftSuspect)
// without reading them, and an alert label value naming nothing without
// listing its incidents. At a million incidents the findings were about
// 900 entities and thousands of label values, of which a review lists 200.
func (a *App) reviewDrift(tx *store.Tx, at time.Time, days, limit int) ([]review.Finding, int, error) {
	edges, known, err := a.driftSources(tx)
	if err != nil {
		return nil, 0, err
	}
	suspects, err := tx.DriftSuspects(at.AddDate(0, 0, -days), at)
	if err != nil {
		return nil, 0, err
	}
	// Entities with changes not judged since an edge they depend on was
	// written are judged here, from their changes and edges.
	var deploys, stale []org.Ref
	for _, s := range suspects {
		if s.Stale {
			stale = append(stale, s.Entity)
		} else {
			deploys = append(deploys, s.Entity)
		}
	}
	f, err := tx.DriftCodeowners(at, edges)
	if err != nil {
		return nil, 0, err
	}
	f.Days = days
	if len(stale) > 0 {
		if f.Changes, f.Edges, err = tx.DriftChanges(at, days, edges, stale); err != nil {
			return nil, 0, err
		}
		for _, d := range review.Drift(review.DriftFacts{At: at, Days: days, Changes: f.Changes, Edges: f.Edges}) {
			deploys = append(deploys, d.Entity)
		}
	}
	values, names, err := tx.AlertLabelValues(at, days, a.entityLabels(), known)
	if err != nil {
		return nil, 0, err
	}
	unknown := review.UnknownLabels(values, names)
	codeowners := len(review.Drift(review.DriftFacts{At: at, Days: days, Codeowners: f.Codeowners, Entities: f.Entities}))
	shownDeploys, shownLabels := review.ShownDrift(codeowners, deploys, unknown, limit)
	if f.Changes, f.Edges, err = tx.DriftChanges(at, days, edges, shownDeploys); err != nil {
		return nil, 0, err
	}
	if f.AlertLabels, err = tx.AlertLabelIncidents(at, days, shownLabels); err != nil {
		return nil, 0, err
	}
	f.EntityNames = names
	found := review.Drift(f)
	return found[:min(len(found), limit)], codeowners + len(deploys) + len(unknown), nil
}

// driftSources are where drift reads the org's edges and whether an entity
// exists: the server's copy of the org when it is current (orgsnap.go),
// else the tables (known nil).
func (a *App) driftSources(tx *store.Tx) (store.EdgeReader, func(org.Ref) bool, error) {
	v, err := a.orgView(tx)
	if err != nil {
		return nil, nil, err
	}
	if v.snap != nil {
		return snapEdges{v.snap}, v.snap.hasEntity, nil
	}
	return tx, nil, nil
}

// entityLabels are the alert labels that name entities (the alert hooks'
// mapping), team aside.
func (a *App) entityLabels() []string {
	var labels []string
	for _, l := range a.mapping.EntityLabels {
		if l != "team" {
			labels = append(labels, l)
		}
	}
	return labels
}
