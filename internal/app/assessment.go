package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// AssessmentView is an assessment with everything needed to decide it.
type AssessmentView struct {
	accountability.Assessment
	// Decider is who decides (J2); zero when HR does. DeciderWhy explains.
	Decider    org.Ref
	DeciderWhy string
	Judgement  accountability.Judgement
	Factors    accountability.Factors
	Guidance   accountability.Guidance
	// Decision is the record in force; History every record, oldest first.
	Decision *accountability.Decision
	History  []accountability.Decision
	Appeal   *accountability.Appeal
}

// Assessment returns an incident's assessment. It is private: only the
// subject (a team's members), the leaders above it, the decider, HR and
// admins see it; anyone else gets Forbidden.
func (a *App) Assessment(ctx context.Context, actor org.Actor, id incident.ID) (AssessmentView, error) {
	var v AssessmentView
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		if v, err = a.assessmentView(tx, id); err != nil {
			return err
		}
		return a.checkPrivate(tx, actor, v)
	})
	return v, err
}

// checkPrivate refuses an actor outside the assessment's audience.
func (a *App) checkPrivate(tx *store.Tx, actor org.Actor, v AssessmentView) error {
	if actor.Ref == v.Decider || (v.Appeal != nil && actor.Ref == v.Appeal.Reviewer) {
		return nil
	}
	ok, err := a.mayViewPrivate(tx, actor, v.Subject, a.Now())
	if err != nil || ok {
		return err
	}
	return errs.E(errs.Forbidden, "the assessment of %s is private to %s, the leaders above, HR and admins", v.Incident, v.Subject)
}

func (a *App) assessmentView(tx *store.Tx, id incident.ID) (AssessmentView, error) {
	var v AssessmentView
	as, err := tx.CurrentAssessment(id)
	if err != nil {
		return v, err
	}
	v.Assessment = as
	inc, err := tx.Incident(id)
	if err != nil {
		return v, err
	}
	dec, err := tx.Decision(id)
	if err != nil {
		return v, err
	}
	if v.Judgement, err = tx.Judgement(as.ID); err != nil {
		return v, err
	}
	if v.Factors, err = a.factors(tx, &inc, as, dec, v.Judgement); err != nil {
		return v, err
	}
	v.Guidance = a.cfg.Accountability.Guide(v.Factors)
	chart, err := a.chartFor(tx, []org.Ref{as.Subject}, a.Now())
	if err != nil {
		return v, err
	}
	v.Decider, v.DeciderWhy = accountability.Decider(as.Subject, chart)
	if v.History, err = tx.AssessmentDecisions(as.ID); err != nil {
		return v, err
	}
	if n := len(v.History); n > 0 {
		v.Decision = &v.History[n-1]
	}
	ap, err := tx.Appeal(as.ID)
	switch {
	case err == nil:
		v.Appeal = &ap
	case !errors.Is(err, errs.NotFound):
		return v, err
	}
	return v, nil
}

// factors gathers the computed factors around the reviewer's judgement.
func (a *App) factors(tx *store.Tx, in *incident.Incident, as accountability.Assessment, dec blame.Decision, j accountability.Judgement) (accountability.Factors, error) {
	f := accountability.Factors{ExpectedToPrevent: j.ExpectedToPrevent, PolicyViolation: j.PolicyViolation, Severity: in.Severity,
		RecentlyInherited: dec.Suggested.RecentlyInherited && dec.Party == dec.Suggested.Party}
	window := time.Duration(a.cfg.Accountability.PriorWindowDays) * 24 * time.Hour
	judged, violations, err := tx.PriorRecord(as.Subject, in.StartedAt.Add(-window), in.StartedAt)
	if err != nil {
		return f, err
	}
	f.PriorFaults = accountability.PriorFaults(judged, violations)
	confirmed, err := tx.Flags(store.FlagFilter{Incident: in.ID, State: integrity.Confirmed})
	if err != nil {
		return f, err
	}
	if len(confirmed) == 0 {
		return f, nil
	}
	au, err := a.audienceOf(tx, as.Subject, a.Now())
	if err != nil {
		return f, err
	}
	for _, fl := range confirmed {
		// The violation is the subject's own, or (for a team) one of its people's.
		if fl.Subject == as.Subject || slices.Contains(au.members, fl.Subject) {
			f.IntegrityViolation = true
		}
	}
	return f, nil
}

// openAssessment starts the assessment of a new attribution decision, with
// the policy violation A6 found already judged major.
func (a *App) openAssessment(tx *store.Tx, actor org.Actor, d blame.Decision) error {
	as := accountability.Assessment{ID: a.newID(), Incident: d.Incident, Attribution: d.ID, Subject: d.Party, CreatedAt: d.DecidedAt}
	j := accountability.Judgement{Version: 1, PolicyViolation: accountability.NoViolation, SetBy: actor.Ref, SetAt: d.DecidedAt}
	if d.Suggested.PolicyViolation && d.Party == d.Suggested.Party {
		j.PolicyViolation = accountability.MajorViolation
	}
	return tx.CreateAssessment(&as, j)
}

// FactorsInput is the reviewer's judgement; nil fields stay.
type FactorsInput struct {
	ExpectedToPrevent *accountability.Expectation
	PolicyViolation   *accountability.Violation
}

// SetFactors records the reviewer's judgement as a new version. Only the
// decider (J2) judges — HR when nobody above the subject leads.
func (a *App) SetFactors(ctx context.Context, actor org.Actor, id incident.ID, in FactorsInput) (AssessmentView, error) {
	var v AssessmentView
	err := a.write(ctx, actor, nil, func(tx *store.Tx) error {
		cur, err := a.assessmentView(tx, id)
		if err != nil {
			return err
		}
		if err := a.mayDecide(tx, actor, cur); err != nil {
			return err
		}
		j := cur.Judgement
		if in.ExpectedToPrevent != nil {
			j.ExpectedToPrevent = *in.ExpectedToPrevent
		}
		if in.PolicyViolation != nil {
			j.PolicyViolation = *in.PolicyViolation
		}
		if j.ExpectedToPrevent == cur.Judgement.ExpectedToPrevent && j.PolicyViolation == cur.Judgement.PolicyViolation {
			v = cur // the same judgement again: nothing to record
			return nil
		}
		j.Version++
		j.SetBy, j.SetAt = actor.Ref, a.Now()
		if err := tx.AddJudgement(cur.ID, j); err != nil {
			return err
		}
		if err := a.record(tx, actor, "assessment.judge", string(id), judgementRecord{Assessment: cur.ID, Version: j.Version,
			ExpectedToPrevent: string(j.ExpectedToPrevent), PolicyViolation: string(j.PolicyViolation)}); err != nil {
			return err
		}
		v, err = a.assessmentView(tx, id)
		return err
	})
	return v, err
}

// mayDecide enforces J2: the decider decides, never the subject; HR
// decides when nobody above the subject leads. Like every check of
// authority on an assessment, it comes before anything about the
// assessment's state, and looks only at what the actor may see: someone
// outside its audience is told that it is private, whatever state it is in.
func (a *App) mayDecide(tx *store.Tx, actor org.Actor, v AssessmentView) error {
	if err := a.checkPrivate(tx, actor, v); err != nil {
		return err
	}
	return accountability.MayDecide(actor, v.Subject, v.Decider, v.DeciderWhy)
}

// DecideAssessment records the level (J2, J3). Deciding again is a
// correction, a new record that needs a justification (J8); once an appeal
// is filed, only its outcome can change the level (J4).
func (a *App) DecideAssessment(ctx context.Context, actor org.Actor, id incident.ID, level accountability.Level, justification string) (AssessmentView, error) {
	var v AssessmentView
	err := a.write(ctx, actor, nil, func(tx *store.Tx) error {
		cur, err := a.assessmentView(tx, id)
		if err != nil {
			return err
		}
		if err := a.mayDecide(tx, actor, cur); err != nil {
			return err
		}
		kind, supersedes, err := accountability.CheckCorrection(cur.Decision, cur.Appeal, justification)
		if err != nil {
			return err
		}
		if err := accountability.CheckDecision(level, cur.Guidance, justification); err != nil {
			return err
		}
		d := accountability.Decision{ID: a.newID(), Assessment: cur.ID, Kind: kind, Level: level, Guidance: cur.Guidance, Factors: cur.Factors,
			Justification: strings.TrimSpace(justification), DecidedBy: actor.Ref, DecidedAt: a.Now(), Supersedes: supersedes}
		if err := a.storeDecision(tx, actor, cur, d); err != nil {
			return err
		}
		v, err = a.assessmentView(tx, id)
		return err
	})
	return v, err
}

// storeDecision saves a decision record, records it, and notifies HR when
// the guidance rests on an integrity violation.
func (a *App) storeDecision(tx *store.Tx, actor org.Actor, cur AssessmentView, d accountability.Decision) error {
	if err := tx.CreateAssessmentDecision(&d); err != nil {
		return err
	}
	if d.Guidance.NotifyHR {
		if err := a.notify(tx, "assessment.integrity", "role:hr", map[string]any{
			"incident": cur.Incident, "subject": cur.Subject, "level": int(d.Level), "decided_by": d.DecidedBy}); err != nil {
			return err
		}
	}
	return a.record(tx, actor, "assessment."+string(d.Kind), string(cur.Incident), decisionRecordOf(d))
}

// Appeal files the subject's one appeal (J4); for a team, its leader files
// it. It goes to the decider's leader.
func (a *App) Appeal(ctx context.Context, actor org.Actor, id incident.ID, reason string) (AssessmentView, error) {
	var v AssessmentView
	err := a.write(ctx, actor, nil, func(tx *store.Tx) error {
		cur, err := a.assessmentView(tx, id)
		if err != nil {
			return err
		}
		if err := a.checkPrivate(tx, actor, cur); err != nil {
			return err
		}
		if err := a.mayAppeal(tx, actor, cur); err != nil {
			return err
		}
		if err := accountability.CheckAppeal(cur.Decision, cur.Appeal, reason); err != nil {
			return err
		}
		chart, err := a.chartFor(tx, []org.Ref{cur.Decision.DecidedBy}, a.Now())
		if err != nil {
			return err
		}
		reviewer := accountability.Hearer(cur.Decision.DecidedBy, nil, chart)
		ap := accountability.Appeal{Assessment: cur.ID, Decision: cur.Decision.ID, Reason: strings.TrimSpace(reason),
			FiledBy: actor.Ref, FiledAt: a.Now(), Reviewer: reviewer}
		if err := tx.CreateAppeal(&ap); err != nil {
			return err
		}
		if err := a.record(tx, actor, "assessment.appeal", string(id), appealRecord{Assessment: cur.ID, Decision: ap.Decision, Reviewer: string(reviewer)}); err != nil {
			return err
		}
		v, err = a.assessmentView(tx, id)
		return err
	})
	return v, err
}

// mayAppeal lets the subject appeal — a person themselves, a team through
// its leader.
func (a *App) mayAppeal(tx *store.Tx, actor org.Actor, v AssessmentView) error {
	var leader org.Ref
	if v.Subject.IsTeam() && actor.Ref != v.Subject {
		au, err := a.audienceOf(tx, v.Subject, a.Now())
		if err != nil {
			return err
		}
		if t, ok := au.chart.Team(v.Subject); ok {
			leader = t.Leader()
		}
	}
	return accountability.MayAppeal(actor, v.Subject, leader)
}

// AppealOutcome records the final word on an appeal, given by the decider's
// leader (HR when there is none), with a justification (J4).
func (a *App) AppealOutcome(ctx context.Context, actor org.Actor, id incident.ID, level accountability.Level, justification string) (AssessmentView, error) {
	var v AssessmentView
	err := a.write(ctx, actor, nil, func(tx *store.Tx) error {
		cur, err := a.assessmentView(tx, id)
		if err != nil {
			return err
		}
		if err := a.mayHear(tx, actor, cur); err != nil {
			return err
		}
		if err := accountability.CheckOutcome(cur.Appeal, justification); err != nil {
			return err
		}
		d := accountability.Decision{ID: a.newID(), Assessment: cur.ID, Kind: accountability.KindAppealOutcome, Level: level,
			Guidance: cur.Guidance, Factors: cur.Factors, Justification: strings.TrimSpace(justification), DecidedBy: actor.Ref,
			DecidedAt: a.Now(), Supersedes: cur.Decision.ID}
		if err := a.storeDecision(tx, actor, cur, d); err != nil {
			return err
		}
		if err := tx.SetAppealOutcome(cur.ID, d.ID); err != nil {
			return err
		}
		v, err = a.assessmentView(tx, id)
		return err
	})
	return v, err
}

// mayHear lets the decider's leader give an appeal's outcome (J4): HR when
// nobody leads above the decider. Who that is follows from the org and the
// subject alone, so an actor who may not hear the appeal learns nothing
// from the refusal about whether one was filed. An appeal filed before the
// org changed stays with the reviewer it was filed to.
func (a *App) mayHear(tx *store.Tx, actor org.Actor, v AssessmentView) error {
	if err := a.checkPrivate(tx, actor, v); err != nil {
		return err
	}
	var chart *org.Chart
	if !v.Decider.IsZero() {
		var err error
		if chart, err = a.chartFor(tx, []org.Ref{v.Decider}, a.Now()); err != nil {
			return err
		}
	}
	return accountability.MayHear(actor, accountability.Hearer(v.Decider, v.Appeal, chart))
}

// raiseA8 raises a fairness flag when an attribution overrides an A4
// suggestion (a leader's ambiguous ownership) onto someone who reports to
// that leader; the flag goes to the leader one level up.
func (a *App) raiseA8(tx *store.Tx, d blame.Decision) error {
	leader := d.Suggested.Party
	if d.Suggested.Rule != blame.A4 || leader.IsZero() || d.Party == leader {
		return nil
	}
	chart, err := a.chartFor(tx, []org.Ref{leader, d.Party}, d.DecidedAt)
	if err != nil {
		return err
	}
	f, ok := accountability.OverrideFlag(d.Incident, string(d.Suggested.Rule), leader, d.Party, d.DecidedBy, chart)
	if !ok {
		return nil
	}
	f.ID, f.CreatedAt = a.newID(), d.DecidedAt
	return tx.CreateFairnessFlag(f)
}

type judgementRecord struct {
	Assessment        string `json:"assessment"`
	Version           int    `json:"version"`
	ExpectedToPrevent string `json:"expected_to_prevent"`
	PolicyViolation   string `json:"policy_violation"`
}

type assessmentDecisionRecord struct {
	ID            string `json:"id"`
	Assessment    string `json:"assessment"`
	Kind          string `json:"kind"`
	Level         int    `json:"level"`
	Guidance      int    `json:"guidance"`
	Justification string `json:"justification,omitempty"`
	Supersedes    string `json:"supersedes,omitempty"`
}

func decisionRecordOf(d accountability.Decision) assessmentDecisionRecord {
	return assessmentDecisionRecord{ID: d.ID, Assessment: d.Assessment, Kind: string(d.Kind), Level: int(d.Level),
		Guidance: int(d.Guidance.Level), Justification: d.Justification, Supersedes: d.Supersedes}
}

type appealRecord struct {
	Assessment string `json:"assessment"`
	Decision   string `json:"decision"`
	Reviewer   string `json:"reviewer"`
}
