// Package importer turns ownership data from outside — blameful's own org
// file and Backstage catalog descriptors — into a Batch: the people, teams
// and entities it describes, and the effective-dated claims it makes about
// them (memberships, leadership, team parents, ownership, systems,
// dependencies).
//
// Parsing is pure: the caller reads the files and applies the Batch (the
// app reconciles claims against history with org.Reconcile, so re-importing
// the same files changes nothing, and a changed owner becomes a new period
// rather than an overwrite).
package importer

import (
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/org"
)

// Source names for the claims of each importer; a source only ever
// reconciles its own claims.
const (
	SourceOrg       = "org"
	SourceBackstage = "backstage"
)

// Batch is what one import states.
type Batch struct {
	Source   string
	People   []org.Person
	Teams    []org.Team
	Entities []catalog.Entity
	// Claims are the relations the import asserts.
	Claims []org.Claim
	// Scopes say which relations the import states in full, and for which
	// subjects or objects: an open edge of this source inside a scope that
	// no claim repeats is closed. Outside every scope nothing is closed, so
	// importing one file of a catalog never ends what another file said.
	Scopes []Scope
	// Warnings are problems that did not stop the import (a dangling
	// reference, an unsupported kind), one sentence each.
	Warnings []string
}

// Scope is one relation stated in full for some subjects, or for some
// objects (for example, a Group's members: the relation member_of for that
// group as object).
type Scope struct {
	Relation org.Relation
	Subjects []org.Ref
	Objects  []org.Ref
}

// Contains reports whether edge e falls inside the scope.
func (s Scope) Contains(e org.Edge) bool {
	if e.Relation != s.Relation {
		return false
	}
	for _, r := range s.Subjects {
		if r == e.Subject {
			return true
		}
	}
	for _, r := range s.Objects {
		if r == e.Object {
			return true
		}
	}
	return false
}
