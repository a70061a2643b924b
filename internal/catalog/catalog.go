// Package catalog models the things that can fail — components, systems,
// resources, third-party providers, domains and APIs — and who owned each of
// them over time.
//
// An Entity holds only what describes it. Ownership, the system it belongs
// to and what it depends on are effective-dated org.Edges (OwnedBy, PartOf,
// DependsOn), so the catalog can answer "who owned checkout on 3 March". An
// entity normally has one owner at a time; when two sources claim it (say,
// Backstage and an org file disagree) it has two, which the blame engine
// treats as ambiguous ownership (A4). A provider's owner is the team that
// chose the provider and owns the relationship with it (A3).
package catalog

import (
	"slices"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// Kind is the kind of an entity; it is also the kind part of its Ref.
type Kind string

// The entity kinds.
const (
	Component Kind = "component"
	System    Kind = "system"
	Resource  Kind = "resource"
	Provider  Kind = "provider"
	Domain    Kind = "domain"
	API       Kind = "api"
)

// Kinds lists every entity kind.
var Kinds = []Kind{Component, System, Resource, Provider, Domain, API}

// IsValid reports whether k is a known entity kind.
func (k Kind) IsValid() bool { return slices.Contains(Kinds, k) }

// Entity is something that can fail.
type Entity struct {
	Ref         org.Ref
	Kind        Kind
	Title       string
	Description string
	// Type is the catalog's finer type ("service", "website", "database", …).
	Type      string
	Lifecycle string
	// CodePaths are repositories or paths the entity's code lives in.
	CodePaths []string
}

// ParseRef parses an entity reference; text without a kind is a component.
// The kind must be one of Kinds.
func ParseRef(s string) (org.Ref, error) {
	r, err := org.ParseRef(s, string(Component))
	if err != nil {
		return "", err
	}
	if !Kind(r.Kind()).IsValid() {
		return "", errs.E(errs.Invalid, "%q is not an entity: the kind must be one of component, system, resource, provider, domain, api", s)
	}
	return r, nil
}

// Claim is one owner of an entity at a moment, and since when it had been
// the owner without interruption (zero: since the beginning of the record).
type Claim struct {
	Owner org.Ref
	Since time.Time
}

// EntityAt is an entity as it stood at one moment.
type EntityAt struct {
	Entity
	// Exists is false when the reference names nothing in the catalog.
	Exists    bool
	Owners    []Claim
	System    org.Ref
	DependsOn []org.Ref
}

// View builds the entity as it stood at t from its edges (any history).
// Ownership "since" is the start of the unbroken run of edges naming the
// same owner that covers t, so a re-import that closed and reopened the same
// owner does not make it look newly inherited.
func View(e Entity, exists bool, edges []org.Edge, t time.Time) EntityAt {
	v := EntityAt{Entity: e, Exists: exists}
	for _, ed := range edges {
		if ed.Subject != e.Ref || !ed.ActiveAt(t) {
			continue
		}
		switch ed.Relation {
		case org.OwnedBy:
			since := runStart(edges, ed)
			if i := slices.IndexFunc(v.Owners, func(c Claim) bool { return c.Owner == ed.Object }); i >= 0 {
				// Two sources claiming the same owner are one owner, since the
				// earlier of their starts.
				if !v.Owners[i].Since.IsZero() && (since.IsZero() || since.Before(v.Owners[i].Since)) {
					v.Owners[i].Since = since
				}
				continue
			}
			v.Owners = append(v.Owners, Claim{Owner: ed.Object, Since: since})
		case org.PartOf:
			v.System = ed.Object
		case org.DependsOn:
			if !slices.Contains(v.DependsOn, ed.Object) {
				v.DependsOn = append(v.DependsOn, ed.Object)
			}
		}
	}
	slices.SortFunc(v.Owners, func(a, b Claim) int {
		if a.Owner < b.Owner {
			return -1
		}
		if a.Owner > b.Owner {
			return 1
		}
		return 0
	})
	slices.Sort(v.DependsOn)
	return v
}

// runStart walks back from cur through edges of the same fact that end
// exactly where (or after) the next begins, and returns the earliest start.
func runStart(edges []org.Edge, cur org.Edge) time.Time {
	start := cur.From
	for changed := true; changed && !start.IsZero(); {
		changed = false
		for _, e := range edges {
			if e.Relation != cur.Relation || e.Subject != cur.Subject || e.Object != cur.Object || e.To.IsZero() {
				continue
			}
			if !e.To.Before(start) && (e.From.IsZero() || e.From.Before(start)) {
				start = e.From
				changed = true
			}
		}
	}
	return start
}
