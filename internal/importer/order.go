package importer

import (
	"cmp"
	"slices"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/org"
)

// finish puts a batch in its canonical order, so the same files always give
// the same batch: people, teams and entities sorted by ref; claims without
// duplicates, sorted by relation, subject and object; one scope per
// relation, sorted by relation, with sorted subjects and objects.
//
// Two claims of the same fact keep the earliest Since that either names: a
// Group listing a member and that User listing the group say one thing.
func finish(b Batch) Batch {
	slices.SortFunc(b.People, func(x, y org.Person) int { return cmp.Compare(x.Ref, y.Ref) })
	slices.SortFunc(b.Teams, func(x, y org.Team) int { return cmp.Compare(x.Ref, y.Ref) })
	slices.SortFunc(b.Entities, func(x, y catalog.Entity) int { return cmp.Compare(x.Ref, y.Ref) })
	b.Claims = mergeClaims(b.Claims)
	b.Scopes = mergeScopes(b.Scopes)
	return b
}

func mergeClaims(claims []org.Claim) []org.Claim {
	slices.SortStableFunc(claims, compareClaims)
	var out []org.Claim
	for _, c := range claims {
		n := len(out)
		if n == 0 || compareClaims(out[n-1], c) != 0 {
			out = append(out, c)
			continue
		}
		if last := &out[n-1]; last.Since.IsZero() || !c.Since.IsZero() && c.Since.Before(last.Since) {
			last.Since = c.Since
		}
	}
	return out
}

func compareClaims(x, y org.Claim) int {
	return cmp.Or(
		cmp.Compare(x.Relation, y.Relation),
		cmp.Compare(x.Subject, y.Subject),
		cmp.Compare(x.Object, y.Object),
	)
}

func mergeScopes(scopes []Scope) []Scope {
	byRel := make(map[org.Relation]*Scope)
	for _, s := range scopes {
		m, ok := byRel[s.Relation]
		if !ok {
			m = &Scope{Relation: s.Relation}
			byRel[s.Relation] = m
		}
		m.Subjects = append(m.Subjects, s.Subjects...)
		m.Objects = append(m.Objects, s.Objects...)
	}
	var out []Scope
	for _, m := range byRel {
		if len(m.Subjects)+len(m.Objects) == 0 {
			continue
		}
		m.Subjects = sortedRefs(m.Subjects)
		m.Objects = sortedRefs(m.Objects)
		out = append(out, *m)
	}
	slices.SortFunc(out, func(x, y Scope) int { return cmp.Compare(x.Relation, y.Relation) })
	return out
}

// sortedRefs sorts refs and drops duplicates; none stays nil.
func sortedRefs(refs []org.Ref) []org.Ref {
	if len(refs) == 0 {
		return nil
	}
	slices.Sort(refs)
	return slices.Compact(refs)
}

// appendNew appends s to list unless it is empty or already there.
func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// entityKinds lists the entity kinds as ref kinds.
func entityKinds() []string {
	out := make([]string, len(catalog.Kinds))
	for i, k := range catalog.Kinds {
		out[i] = string(k)
	}
	return out
}

// entityScopes says that an import states in full the owners, the system
// or domain, and the dependencies of entity e.
func entityScopes(e org.Ref) []Scope {
	return []Scope{
		{Relation: org.OwnedBy, Subjects: []org.Ref{e}},
		{Relation: org.PartOf, Subjects: []org.Ref{e}},
		{Relation: org.DependsOn, Subjects: []org.Ref{e}},
	}
}
