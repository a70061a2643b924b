package org

import "slices"

// Role is a grant of authority. Values are stored with tokens.
type Role string

// The roles of PRODUCT.md section 6. Leader is never granted: it is derived
// from leading a team at the time of the request.
const (
	RoleMember Role = "member"
	RoleLeader Role = "leader"
	RoleHR     Role = "hr"
	RoleAdmin  Role = "admin"
	// RoleIngest may deliver alerts to /hooks/ and do nothing else: it is
	// what a sender (Alertmanager, Grafana, Opsgenie) is given.
	RoleIngest Role = "ingest"
)

// IsGrantable reports whether r may be given to a token explicitly.
func (r Role) IsGrantable() bool {
	return r == RoleMember || r == RoleHR || r == RoleAdmin || r == RoleIngest
}

// IngestOnly reports whether the actor is a sender of alerts, which may
// do nothing but deliver them.
func (a Actor) IngestOnly() bool { return a.Has(RoleIngest) && !a.Has(RoleMember) }

// Actor is whoever performs a request: a person acting through a token, or a
// service principal (a token not tied to a person, or the local CLI). Every
// use case takes one explicitly, and every audit event names it.
type Actor struct {
	// Ref is the person acting, or a principal such as "token:default/ci".
	Ref   Ref
	Roles []Role
}

// Has reports whether the actor holds role r.
func (a Actor) Has(r Role) bool { return slices.Contains(a.Roles, r) }

// HasAny reports whether the actor holds at least one of roles.
func (a Actor) HasAny(roles ...Role) bool {
	for _, r := range roles {
		if a.Has(r) {
			return true
		}
	}
	return false
}

// IsPerson reports whether the actor is a person of the org rather than a
// service principal.
func (a Actor) IsPerson() bool { return a.Ref.IsPerson() }

// System is the actor for work the product does on its own (migrations, the
// demo loader, the local CLI operating on its own database).
func System(name string) Actor {
	return Actor{Ref: Ref("system:default/" + name), Roles: []Role{RoleMember, RoleAdmin}}
}
