package review

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
)

// Ownership drift is "nobody's job" found before an incident proves it
// (PRODUCT.md section 7): places where the catalog's idea of who owns
// something disagrees with what the code and the work say. Each Finding
// has a kind; Drift computes them all from facts the store reads.

// DriftKind says what a drift finding is about. The values are stable:
// the API returns them.
type DriftKind string

// The kinds of drift.
const (
	// CodeownersDisagrees: an entity's owner in the catalog is not among
	// the owners the CODEOWNERS of its repository names.
	CodeownersDisagrees DriftKind = "codeowners_disagrees"
	// DeploysFromOutside: every recent change of an entity was made by
	// someone outside the team that owned it at the time.
	DeploysFromOutside DriftKind = "deploys_from_outside"
	// UnknownAlertLabel: alerts carry a label naming no catalog entity.
	UnknownAlertLabel DriftKind = "unknown_alert_label"
)

// DefaultDriftDays is how far back DeploysFromOutside looks at changes.
const DefaultDriftDays = 90

// Finding is one case of ownership drift.
type Finding struct {
	Kind DriftKind
	// Entity is the entity concerned; zero when the finding names none
	// (an alert label that matches no entity).
	Entity org.Ref
	// Label is the label and value of an UnknownAlertLabel finding, as
	// "service=checkout"; empty for the other kinds.
	Label string
	// Detail says what is wrong, in one sentence.
	Detail string
	// Evidence lists the facts behind it, one short line each: the
	// CODEOWNERS line, the changes.
	Evidence []string
}

// DriftEntity is an entity as drift sees it: its code paths and the owners
// the catalog gives it at the moment of the check.
type DriftEntity struct {
	Ref       org.Ref
	CodePaths []string
	Owners    []org.Ref
}

// RepoRules are the CODEOWNERS rules imported for one repository.
type RepoRules struct {
	// Repo is the repository's canonical name (importer.CanonicalRepo).
	Repo  string
	Rules []importer.OwnerRule
}

// DriftFacts is what Drift reads.
type DriftFacts struct {
	// At is the moment of the check; Days how many days of changes
	// before it were read.
	At   time.Time
	Days int
	// Entities are the entities with a GitHub code path.
	Entities   []DriftEntity
	Codeowners []RepoRules
	// Changes are the changes of [At - Days, At).
	Changes []freeze.Change
	// Edges are the owned_by edges of the changed entities, the child_of
	// edges of the team tree, and the member_of and leads edges of the
	// changes' actors, with their history.
	Edges []org.Edge
	// AlertLabels are the values of the labels that name entities (the
	// alert hooks' mapping, team aside) on the incidents that started in
	// the window; EntityNames holds those of the values some catalog
	// entity is named.
	AlertLabels []AlertLabel
	EntityNames map[string]bool
}

// AlertLabel is one value of an entity-naming alert label and the
// incidents whose alerts carried it, newest first.
type AlertLabel struct {
	Label, Value string
	Incidents    []string
}

// Drift returns the findings of every kind, by kind and then entity.
// The repository-level owner of an entity whose code path names a whole
// repository is the repository's default rule (Codeowners.Match of "/":
// the last rule matching every path, "*"); a code path naming a directory
// or file in it uses that path's rule.
func Drift(f DriftFacts) []Finding {
	var out []Finding
	out = append(out, codeownersDrift(f)...)
	out = append(out, deployDrift(f)...)
	out = append(out, alertLabelDrift(f)...)
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Entity, b.Entity), cmp.Compare(a.Label, b.Label), cmp.Compare(a.Detail, b.Detail))
	})
	return out
}

// ShownDrift says which findings a list of the first limit findings of
// Drift holds, from what is known of them before they are judged in full:
// how many CODEOWNERS findings there are, the entities found deploying
// from outside, and the alert label values naming no entity (each seen on
// some incident of the window). It returns the deploying entities and the
// label values whose findings the list shows, in Drift's order; the
// total is codeowners + len(deploys) + len(labels). A weekly review reads
// the changes, edges and incidents of those only.
func ShownDrift(codeowners int, deploys []org.Ref, labels []AlertLabel, limit int) ([]org.Ref, []AlertLabel) {
	deploys, labels = slices.Clone(deploys), slices.Clone(labels)
	slices.Sort(deploys)
	slices.SortFunc(labels, func(a, b AlertLabel) int { return cmp.Compare(a.Key(), b.Key()) })
	room := max(0, limit-codeowners)
	deploys = deploys[:min(len(deploys), room)]
	room -= len(deploys)
	return deploys, labels[:min(len(labels), room)]
}

// UnknownLabels returns the alert label values that name no catalog
// entity: those not in names (DriftFacts.EntityNames).
func UnknownLabels(values []AlertLabel, names map[string]bool) []AlertLabel {
	var out []AlertLabel
	for _, l := range values {
		if !names[l.Value] {
			out = append(out, l)
		}
	}
	return out
}

// Key is the label and value as a finding's Label holds them, and as
// label_signals keeps them: "service=checkout".
func (l AlertLabel) Key() string { return l.Label + "=" + l.Value }

// alertLabelDrift finds alert labels that name no catalog entity
// (UnknownAlertLabel): something pages people, and the catalog does not
// say whose it is. One finding per label value, naming the incidents.
func alertLabelDrift(f DriftFacts) []Finding {
	var out []Finding
	for _, l := range f.AlertLabels {
		if f.EntityNames[l.Value] || len(l.Incidents) == 0 {
			continue
		}
		n := len(l.Incidents)
		shown := l.Incidents[:min(n, 5)]
		plural := "s"
		if n == 1 {
			plural = ""
		}
		out = append(out, Finding{Kind: UnknownAlertLabel, Label: l.Key(),
			Detail: fmt.Sprintf("alerts labelled %s=%s name no catalog entity: %d incident%s in %d days, none with an owner to answer for it",
				l.Label, l.Value, n, plural, f.Days),
			Evidence: []string{"incidents: " + strings.Join(shown, ", ") + andMore(n, len(shown))}})
	}
	return out
}

func andMore(total, shown int) string {
	if total <= shown {
		return ""
	}
	return fmt.Sprintf(" and %d more", total-shown)
}

// codeownersDrift finds entities whose catalog owner is not among the
// owners CODEOWNERS gives their code (CodeownersDisagrees). An entity
// without a catalog owner disagrees with a CODEOWNERS that names one; a
// path CODEOWNERS says nothing about (no rule matches) is no evidence.
func codeownersDrift(f DriftFacts) []Finding {
	files := map[string]importer.Matcher{}
	for _, r := range f.Codeowners {
		files[r.Repo] = importer.Codeowners{Rules: r.Rules}.Matcher()
	}
	var out []Finding
	for _, e := range f.Entities {
		seen := map[string]bool{}
		for _, cp := range e.CodePaths {
			repo, path, ok := importer.RepoOfCodePath(cp)
			if !ok {
				continue
			}
			file, ok := files[repo]
			if !ok { // a bare "name" import answers for any owner's "owner/name"
				_, name, _ := strings.Cut(repo, "/")
				if file, ok = files[name]; !ok {
					continue
				}
				repo = name
			}
			lookup := path
			if lookup == "" {
				lookup = "/"
			}
			rule, ok := file.Match(lookup)
			key := fmt.Sprintf("%s:%d", repo, rule.Line)
			if !ok || seen[key] || slices.ContainsFunc(e.Owners, func(o org.Ref) bool { return slices.Contains(rule.Refs, o) }) {
				continue
			}
			seen[key] = true
			out = append(out, Finding{Kind: CodeownersDisagrees, Entity: e.Ref,
				Detail:   codeownersDetail(e, repo, path, rule),
				Evidence: []string{fmt.Sprintf("CODEOWNERS of %s, line %d: %s", repo, rule.Line, rule.Text)}})
		}
	}
	return out
}

func codeownersDetail(e DriftEntity, repo, path string, rule importer.OwnerRule) string {
	catalog := "no owner"
	if len(e.Owners) > 0 {
		catalog = refList(e.Owners)
	}
	where := repo
	if path != "" {
		where += " " + path
	}
	switch {
	case rule.IsUnowned():
		return fmt.Sprintf("The catalog says %s owns %s; the CODEOWNERS of %s leaves it unowned.", catalog, e.Ref.Short(), where)
	case len(rule.Refs) == 0:
		return fmt.Sprintf("The catalog says %s owns %s; the CODEOWNERS of %s names %s, nobody blameful knows.", catalog, e.Ref.Short(), where, strings.Join(rule.Owners, " "))
	}
	return fmt.Sprintf("The catalog says %s owns %s; the CODEOWNERS of %s says %s.", catalog, e.Ref.Short(), where, refList(rule.Refs))
}

func refList(refs []org.Ref) string {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.Short()
	}
	return strings.Join(names, " and ")
}

// deployDrift finds entities whose every change of the window came from
// outside its owner at the time (DeploysFromOutside): a person other than
// the owning person, or someone who was neither a member nor the leader
// of the owning team or a team under it. Changes made while the entity had
// no owner are not judged.
func deployDrift(f DriftFacts) []Finding {
	x := newOrgIndex(f.Edges)
	byEntity := map[org.Ref][]freeze.Change{}
	for _, c := range f.Changes {
		byEntity[c.Entity] = append(byEntity[c.Entity], c)
	}
	var out []Finding
	for ent, changes := range byEntity {
		slices.SortFunc(changes, func(a, b freeze.Change) int { return b.At.Compare(a.At) })
		judged, outside := 0, map[org.Ref]int{}
		var owners []org.Ref
		for _, c := range changes {
			v, own := x.judge(c)
			if v == ChangeUnjudged {
				continue
			}
			judged++
			if v == ChangeInside {
				break
			}
			outside[c.Actor]++
			for _, o := range own {
				if !slices.Contains(owners, o) {
					owners = append(owners, o)
				}
			}
		}
		n := 0
		for _, k := range outside {
			n += k
		}
		if judged == 0 || n != judged {
			continue
		}
		actors := make([]org.Ref, 0, len(outside))
		for a := range outside {
			actors = append(actors, a)
		}
		slices.Sort(actors)
		who := make([]string, len(actors))
		for i, a := range actors {
			who[i] = fmt.Sprintf("%s (%d)", a.Short(), outside[a])
		}
		fd := Finding{Kind: DeploysFromOutside, Entity: ent,
			Detail: fmt.Sprintf("All %d changes of %s in the last %d days came from outside its owner %s: %s.",
				n, ent.Short(), f.Days, refList(owners), strings.Join(who, ", "))}
		for i, c := range changes {
			if i == 5 {
				fd.Evidence = append(fd.Evidence, fmt.Sprintf("… and %d more changes", len(changes)-i))
				break
			}
			fd.Evidence = append(fd.Evidence, fmt.Sprintf("%s by %s on %s", c.Ref, c.Actor.Short(), c.At.Format("2006-01-02")))
		}
		out = append(out, fd)
	}
	return out
}

// DriftVerdict is how one change stands against the owner of its entity
// at its time. The values are stable: the store keeps them
// (change_drift's state).
type DriftVerdict string

// The verdicts of a change.
const (
	// ChangeInside: the actor was an owner, or a member or the leader of
	// an owning team or of a team under it.
	ChangeInside DriftVerdict = "inside"
	// ChangeOutside: the entity had owners and the actor was none of the
	// above for any of them.
	ChangeOutside DriftVerdict = "outside"
	// ChangeUnjudged: no actor (a GitHub deployer no person of the org
	// has as handle), or no owner at the time: the change says nothing
	// about who deploys.
	ChangeUnjudged DriftVerdict = "unjudged"
)

// JudgeChanges returns the verdict of each change, in order, from edges
// as DriftFacts.Edges holds them: the owned_by edges of the changes'
// entities, every child_of edge, and the member_of and leads edges of
// their actors, with their history. DeploysFromOutside is made of these
// verdicts; the store keeps them so that the weekly review reads only
// the entities that may have drifted.
func JudgeChanges(changes []freeze.Change, edges []org.Edge) []DriftVerdict {
	x := newOrgIndex(edges)
	out := make([]DriftVerdict, len(changes))
	for i, c := range changes {
		out[i], _ = x.judge(c)
	}
	return out
}

// orgIndex holds the edges drift walks, by the end it looks them up by.
type orgIndex struct {
	owned   map[org.Ref][]org.Edge // owned_by, by entity
	parents map[org.Ref][]org.Edge // child_of, by child team
	belongs map[org.Ref][]org.Edge // member_of and leads, by person
}

func newOrgIndex(edges []org.Edge) orgIndex {
	x := orgIndex{owned: map[org.Ref][]org.Edge{}, parents: map[org.Ref][]org.Edge{}, belongs: map[org.Ref][]org.Edge{}}
	for _, e := range edges {
		switch e.Relation {
		case org.OwnedBy:
			x.owned[e.Subject] = append(x.owned[e.Subject], e)
		case org.ChildOf:
			x.parents[e.Subject] = append(x.parents[e.Subject], e)
		case org.MemberOf, org.Leads:
			x.belongs[e.Subject] = append(x.belongs[e.Subject], e)
		}
	}
	return x
}

// judge returns the verdict of c and the owners of its entity at its
// time.
func (x orgIndex) judge(c freeze.Change) (DriftVerdict, []org.Ref) {
	own := x.ownersAt(c.Entity, c.At)
	if len(own) == 0 || c.Actor.IsZero() {
		return ChangeUnjudged, own
	}
	if slices.Contains(own, c.Actor) {
		return ChangeInside, own
	}
	// The teams the actor belonged to then, and every team above them
	// then: the actor is inside an owning team exactly when it is one of
	// them. Walking up is a path's length; walking down from an owner
	// near the root would visit most of the org.
	var teams []org.Ref
	for _, e := range x.belongs[c.Actor] {
		if e.ActiveAt(c.At) && !slices.Contains(teams, e.Object) {
			teams = append(teams, e.Object)
		}
	}
	for i := 0; i < len(teams); i++ {
		if slices.Contains(own, teams[i]) {
			return ChangeInside, own
		}
		for _, e := range x.parents[teams[i]] {
			if e.ActiveAt(c.At) && !slices.Contains(teams, e.Object) {
				teams = append(teams, e.Object)
			}
		}
	}
	return ChangeOutside, own
}

// ownersAt returns the owners of ent at t.
func (x orgIndex) ownersAt(ent org.Ref, t time.Time) []org.Ref {
	var out []org.Ref
	for _, e := range x.owned[ent] {
		if e.ActiveAt(t) && !slices.Contains(out, e.Object) {
			out = append(out, e.Object)
		}
	}
	return out
}
