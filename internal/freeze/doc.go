// Package freeze models deploys and code freezes, the facts behind rule A6.
//
// A Change is one deploy or configuration change of an entity: which ref
// (version or commit) went out, who made it (a person), when, and from
// where. It may carry a freeze exception, approved by a leader above the
// entity's owner as of the change's time; an approval by anyone else is
// refused (A6), because an exception is only worth what its approver's
// authority over that entity is worth.
//
// A Freeze is a window [Start, End) with a scope: everything, or a list of
// entities and teams. A team in the scope covers what it, or any team under
// it, owned at the moment of a change — not what it owns today. Whether a
// freeze covered a change is the blame engine's question (blame.ruleA6); this
// package only keeps the records valid.
//
// Both are written once and never edited: a wrong change is recorded anew,
// and the record of who shipped what stays as it was said.
package freeze
