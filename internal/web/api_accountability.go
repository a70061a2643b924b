package web

import (
	"context"
	"net/http"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

type factorsJSON struct {
	ExpectedToPrevent  *string `json:"expected_to_prevent"`
	PolicyViolation    string  `json:"policy_violation"`
	IntegrityViolation bool    `json:"integrity_violation"`
	PriorFaults        int     `json:"prior_faults"`
	Severity           string  `json:"severity"`
	RecentlyInherited  bool    `json:"recently_inherited"`
}

func toFactorsJSON(f accountability.Factors) factorsJSON {
	j := factorsJSON{PolicyViolation: string(f.PolicyViolation), IntegrityViolation: f.IntegrityViolation,
		PriorFaults: f.PriorFaults, Severity: string(f.Severity), RecentlyInherited: f.RecentlyInherited}
	if f.ExpectedToPrevent != accountability.Unjudged {
		e := string(f.ExpectedToPrevent)
		j.ExpectedToPrevent = &e
	}
	return j
}

type guidanceStepJSON struct {
	Factor string `json:"factor"`
	Change string `json:"change"`
	Level  int    `json:"level"`
	Why    string `json:"why"`
}

type guidanceJSON struct {
	Level      int                `json:"level"`
	Name       string             `json:"name"`
	Judged     bool               `json:"judged"`
	NotifyHR   bool               `json:"notify_hr"`
	Steps      []guidanceStepJSON `json:"steps"`
	Arithmetic string             `json:"arithmetic"`
}

func toGuidanceJSON(g accountability.Guidance) guidanceJSON {
	j := guidanceJSON{Level: int(g.Level), Name: g.Level.String(), Judged: g.Judged, NotifyHR: g.NotifyHR, Steps: []guidanceStepJSON{}, Arithmetic: g.Arithmetic()}
	for _, s := range g.Steps {
		j.Steps = append(j.Steps, guidanceStepJSON{Factor: s.Factor, Change: s.Change, Level: int(s.Level), Why: s.Why})
	}
	return j
}

type levelDecisionJSON struct {
	ID            string  `json:"id"`
	Kind          string  `json:"kind"`
	Level         int     `json:"level"`
	Name          string  `json:"name"`
	GuidanceLevel int     `json:"guidance_level"`
	Justification string  `json:"justification"`
	DecidedBy     string  `json:"decided_by"`
	DecidedAt     *string `json:"decided_at"`
	Supersedes    string  `json:"supersedes,omitempty"`
}

func toLevelDecisionJSON(d accountability.Decision) levelDecisionJSON {
	return levelDecisionJSON{ID: d.ID, Kind: string(d.Kind), Level: int(d.Level), Name: d.Level.String(), GuidanceLevel: int(d.Guidance.Level),
		Justification: d.Justification, DecidedBy: string(d.DecidedBy), DecidedAt: rfc3339(d.DecidedAt), Supersedes: d.Supersedes}
}

type appealJSON struct {
	Decision string  `json:"decision"`
	Reason   string  `json:"reason"`
	FiledBy  string  `json:"filed_by"`
	FiledAt  *string `json:"filed_at"`
	Reviewer *string `json:"reviewer"`
	Outcome  *string `json:"outcome"`
}

type assessmentJSON struct {
	Incident   string              `json:"incident"`
	Subject    string              `json:"subject"`
	Decider    *string             `json:"decider"`
	DeciderWhy string              `json:"decider_why"`
	Factors    factorsJSON         `json:"factors"`
	Guidance   guidanceJSON        `json:"guidance"`
	Decision   *levelDecisionJSON  `json:"decision"`
	History    []levelDecisionJSON `json:"history"`
	Appeal     *appealJSON         `json:"appeal"`
}

func toAssessmentJSON(v app.AssessmentView) assessmentJSON {
	j := assessmentJSON{Incident: string(v.Incident), Subject: string(v.Subject), Decider: optRef(v.Decider), DeciderWhy: v.DeciderWhy,
		Factors: toFactorsJSON(v.Factors), Guidance: toGuidanceJSON(v.Guidance), History: []levelDecisionJSON{}}
	for _, d := range v.History {
		j.History = append(j.History, toLevelDecisionJSON(d))
	}
	if v.Decision != nil {
		d := toLevelDecisionJSON(*v.Decision)
		j.Decision = &d
	}
	if ap := v.Appeal; ap != nil {
		j.Appeal = &appealJSON{Decision: ap.Decision, Reason: ap.Reason, FiledBy: string(ap.FiledBy), FiledAt: rfc3339(ap.FiledAt),
			Reviewer: optRef(ap.Reviewer)}
		if ap.Outcome != "" {
			j.Appeal.Outcome = &ap.Outcome
		}
	}
	return j
}

func (s *Server) getAssessment(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.app.Assessment(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAssessmentJSON(v))
	return nil
}

type factorsRequest struct {
	Factors struct {
		ExpectedToPrevent *string `json:"expected_to_prevent" text:"word"`
		PolicyViolation   *string `json:"policy_violation" text:"word"`
	} `json:"factors"`
}

func (s *Server) putAssessment(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	req, err := decode[factorsRequest](r, w)
	if err != nil {
		return err
	}
	var p errs.Problems
	var in app.FactorsInput
	if v := req.Factors.ExpectedToPrevent; v != nil {
		e, err := accountability.ParseExpectation(*v)
		if err != nil {
			p.Add("factors.expected_to_prevent", "%q is not a judgement: use yes, partially or no", *v)
		}
		in.ExpectedToPrevent = &e
	}
	if v := req.Factors.PolicyViolation; v != nil {
		pv, err := accountability.ParseViolation(*v)
		if err != nil {
			p.Add("factors.policy_violation", "%q is not a policy violation: use none, minor or major", *v)
		}
		in.PolicyViolation = &pv
	}
	if in.ExpectedToPrevent == nil && in.PolicyViolation == nil && p.Err() == nil {
		p.Add("factors", "give expected_to_prevent or policy_violation (the other factors are computed)")
	}
	if err := p.Err(); err != nil {
		return err
	}
	v, err := s.app.SetFactors(r.Context(), actor, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAssessmentJSON(v))
	return nil
}

type levelRequest struct {
	Level         *int   `json:"level"`
	Justification string `json:"justification" text:"note"`
}

func (req levelRequest) level() (accountability.Level, error) {
	if req.Level == nil {
		return 0, errs.Field("level", "is required: 0 (none) to 4 (termination review)")
	}
	return accountability.ParseLevel(*req.Level)
}

// levelFunc is DecideAssessment or AppealOutcome: both record a level with
// a justification.
type levelFunc func(ctx context.Context, actor org.Actor, id incident.ID, level accountability.Level, justification string) (app.AssessmentView, error)

// postLevel serves a request that records a level: a decision (J2, J3, J8)
// or an appeal's outcome (J4).
func (s *Server) postLevel(record levelFunc) func(http.ResponseWriter, *http.Request, org.Actor) error {
	return func(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		req, err := decode[levelRequest](r, w)
		if err != nil {
			return err
		}
		level, err := req.level()
		if err != nil {
			return err
		}
		v, err := record(r.Context(), actor, id, level, req.Justification)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, toAssessmentJSON(v))
		return nil
	}
}

type appealRequest struct {
	Reason string `json:"reason" text:"note"`
}

func (s *Server) postAppeal(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	req, err := decode[appealRequest](r, w)
	if err != nil {
		return err
	}
	v, err := s.app.Appeal(r.Context(), actor, id, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toAssessmentJSON(v))
	return nil
}

type consistencyJSON struct {
	Decider        string  `json:"decider"`
	Decisions      int     `json:"decisions"`
	MeanDeviation  float64 `json:"mean_deviation"`
	DeviationShare float64 `json:"deviation_share"`
	Flag           *string `json:"flag"`
	FlaggedTo      *string `json:"flagged_to"`
}

func toConsistencyJSON(f app.DeciderFairness) consistencyJSON {
	j := consistencyJSON{Decider: string(f.Decider), Decisions: f.Decisions, MeanDeviation: f.MeanDeviation,
		DeviationShare: f.DeviationShare, FlaggedTo: optRef(f.FlaggedTo)}
	if f.Flag != "" {
		j.Flag = &f.Flag
	}
	return j
}

func (s *Server) getFairness(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	stats, err := s.app.Fairness(r.Context(), actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(stats, toConsistencyJSON))
	return nil
}

type faultJSON struct {
	Incident  string  `json:"incident"`
	Title     string  `json:"title"`
	Severity  string  `json:"severity"`
	StartedAt *string `json:"started_at"`
	Rule      string  `json:"rule"`
}

type fairnessFlagJSON struct {
	ID        string  `json:"id"`
	Rule      string  `json:"rule"`
	About     string  `json:"about"`
	RaisedTo  *string `json:"raised_to"`
	Incident  string  `json:"incident,omitempty"`
	Detail    string  `json:"detail"`
	CreatedAt *string `json:"created_at"`
}

type ledgerJSON struct {
	Leader           string             `json:"leader"`
	Teams            []string           `json:"teams"`
	A4Faults         int                `json:"a4_faults"`
	A4Incidents      []faultJSON        `json:"a4_incidents"`
	OverdueFollowUps int                `json:"overdue_followups"`
	OverdueItems     []followUpJSON     `json:"overdue_items"`
	OwnFaults        []faultJSON        `json:"own_faults"`
	OwnFaultCount    int                `json:"own_fault_count"`
	Private          bool               `json:"private_visible"`
	Fairness         *consistencyJSON   `json:"fairness"`
	FairnessFlags    []fairnessFlagJSON `json:"fairness_flags"`
	// MissedFollowUps counts the follow-ups in the leader's organisation
	// that a confirmed recurrence found still open (F7); MissedItems lists
	// the latest 100.
	MissedFollowUps int          `json:"missed_followups"`
	MissedItems     []missedJSON `json:"missed_items"`
}

func faults(fs []accountability.Fault) []faultJSON {
	out := []faultJSON{}
	for _, f := range fs {
		out = append(out, faultJSON{Incident: string(f.Incident), Title: f.Title, Severity: string(f.Severity), StartedAt: rfc3339(f.StartedAt), Rule: f.Rule})
	}
	return out
}

func (s *Server) getLedger(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	ref, err := pathRef(r, org.KindUser)
	if err != nil {
		return err
	}
	l, err := s.app.Ledger(r.Context(), actor, ref)
	if err != nil {
		return err
	}
	j := ledgerJSON{Leader: string(l.Leader), Teams: refStrings(l.Teams), A4Faults: l.A4Total, A4Incidents: faults(l.A4Faults),
		OverdueFollowUps: l.OverdueTotal, OverdueItems: followUpList(l.OverdueFollowUps, s.app.Now()), OwnFaults: faults(l.OwnFaults),
		OwnFaultCount: l.OwnTotal, Private: l.Private, MissedFollowUps: l.MissedTotal, MissedItems: []missedJSON{}}
	for _, m := range l.MissedFollowUps {
		j.MissedItems = append(j.MissedItems, toMissedJSON(m))
	}
	if l.Private {
		j.FairnessFlags = []fairnessFlagJSON{}
		for _, f := range l.FairnessFlags {
			j.FairnessFlags = append(j.FairnessFlags, fairnessFlagJSON{ID: f.ID, Rule: f.Rule, About: string(f.About), RaisedTo: optRef(f.RaisedTo),
				Incident: string(f.Incident), Detail: f.Detail, CreatedAt: rfc3339(f.CreatedAt)})
		}
		if l.Fairness != nil {
			c := toConsistencyJSON(*l.Fairness)
			j.Fairness = &c
		}
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}
