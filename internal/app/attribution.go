package app

import (
	"context"
	"errors"
	"slices"
	"strings"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/store"
)

// AttributionView is an incident's suggested and decided party.
type AttributionView struct {
	Incident   incident.ID
	Suggestion blame.Suggestion
	// Decision is the one in force, nil until a reviewer decides.
	Decision *blame.Decision
	// History is every decision, oldest first (J8: never deleted).
	History []blame.Decision
}

// Attribution returns the engine's current suggestion for an incident, from
// the org as it stood when the incident started, and the decision in force.
func (a *App) Attribution(ctx context.Context, actor org.Actor, id incident.ID) (AttributionView, error) {
	v := AttributionView{Incident: id}
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		inc, err := tx.Incident(id)
		if err != nil {
			return err
		}
		if v.Suggestion, err = a.suggest(tx, &inc); err != nil {
			return err
		}
		v.History, v.Decision, err = tx.DecisionRecord(id)
		return err
	})
	return v, err
}

// DecideAttribution records the one accountable party for an incident. A
// party other than the suggestion's needs a justification (A8), and the
// party must be one person or one team of the org (A1). Deciding again
// supersedes the earlier decision, which is kept. Who decides: a leader
// above the suggested party or above the party decided so far, HR, or an
// admin (mayDecideAttribution); and only before the postmortem is
// published.
func (a *App) DecideAttribution(ctx context.Context, actor org.Actor, id incident.ID, party org.Ref, justification string) (blame.Decision, error) {
	now := a.Now()
	var d blame.Decision
	err := a.write(ctx, actor, []org.Role{org.RoleLeader, org.RoleHR, org.RoleAdmin}, func(tx *store.Tx) error {
		inc, err := tx.Incident(id)
		if err != nil {
			return err
		}
		s, err := a.suggest(tx, &inc)
		if err != nil {
			return err
		}
		prev, err := tx.Decision(id)
		switch {
		case err == nil:
			d.Supersedes = prev.ID
		case !errors.Is(err, errs.NotFound):
			return err
		}
		if err := a.mayDecideAttribution(tx, actor, id, s.Party, prev.Party); err != nil {
			return err
		}
		pm, err := tx.Postmortem(id)
		if err != nil {
			return err
		}
		if !pm.IsEditable() {
			return errs.E(errs.Conflict, "the postmortem of %s is %s; its attribution can no longer change", id, pm.State)
		}
		if err := partyExists(tx, party); err != nil {
			return err
		}
		rule, err := blame.Decide(s, party, justification)
		if err != nil {
			return err
		}
		d = blame.Decision{ID: a.newID(), Incident: id, Party: party, Rule: rule, Justification: strings.TrimSpace(justification),
			Suggested: s, DecidedBy: actor.Ref, DecidedAt: now, Supersedes: d.Supersedes}
		if err := tx.CreateDecision(&d); err != nil {
			return err
		}
		if err := a.openAssessment(tx, actor, d); err != nil {
			return err
		}
		if err := a.raiseA8(tx, d); err != nil {
			return err
		}
		return a.record(tx, actor, "attribution.decide", string(id), decisionRecord{
			ID: d.ID, Party: string(d.Party), Rule: string(d.Rule), Justification: d.Justification,
			SuggestedParty: string(s.Party), SuggestedRule: string(s.Rule), Supersedes: d.Supersedes,
		})
	})
	return d, err
}

type decisionRecord struct {
	ID             string `json:"id"`
	Party          string `json:"party"`
	Rule           string `json:"rule"`
	Justification  string `json:"justification,omitempty"`
	SuggestedParty string `json:"suggested_party"`
	SuggestedRule  string `json:"suggested_rule"`
	Supersedes     string `json:"supersedes,omitempty"`
}

// mayDecideAttribution lets HR, admins and the leaders above the suggested
// party, or above the party decided so far (decided, zero when none), decide
// an incident's attribution: a leader answers for their own organisation's
// incidents, not for anyone's anywhere. It looks only at what every member
// may see, so a refusal tells nothing private.
func (a *App) mayDecideAttribution(tx *store.Tx, actor org.Actor, id incident.ID, suggested, decided org.Ref) error {
	if actor.HasAny(org.RoleHR, org.RoleAdmin) {
		return nil
	}
	parties := []org.Ref{}
	for _, p := range []org.Ref{suggested, decided} {
		if !p.IsZero() && !slices.Contains(parties, p) {
			parties = append(parties, p)
		}
	}
	chart, err := a.chartFor(tx, parties, a.Now())
	if err != nil {
		return err
	}
	for _, p := range parties {
		if slices.Contains(accountability.Chain(p, chart), actor.Ref) {
			return nil
		}
	}
	names := make([]string, len(parties))
	for i, p := range parties {
		names[i] = string(p)
	}
	if len(names) == 0 {
		return errs.E(errs.Forbidden, "nobody in the org answers for %s, so HR or an admin decides its attribution", id)
	}
	return errs.E(errs.Forbidden, "the attribution of %s is decided by a leader above %s, HR or an admin", id, strings.Join(names, " or "))
}

// partyExists checks that a party is a person or team of the org.
func partyExists(tx *store.Tx, party org.Ref) error {
	var err error
	switch {
	case party.IsPerson():
		_, err = tx.Person(party)
	case party.IsTeam():
		_, err = tx.Team(party)
	default:
		_, err := postmortem.SingleParty(postmortem.Claim{Named: []string{string(party)}})
		return err
	}
	if errors.Is(err, errs.NotFound) {
		return errs.Field("party", "%s is not in the org", party)
	}
	return err
}

// clarifyOwnership gives the leader an A4 suggestion names a follow-up to
// clarify the ownership it found ambiguous, once per incident and leader.
func (a *App) clarifyOwnership(tx *store.Tx, actor org.Actor, inc *incident.Incident) error {
	s, err := a.suggest(tx, inc)
	if err != nil {
		return err
	}
	if s.Rule != blame.A4 || s.Party.IsZero() {
		return nil
	}
	existing, err := tx.FollowUps(followup.Filter{Incident: inc.ID, Rule: string(blame.A4), Owner: s.Party})
	if err != nil || len(existing) > 0 {
		return err
	}
	// One open clarification per entity: a second incident on an entity
	// whose ownership is being clarified adds no second follow-up.
	open, err := tx.OpenClarifications(string(blame.A4), s.Clarify)
	if err != nil {
		return err
	}
	var todo []org.Ref
	for _, e := range s.Clarify {
		if _, ok := open[e]; !ok {
			todo = append(todo, e)
		}
	}
	if len(s.Clarify) > 0 && len(todo) == 0 {
		return nil
	}
	title := "Clarify ownership of " + refsText(todo)
	if len(todo) == 0 {
		title = "Identify what failed in " + string(inc.ID) + " and who owns it"
	}
	f, err := a.createFollowUp(tx, actor, inc, followup.FollowUp{Title: title, Owner: s.Party, Priority: followup.P2, Rule: string(blame.A4)})
	if err != nil || len(todo) == 0 {
		return err
	}
	return tx.SetFollowUpEntities(f.ID, todo)
}

func refsText(refs []org.Ref) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.Short()
	}
	return strings.Join(s, ", ")
}
