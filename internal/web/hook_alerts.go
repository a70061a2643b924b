package web

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
)

// maxAlertBytes limits an alert delivery's body: Alertmanager sends a
// whole group at once (about 1 KiB an alert), so this takes several
// thousand alerts and refuses a body that is not a delivery.
const maxAlertBytes = 8 << 20

// WithPagerDutySecrets sets the secrets PagerDuty's webhook signatures are
// checked with; several may be given while one is rotated out.
func WithPagerDutySecrets(secrets []string) Option {
	return func(s *Server) {
		for _, sec := range secrets {
			if sec = strings.TrimSpace(sec); sec != "" {
				s.pagerdutySecrets = append(s.pagerdutySecrets, sec)
			}
		}
	}
}

// alertHook serves one alert source: it authenticates the sender, reads
// the body, parses it with the source's parser and hands the delivery to
// the app. Accepted and repeated deliveries both answer 202: a sender's
// retry of something already stored changes nothing and is not an error.
func (s *Server) alertHook(src ingest.Source) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		res, err := s.takeAlerts(w, r, src)
		s.hooks.record(src, res, err, time.Now())
		s.metrics.observeIngest(src, res, err)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusAccepted, res)
	})
}

// hookReply is what an alert hook answers.
type hookReply struct {
	app.IngestResult
	// Ignored says why a delivery was accepted but holds nothing to
	// record (a PagerDuty event about something other than an incident).
	Ignored string `json:"ignored,omitempty"`
}

func (s *Server) takeAlerts(w http.ResponseWriter, r *http.Request, src ingest.Source) (hookReply, error) {
	var actor org.Actor
	if src == ingest.PagerDuty {
		if len(s.pagerdutySecrets) == 0 {
			return hookReply{}, errs.E(errs.NotFound, "PagerDuty webhooks are not set up here: start serve with --pagerduty-secret")
		}
		actor = org.Actor{Ref: "system:default/pagerduty", Roles: []org.Role{org.RoleIngest}}
	} else {
		a, err := s.authenticate(r)
		if err != nil {
			return hookReply{}, err
		}
		actor = a
	}
	body, err := readHookBody(w, r, maxAlertBytes)
	if err != nil {
		return hookReply{}, err
	}
	var b ingest.Batch
	switch src {
	case ingest.Alertmanager:
		b, err = ingest.ParseAlertmanager(body)
	case ingest.Grafana:
		b, err = ingest.ParseGrafana(body)
	case ingest.Opsgenie:
		b, err = ingest.ParseOpsgenie(body)
	case ingest.Generic:
		b, err = ingest.ParseGeneric(body)
	case ingest.PagerDuty:
		if err := ingest.VerifyPagerDuty(body, r.Header.Get("X-PagerDuty-Signature"), s.pagerdutySecrets); err != nil {
			return hookReply{}, err
		}
		var ok bool
		if b, ok, err = ingest.ParsePagerDuty(body); err == nil && !ok {
			return hookReply{Ignored: "not an incident event"}, nil
		}
	}
	if err != nil {
		return hookReply{}, err
	}
	res, err := s.app.IngestAlerts(r.Context(), actor, b)
	return hookReply{IngestResult: res}, err
}

// readHookBody reads a webhook's body, at most limit bytes (413 past it).
func readHookBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	switch {
	case isTooLarge(err):
		return nil, errs.E(errs.TooLarge, "the body is larger than %d bytes", limit)
	case err != nil:
		return nil, errs.Wrap(errs.Invalid, err, "the body could not be read")
	case len(body) == 0:
		return nil, errs.E(errs.Invalid, "the body is empty")
	}
	return body, nil
}

// hookStats keeps, per alert source, this server's recent deliveries: the
// admin's ingest status page shows when each last delivered and what
// went wrong last.
type hookStats struct {
	mu      sync.Mutex
	sources map[ingest.Source]*HookStatus
}

// HookStatus is one source's deliveries to this server since it started.
type HookStatus struct {
	Source      ingest.Source
	Accepted    int
	Failed      int
	Alerts      int
	LastAt      time.Time
	LastOK      time.Time
	LastFailure time.Time
	// LastError is the last refusal's status and message.
	LastError string
}

func newHookStats() *hookStats { return &hookStats{sources: map[ingest.Source]*HookStatus{}} }

func (h *hookStats) record(src ingest.Source, res hookReply, err error, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.sources[src]
	if st == nil {
		st = &HookStatus{Source: src}
		h.sources[src] = st
	}
	st.LastAt = now
	if err != nil {
		st.Failed++
		st.LastFailure = now
		msg := err.Error()
		if e, ok := errs.As(err); ok {
			msg = e.Message
		}
		st.LastError = clip(http.StatusText(statusOfErr(err))+": "+msg, 300)
		return
	}
	st.Accepted++
	st.Alerts += res.Recorded
	st.LastOK = now
}

// snapshot returns a copy of every source's status, in ingest.Sources order.
func (h *hookStats) snapshot() []HookStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]HookStatus, 0, len(ingest.Sources))
	for _, src := range ingest.Sources {
		if st := h.sources[src]; st != nil {
			out = append(out, *st)
		} else {
			out = append(out, HookStatus{Source: src})
		}
	}
	return out
}

// outcomeOf names a delivery's outcome for metrics.
func outcomeOf(err error) string {
	if err == nil {
		return "accepted"
	}
	switch errs.KindOf(err) {
	case errs.Invalid:
		return "invalid"
	case errs.Unauthenticated, errs.Forbidden:
		return "refused"
	case errs.TooLarge:
		return "too_large"
	case errs.Unavailable:
		return "unavailable"
	case errs.NotFound:
		return "not_configured"
	}
	return "error"
}

func statusOfErr(err error) int {
	if e, ok := errs.As(err); ok {
		return statusOf(e)
	}
	return http.StatusInternalServerError
}
