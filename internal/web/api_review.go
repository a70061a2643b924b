package web

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
)

type severityCountJSON struct {
	Severity string  `json:"severity"`
	Week     int     `json:"week"`
	Previous [4]int  `json:"previous"`
	Average  float64 `json:"average"`
}

type reviewIncidentJSON struct {
	ID         string  `json:"id"`
	Title      string  `json:"title"`
	Severity   string  `json:"severity"`
	Status     string  `json:"status"`
	StartedAt  *string `json:"started_at"`
	Party      *string `json:"party"`
	Rule       string  `json:"rule,omitempty"`
	Postmortem string  `json:"postmortem"`
}

type reviewPostmortemJSON struct {
	Incident string  `json:"incident"`
	Title    string  `json:"title"`
	Severity string  `json:"severity"`
	State    string  `json:"state"`
	DueAt    *string `json:"due_at"`
	Overdue  bool    `json:"overdue"`
}

type reviewAttributionJSON struct {
	Incident   string  `json:"incident"`
	Title      string  `json:"title"`
	Party      string  `json:"party"`
	Rule       string  `json:"rule"`
	Overridden bool    `json:"overridden"`
	DecidedAt  *string `json:"decided_at"`
}

type reviewFlagJSON struct {
	ID       string  `json:"id"`
	Rule     string  `json:"rule"`
	Incident *string `json:"incident"`
	Suspect  *string `json:"suspect"`
	RaisedAt *string `json:"raised_at"`
	Detail   string  `json:"detail"`
}

type leaderLineJSON struct {
	Leader         string `json:"leader"`
	A4Week         int    `json:"a4_week"`
	A4Recent       int    `json:"a4_last_90_days"`
	FairnessWeek   int    `json:"a8_flags_week"`
	FairnessRecent int    `json:"a8_flags_last_90_days"`
}

type reviewJSON struct {
	Week               string                  `json:"week"`
	From               *string                 `json:"from"`
	To                 *string                 `json:"to"`
	AsOf               *string                 `json:"as_of"`
	Counts             []severityCountJSON     `json:"counts"`
	Total              severityCountJSON       `json:"total"`
	Incidents          []reviewIncidentJSON    `json:"incidents"`
	IncidentsTotal     int                     `json:"incidents_total"`
	AwaitingReview     []reviewPostmortemJSON  `json:"postmortems_awaiting_review"`
	AwaitingTotal      int                     `json:"postmortems_awaiting_review_total"`
	OverduePostmortems []reviewPostmortemJSON  `json:"postmortems_overdue"`
	OverdueTotalPM     int                     `json:"postmortems_overdue_total"`
	Attributions       []reviewAttributionJSON `json:"attributions_decided"`
	AttributionsTotal  int                     `json:"attributions_decided_total"`
	FollowUpsDue       []followUpJSON          `json:"followups_due"`
	FollowUpsOverdue   []followUpJSON          `json:"followups_overdue"`
	OverdueTotal       int                     `json:"followups_overdue_total"`
	OwnershipGaps      []followUpJSON          `json:"ownership_gaps"`
	Unowned            []string                `json:"unowned_entities"`
	UnownedTotal       int                     `json:"unowned_entities_total"`
	Drift              []driftJSON             `json:"ownership_drift"`
	DriftTotal         int                     `json:"ownership_drift_total"`
	Flags              []reviewFlagJSON        `json:"integrity_flags_open"`
	FlagsTotal         int                     `json:"integrity_flags_open_total"`
	Leaders            []leaderLineJSON        `json:"leader_corner"`
	Rules              []ruleLineJSON          `json:"suggestions_by_rule"`
	FollowThrough      followThroughJSON       `json:"follow_through"`
}

type ruleLineJSON struct {
	Rule       string `json:"rule"`
	Decided    int    `json:"decided"`
	Overridden int    `json:"overridden"`
}

func countJSON(c review.SeverityCount) severityCountJSON {
	return severityCountJSON{Severity: string(c.Severity), Week: c.Week, Previous: c.Previous, Average: c.Average}
}

func pmLines(ls []review.PostmortemLine) []reviewPostmortemJSON {
	out := []reviewPostmortemJSON{}
	for _, p := range ls {
		out = append(out, reviewPostmortemJSON{Incident: string(p.Incident), Title: p.Title, Severity: string(p.Severity),
			State: string(p.State), DueAt: rfc3339(p.Due), Overdue: p.Overdue})
	}
	return out
}

func followUpList(fs []followup.FollowUp, now time.Time) []followUpJSON {
	out := []followUpJSON{}
	for _, f := range fs {
		out = append(out, toFollowUpJSON(f, now))
	}
	return out
}

// toReviewJSON encodes a review. It holds parties and rules only: never an
// assessment level (PRODUCT.md section 6).
func toReviewJSON(r review.Review) reviewJSON {
	j := reviewJSON{Week: r.Week.String(), From: rfc3339(r.From), To: rfc3339(r.To), AsOf: rfc3339(r.AsOf),
		Counts: []severityCountJSON{}, Total: countJSON(r.Total), Incidents: []reviewIncidentJSON{}, IncidentsTotal: r.IncidentsTotal,
		AwaitingReview: pmLines(r.AwaitingReview), AwaitingTotal: r.AwaitingTotal, OverduePostmortems: pmLines(r.OverduePostmortems),
		OverdueTotalPM: r.OverduePostmortemsTotal, Attributions: []reviewAttributionJSON{}, AttributionsTotal: r.AttributionsTotal, UnownedTotal: r.UnownedTotal, FollowUpsDue: followUpList(r.FollowUpsDue, r.AsOf),
		FollowUpsOverdue: followUpList(r.FollowUpsOverdue, r.AsOf), OverdueTotal: r.OverdueTotal,
		OwnershipGaps: followUpList(r.OwnershipGaps, r.AsOf), Unowned: refStrings(r.Unowned), Flags: []reviewFlagJSON{}, FlagsTotal: r.FlagsTotal, Leaders: []leaderLineJSON{},
		Rules: []ruleLineJSON{}, FollowThrough: toFollowThroughJSON(r.FollowThrough), Drift: driftList(r.Drift), DriftTotal: r.DriftTotal}
	for _, l := range r.Rules {
		j.Rules = append(j.Rules, ruleLineJSON{Rule: l.Rule, Decided: l.Decided, Overridden: l.Overridden})
	}
	for _, c := range r.Counts {
		j.Counts = append(j.Counts, countJSON(c))
	}
	for _, in := range r.Incidents {
		j.Incidents = append(j.Incidents, reviewIncidentJSON{ID: string(in.ID), Title: in.Title, Severity: string(in.Severity),
			Status: string(in.Status), StartedAt: rfc3339(in.StartedAt), Party: optRef(in.Party), Rule: in.Rule, Postmortem: string(in.State)})
	}
	for _, a := range r.Attributions {
		j.Attributions = append(j.Attributions, reviewAttributionJSON{Incident: string(a.Incident), Title: a.Title,
			Party: string(a.Party), Rule: a.Rule, Overridden: a.Overridden, DecidedAt: rfc3339(a.DecidedAt)})
	}
	for _, l := range r.Leaders {
		j.Leaders = append(j.Leaders, leaderLineJSON{Leader: string(l.Leader), A4Week: l.A4Week, A4Recent: l.A4Recent,
			FairnessWeek: l.FairnessWeek, FairnessRecent: l.FairnessRecent})
	}
	for _, f := range r.Flags {
		var inc *string
		if f.Incident != "" {
			s := string(f.Incident)
			inc = &s
		}
		j.Flags = append(j.Flags, reviewFlagJSON{ID: f.ID, Rule: f.Rule, Incident: inc, Suspect: optRef(f.Suspect),
			RaisedAt: rfc3339(f.RaisedAt), Detail: f.Detail})
	}
	return j
}

// EncodeReview writes a review as the API's JSON, so the CLI prints exactly
// what GET /api/v1/reviews/weekly/{week} returns.
func EncodeReview(w io.Writer, r review.Review) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(toReviewJSON(r))
}

func (s *Server) getWeeklyReview(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	week, err := review.ParseWeek(r.PathValue("week"))
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "md" && format != "slack" {
		return errs.Field("format", "%q is not a format: use json, md or slack", format)
	}
	rv, err := s.app.WeeklyReview(r.Context(), actor, week)
	if err != nil {
		return err
	}
	if format == "md" {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		_, _ = io.WriteString(w, review.Markdown(rv))
		return nil
	}
	if format == "slack" {
		writeJSON(w, http.StatusOK, review.Slack(rv, s.baseURL))
		return nil
	}
	writeJSON(w, http.StatusOK, toReviewJSON(rv))
	return nil
}
