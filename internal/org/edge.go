package org

import (
	"sort"
	"time"
)

// Relation is the kind of an effective-dated edge between two references.
// The values are stored.
type Relation string

// The relations. Org relations join people and teams; catalog relations join
// entities to their owners, systems and dependencies. They share one
// mechanism so that "as of a moment" means the same everywhere.
const (
	MemberOf  Relation = "member_of"  // user -> group
	Leads     Relation = "leads"      // user -> group
	ChildOf   Relation = "child_of"   // group -> parent group
	OwnedBy   Relation = "owned_by"   // entity -> user or group
	PartOf    Relation = "part_of"    // entity -> system, system -> domain
	DependsOn Relation = "depends_on" // entity -> entity
)

// Relations lists every relation, for validation.
var Relations = []Relation{MemberOf, Leads, ChildOf, OwnedBy, PartOf, DependsOn}

// IsValid reports whether r is a known relation.
func (r Relation) IsValid() bool {
	for _, x := range Relations {
		if x == r {
			return true
		}
	}
	return false
}

// Edge is one effective-dated fact "Subject <Relation> Object", claimed by a
// Source (an importer or the API), in effect from From (inclusive) until To
// (exclusive). A zero From means "since the beginning"; a zero To means "still
// in effect". Edges are never rewritten to change who: a change closes one
// edge and opens another, so history can be asked about any day.
type Edge struct {
	ID       string
	Relation Relation
	Subject  Ref
	Object   Ref
	Source   string
	From     time.Time
	To       time.Time
}

// ActiveAt reports whether e was in effect at t.
func (e Edge) ActiveAt(t time.Time) bool {
	if !e.From.IsZero() && t.Before(e.From) {
		return false
	}
	return e.To.IsZero() || t.Before(e.To)
}

// IsOpen reports whether e is still in effect.
func (e Edge) IsOpen() bool { return e.To.IsZero() }

// key identifies the fact an edge states, regardless of when.
func (e Edge) key() edgeKey { return edgeKey{e.Relation, e.Subject, e.Object, e.Source} }

type edgeKey struct {
	rel     Relation
	subject Ref
	object  Ref
	source  string
}

// Claim is one desired edge in an import: the fact, and optionally since when
// it holds (Since zero: from the moment of the import, or from the beginning
// when the subject had no such edge before).
type Claim struct {
	Relation Relation
	Subject  Ref
	Object   Ref
	Since    time.Time
}

// Plan is what Reconcile decides: which open edges to close (with their new
// To set), which to open, and which to correct (an open edge whose From an
// explicit since-date moved).
type Plan struct {
	Close   []Edge
	Open    []Edge
	Correct []Edge
}

// IsEmpty reports whether the plan changes nothing.
func (p Plan) IsEmpty() bool { return len(p.Close)+len(p.Open)+len(p.Correct) == 0 }

// Reconcile compares the edges a source currently holds open for a set of
// subjects (existing, already limited to what the import is about) with the
// claims of the import, and returns the changes that make the claims true at
// now without losing history:
//
//   - a claim already held open stays as it is (re-importing is idempotent),
//     unless it names an explicit Since that differs, which corrects From;
//   - an open edge no longer claimed is closed at now (or at the Since of the
//     claim that replaces it, when that is earlier);
//   - a new claim opens an edge at its Since, else at now — but when the
//     subject had no edge of that relation from this source before (a first
//     import), it holds from the beginning.
//
// everSeen reports whether the source ever held an edge of a relation for a
// subject, closed or open; it decides what "first import" means.
func Reconcile(source string, existing []Edge, claims []Claim, everSeen func(Relation, Ref) bool, now time.Time) Plan {
	var plan Plan
	open := make(map[edgeKey]Edge)
	for _, e := range existing {
		if e.IsOpen() && e.Source == source {
			open[e.key()] = e
		}
	}
	claimed := make(map[edgeKey]bool)
	// earliest explicit since per (relation, subject): when a replacement has
	// a since-date, the edge it replaces ends there, not at now.
	replacedAt := make(map[edgeKey]time.Time)
	for _, c := range claims {
		k := edgeKey{c.Relation, c.Subject, c.Object, source}
		if claimed[k] {
			continue
		}
		claimed[k] = true
		if e, ok := open[k]; ok {
			if !c.Since.IsZero() && !c.Since.Equal(e.From) {
				e.From = c.Since
				plan.Correct = append(plan.Correct, e)
			}
			continue
		}
		from := c.Since
		if from.IsZero() && everSeen(c.Relation, c.Subject) {
			from = now
		}
		plan.Open = append(plan.Open, Edge{Relation: c.Relation, Subject: c.Subject, Object: c.Object, Source: source, From: from})
		if !c.Since.IsZero() {
			sk := edgeKey{rel: c.Relation, subject: c.Subject}
			if t, ok := replacedAt[sk]; !ok || c.Since.Before(t) {
				replacedAt[sk] = c.Since
			}
		}
	}
	for k, e := range open {
		if claimed[k] {
			continue
		}
		end := now
		if t, ok := replacedAt[edgeKey{rel: k.rel, subject: k.subject}]; ok && t.Before(end) && t.After(e.From) {
			end = t
		}
		e.To = end
		plan.Close = append(plan.Close, e)
	}
	sortEdges(plan.Close)
	sortEdges(plan.Open)
	sortEdges(plan.Correct)
	return plan
}

func sortEdges(es []Edge) {
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.Relation != b.Relation {
			return a.Relation < b.Relation
		}
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		return a.Object < b.Object
	})
}
