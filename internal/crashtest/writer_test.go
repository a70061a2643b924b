package crashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"sync/atomic"
	"time"
)

// kind is the kind of record a write creates.
type kind string

const (
	kindIncident kind = "incident"
	kindEntry    kind = "timeline entry"
	kindFollowUp kind = "follow-up"
)

// outcome is what a client learnt about its write.
type outcome string

const (
	// acked: the server answered 2xx, so the write must be there, once.
	acked outcome = "acknowledged"
	// refused: the server answered with an error, so it must not be there.
	refused outcome = "refused"
	// inDoubt: no answer came (the server was killed), so the write may be
	// there or not, but once at most and whole.
	inDoubt outcome = "in doubt"
)

// write is one attempted write. Its marker, the incident's title, the
// entry's text or the follow-up's title, is unique in the test, so the
// write can be found again; a client never retries a write, and net/http
// never replays a POST, so a marker found twice means the server stored
// one request twice.
type write struct {
	marker   string
	kind     kind
	incident string // the incident it belongs to; for an incident, its ID once acknowledged
	id       string // the ID the server acknowledged ("" for an incident's entry, or an answer without a body)
	outcome  outcome
	answer   string // the error or the refusal, for the failure message
}

// markerPattern matches the markers writers make.
var markerPattern = regexp.MustCompile(`crash-c[0-9]+-[0-9]+`)

// writer is one client writing: incidents, then timeline entries and
// follow-ups on the incidents it declared. It keeps its ledger across
// rounds.
type writer struct {
	n         int
	rng       *rand.Rand
	incidents []string // acknowledged incidents, the parents of later writes
	writes    []write
}

// run writes until ctx ends (or writesPerRound writes), counting
// acknowledged writes in nAcked. After a write without an answer it pauses
// briefly, since the server is probably gone.
func (w *writer) run(ctx context.Context, c *client, nAcked *atomic.Int64) {
	for range writesPerRound {
		if ctx.Err() != nil {
			return
		}
		wr, path, body := w.next()
		var reply struct {
			ID string `json:"id"`
		}
		status, err := c.do(ctx, http.MethodPost, path, body, &reply)
		switch {
		case status/100 == 2:
			wr.outcome, wr.id = acked, reply.ID
			nAcked.Add(1)
			if wr.kind == kindIncident {
				wr.incident = reply.ID
				if reply.ID != "" {
					w.incidents = append(w.incidents, reply.ID)
				}
			}
		case status != 0:
			wr.outcome = refused
		default:
			wr.outcome = inDoubt
		}
		if err != nil {
			wr.answer = err.Error()
		}
		w.writes = append(w.writes, wr)
		if status == 0 {
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

// next makes the writer's next write and its request: an incident first,
// then a mix weighted towards the cheaper timeline entries and follow-ups.
func (w *writer) next() (wr write, path string, body any) {
	wr.marker = fmt.Sprintf("crash-c%d-%05d", w.n, len(w.writes)+1)
	now := time.Now().UTC().Truncate(time.Second)
	r := w.rng.IntN(10)
	if len(w.incidents) == 0 || r < 3 {
		wr.kind = kindIncident
		return wr, "/api/v1/incidents", map[string]any{
			"title": wr.marker, "severity": "SEV3", "started_at": now.Add(-10 * time.Minute),
			"entities": []map[string]any{{"ref": "component:ledger", "origin": true}},
		}
	}
	wr.incident = w.incidents[w.rng.IntN(len(w.incidents))]
	if r < 7 {
		wr.kind = kindEntry
		return wr, "/api/v1/incidents/" + wr.incident + "/timeline", map[string]any{"text": wr.marker, "occurred_at": now}
	}
	wr.kind = kindFollowUp
	return wr, "/api/v1/followups", map[string]any{"incident": wr.incident, "title": wr.marker, "owner": "group:crew"}
}

// client calls the API with the admin token.
type client struct {
	base  string // set by each start of the server
	token string
	http  *http.Client
}

func newClient(token string) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = clients
	return &client{token: token, http: &http.Client{Transport: tr, Timeout: 20 * time.Second}}
}

// do sends a request with in as its JSON body (if not nil) and decodes a
// 2xx answer into out (if not nil). It returns the status, 0 when no answer
// came; an error with a status is a refusal or an unreadable answer.
func (c *client) do(ctx context.Context, method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, fmt.Errorf("%s %s: %s, then reading the body: %w", method, path, res.Status, err)
	}
	if res.StatusCode/100 != 2 {
		return res.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, res.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: %s, but the body does not decode: %w", method, path, res.Status, err)
		}
	}
	return res.StatusCode, nil
}

// get reads path into out; anything but 200 is an error.
func (c *client) get(path string, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	status, err := c.do(ctx, http.MethodGet, path, nil, out)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", path, status)
	}
	return err
}
