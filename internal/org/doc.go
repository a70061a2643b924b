// Package org models the people and teams of an engineering organisation,
// and how they stood on any given day.
//
// Teams form a tree (ChildOf edges) and each should have exactly one leader
// (a Leads edge) and some members (MemberOf edges). All three are
// effective-dated Edges rather than fields: a re-organisation closes edges and
// opens new ones, so "who led payments on 3 March" has an answer. The same
// Edge type carries catalog ownership, so the blame engine asks every "as
// of started_at" question the same way.
//
// A Chart is the org frozen at one moment; the blame and accountability rules
// read Charts and never the live tables. Reconcile turns an importer's claims
// into the minimal set of edge changes that keeps history intact.
//
// Everything is named by a Ref in Backstage's form, kind:namespace/name.
package org
