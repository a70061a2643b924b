package web

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/review"
)

type failedJSON struct {
	Ref    string `json:"ref" text:"ref"`
	Origin bool   `json:"origin"`
}

type incidentJSON struct {
	ID          string       `json:"id"`
	Title       string       `json:"title"`
	Severity    string       `json:"severity"`
	Status      string       `json:"status"`
	Summary     string       `json:"summary"`
	Impact      string       `json:"impact"`
	Source      string       `json:"source"`
	StartedAt   *string      `json:"started_at"`
	DetectedAt  *string      `json:"detected_at"`
	DeclaredAt  *string      `json:"declared_at"`
	MitigatedAt *string      `json:"mitigated_at"`
	ResolvedAt  *string      `json:"resolved_at"`
	Entities    []failedJSON `json:"entities"`
	CreatedBy   string       `json:"created_by"`
	CreatedAt   *string      `json:"created_at"`
	UpdatedAt   *string      `json:"updated_at"`
	// The alert signals come with one incident, not in lists.
	AlertFingerprints *[]string          `json:"alert_fingerprints,omitempty"`
	AlertLabels       *map[string]string `json:"alert_labels,omitempty"`
	// ExternalKeys are the alert groups that feed the incident.
	ExternalKeys *[]externalKeyJSON `json:"external_keys,omitempty"`
}

func toIncidentJSON(in incident.Incident) incidentJSON {
	j := incidentJSON{ID: string(in.ID), Title: in.Title, Severity: string(in.Severity), Status: string(in.Status),
		Summary: in.Summary, Impact: in.Impact, Source: in.Source, StartedAt: rfc3339(in.StartedAt),
		DetectedAt: rfc3339(in.DetectedAt), DeclaredAt: rfc3339(in.DeclaredAt), MitigatedAt: rfc3339(in.MitigatedAt),
		ResolvedAt: rfc3339(in.ResolvedAt), Entities: []failedJSON{}, CreatedBy: string(in.CreatedBy),
		CreatedAt: rfc3339(in.CreatedAt), UpdatedAt: rfc3339(in.UpdatedAt)}
	for _, e := range in.Entities {
		j.Entities = append(j.Entities, failedJSON{Ref: string(e.Ref), Origin: e.Origin})
	}
	return j
}

type createIncidentRequest struct {
	Title      string       `json:"title" text:"line"`
	Severity   string       `json:"severity" text:"word"`
	Summary    string       `json:"summary" text:"body"`
	Impact     string       `json:"impact" text:"body"`
	Source     string       `json:"source" text:"line"`
	StartedAt  string       `json:"started_at" text:"time"`
	DetectedAt string       `json:"detected_at" text:"time"`
	DeclaredAt string       `json:"declared_at" text:"time"`
	Entities   []failedJSON `json:"entities"`
	// AlertFingerprints and AlertLabels are optional (F6).
	AlertFingerprints []string          `json:"alert_fingerprints" text:"line"`
	AlertLabels       map[string]string `json:"alert_labels" text:"line"`
}

// failedEntities parses the entities of a request, naming the index of any
// bad reference.
func failedEntities(p *errs.Problems, in []failedJSON) []incident.FailedEntity {
	out := make([]incident.FailedEntity, 0, len(in))
	for i, e := range in {
		ref, err := catalog.ParseRef(e.Ref)
		if err != nil {
			p.Add(fmt.Sprintf("entities[%d].ref", i), "%s", msg(err))
			continue
		}
		out = append(out, incident.FailedEntity{Ref: ref, Origin: e.Origin})
	}
	return out
}

// msg returns an error's user-safe message.
func msg(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Message
	}
	return err.Error()
}

func (s *Server) createIncident(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	req, err := decode[createIncidentRequest](r, w)
	if err != nil {
		return err
	}
	var p errs.Problems
	in := app.IncidentInput{Title: req.Title, Summary: req.Summary, Impact: req.Impact, Source: req.Source,
		StartedAt: parseTime(&p, "started_at", req.StartedAt), DetectedAt: parseTime(&p, "detected_at", req.DetectedAt),
		DeclaredAt: parseTime(&p, "declared_at", req.DeclaredAt), Entities: failedEntities(&p, req.Entities),
		Alerts: recurrence.Alerts{Fingerprints: req.AlertFingerprints, Labels: req.AlertLabels}}
	if req.StartedAt == "" {
		p.Add("started_at", "is required")
	}
	if sev, err := incident.ParseSeverity(req.Severity); err != nil {
		p.Add("severity", "%q is not a severity: use SEV1, SEV2, SEV3 or SEV4 (SEV1 is the worst)", req.Severity)
	} else {
		in.Severity = sev
	}
	if err := p.Err(); err != nil {
		return err
	}
	inc, err := s.app.DeclareIncident(r.Context(), actor, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/incidents/"+string(inc.ID))
	return s.writeIncident(w, r, actor, http.StatusCreated, inc)
}

// writeIncident writes one incident with its alert signals.
func (s *Server) writeIncident(w http.ResponseWriter, r *http.Request, actor org.Actor, status int, inc incident.Incident) error {
	d, err := s.app.IncidentDetail(r.Context(), actor, inc.ID)
	if err != nil {
		return err
	}
	writeIncidentDetail(w, status, d)
	return nil
}

// writeIncidentDetail writes an incident with its alert signals and
// external keys.
func writeIncidentDetail(w http.ResponseWriter, status int, d app.IncidentDetail) {
	j := toIncidentJSON(d.Incident)
	fps, labels := append([]string{}, d.Alerts.Fingerprints...), map[string]string{}
	for k, v := range d.Alerts.Labels {
		labels[k] = v
	}
	j.AlertFingerprints, j.AlertLabels = &fps, &labels
	keys := toExternalKeys(d.Groups)
	j.ExternalKeys = &keys
	writeJSON(w, status, j)
}

// pathID reads the {id} path value as an incident ID.
func pathID(r *http.Request) (incident.ID, error) {
	id, err := incident.ParseID(r.PathValue("id"))
	if err != nil {
		return "", errs.E(errs.NotFound, "%s", msg(err))
	}
	return id, nil
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := s.app.IncidentDetail(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeIncidentDetail(w, http.StatusOK, d)
	return nil
}

type updateIncidentRequest struct {
	Title       *string       `json:"title" text:"line"`
	Severity    *string       `json:"severity" text:"word"`
	Summary     *string       `json:"summary" text:"body"`
	Impact      *string       `json:"impact" text:"body"`
	Status      *string       `json:"status" text:"word"`
	StartedAt   *string       `json:"started_at" text:"time"`
	DetectedAt  *string       `json:"detected_at" text:"time"`
	DeclaredAt  *string       `json:"declared_at" text:"time"`
	MitigatedAt *string       `json:"mitigated_at" text:"time"`
	ResolvedAt  *string       `json:"resolved_at" text:"time"`
	Entities    *[]failedJSON `json:"entities"`
	// AlertFingerprints and AlertLabels replace the incident's (F6).
	AlertFingerprints *[]string          `json:"alert_fingerprints" text:"line"`
	AlertLabels       *map[string]string `json:"alert_labels" text:"line"`
}

func (s *Server) updateIncident(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	req, err := decode[updateIncidentRequest](r, w)
	if err != nil {
		return err
	}
	var p errs.Problems
	patch := app.IncidentPatch{Title: req.Title, Summary: req.Summary, Impact: req.Impact,
		StartedAt: optTime(&p, "started_at", req.StartedAt), DetectedAt: optTime(&p, "detected_at", req.DetectedAt),
		DeclaredAt: optTime(&p, "declared_at", req.DeclaredAt), MitigatedAt: optTime(&p, "mitigated_at", req.MitigatedAt),
		ResolvedAt: optTime(&p, "resolved_at", req.ResolvedAt), AlertFingerprints: req.AlertFingerprints, AlertLabels: req.AlertLabels}
	if req.Severity != nil {
		sev, err := incident.ParseSeverity(*req.Severity)
		if err != nil {
			p.Add("severity", "%q is not a severity: use SEV1, SEV2, SEV3 or SEV4", *req.Severity)
		}
		patch.Severity = &sev
	}
	if req.Status != nil {
		st, err := incident.ParseStatus(*req.Status)
		if err != nil {
			p.Add("status", "%q is not a status: use open, mitigated or resolved", *req.Status)
		}
		patch.Status = &st
	}
	if req.Entities != nil {
		list := failedEntities(&p, *req.Entities)
		patch.Entities = &list
	}
	if err := p.Err(); err != nil {
		return err
	}
	inc, err := s.app.UpdateIncident(r.Context(), actor, id, patch)
	if err != nil {
		return err
	}
	return s.writeIncident(w, r, actor, http.StatusOK, inc)
}

// Listing limits.
const (
	defaultLimit = 50
	maxLimit     = 500
)

func limitParam(p *errs.Problems, r *http.Request) int {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return defaultLimit
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		p.Add("limit", "must be a whole number from 1 to %d", maxLimit)
		return defaultLimit
	}
	return n
}

// incidentCursor encodes a listing position: the last incident's start and
// ID.
func incidentCursor(in incident.Incident) string {
	return base64.RawURLEncoding.EncodeToString([]byte(in.StartedAt.UTC().Format(time.RFC3339Nano) + "|" + string(in.ID)))
}

func parseIncidentCursor(p *errs.Problems, s string) (time.Time, incident.ID) {
	if s == "" {
		return time.Time{}, ""
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	at, id, ok := strings.Cut(string(b), "|")
	t, terr := time.Parse(time.RFC3339Nano, at)
	if err != nil || !ok || terr != nil {
		p.Add("cursor", "is not a cursor this server gave out")
		return time.Time{}, ""
	}
	return t, incident.ID(id)
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	var p errs.Problems
	f := incidentFilter(&p, r)
	f.Limit = limitParam(&p, r)
	if err := p.Err(); err != nil {
		return err
	}
	items, err := s.app.Incidents(r.Context(), actor, f)
	if err != nil {
		return err
	}
	out, err := pageOf(items, toIncidentJSON, incidentCursor, len(items) == f.Limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// incidentFilter reads an incident list's filters from the query, for the
// API and the page alike: status, severity, entity, source, party (the
// decided accountable party), q (text in the title or summary), since and
// until, week (an ISO week, instead of since and until), and the cursor.
func incidentFilter(p *errs.Problems, r *http.Request) incident.Filter {
	q := r.URL.Query()
	var f incident.Filter
	f.AfterStarted, f.AfterID = parseIncidentCursor(p, q.Get("cursor"))
	f.Source, f.Text = strings.TrimSpace(q.Get("source")), strings.TrimSpace(q.Get("q"))
	if msg := freetext.Check(f.Text, freetext.Line); msg != "" {
		p.Add("q", "%s", msg)
	}
	if msg := freetext.Check(f.Source, freetext.Line); msg != "" {
		p.Add("source", "%s", msg)
	}
	if v := q.Get("party"); v != "" {
		ref, err := org.ParseRef(v, "")
		if err != nil {
			p.Add("party", "%s", msg(err))
		}
		f.Party = ref
	}
	if v := q.Get("week"); v != "" {
		if wk, err := review.ParseWeek(v); err != nil {
			p.Add("week", "%s", msg(err))
		} else {
			f.StartedFrom, f.StartedBefore = wk.Start(), wk.End()
		}
	}
	if v := q.Get("status"); v != "" {
		st, err := incident.ParseStatus(v)
		if err != nil {
			p.Add("status", "%s", msg(err))
		}
		f.Status = st
	}
	if v := q.Get("severity"); v != "" {
		sev, err := incident.ParseSeverity(v)
		if err != nil {
			p.Add("severity", "%q is not a severity", v)
		}
		f.Severity = sev
	}
	if v := q.Get("entity"); v != "" {
		ref, err := catalog.ParseRef(v)
		if err != nil {
			p.Add("entity", "%s", msg(err))
		}
		f.Entity = ref
	}
	if v := q.Get("since"); v != "" {
		f.StartedFrom = parseTime(p, "since", v)
	}
	if v := q.Get("until"); v != "" {
		f.StartedBefore = parseTime(p, "until", v)
	}
	return f
}
