package app

import (
	"context"
	"strings"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// PersonExport is everything blameful holds about one person, for an access
// request: every row of every table that references them.
type PersonExport struct {
	Person org.Ref
	Rows   map[string][]map[string]any
}

// ExportPerson gathers everything held about a person. HR, admins and the
// person themselves may export it.
func (a *App) ExportPerson(ctx context.Context, actor org.Actor, ref org.Ref) (PersonExport, error) {
	if actor.Ref != ref && !actor.HasAny(org.RoleHR, org.RoleAdmin) {
		return PersonExport{}, errs.E(errs.Forbidden, "only %s, HR or an admin may export their data", ref)
	}
	out := PersonExport{Person: ref}
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		if _, err := tx.Person(ref); err != nil {
			return err
		}
		var err error
		out.Rows, err = tx.ExportPerson(ref)
		return err
	})
	return out, err
}

// ErasePerson honours an erasure request: the person's name, email and
// handle are blanked and their tokens revoked. Their reference stays, so
// incidents, decisions and the audit chain — which names people only by
// reference — still hold together and still verify. HR and admins erase.
func (a *App) ErasePerson(ctx context.Context, actor org.Actor, ref org.Ref, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return errs.Field("reason", "an erasure needs a reason (the request it honours)")
	}
	return a.write(ctx, actor, []org.Role{org.RoleHR, org.RoleAdmin}, func(tx *store.Tx) error {
		if err := tx.ErasePerson(ref, a.Now()); err != nil {
			return err
		}
		return a.record(tx, actor, "person.erase", string(ref), map[string]string{"reason": strings.TrimSpace(reason)})
	})
}
