package app

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// Group commit for alert deliveries. Deliveries queue; one goroutine,
// started when the queue fills and gone when it empties, takes everything
// queued (up to commitAlerts alerts) into one transaction. Under load the
// transactions grow and their cost per alert falls; when idle a delivery
// waits for nothing but its own transaction.
const (
	// commitAlerts caps the alerts one transaction takes.
	commitAlerts = 2000
	// queueAlerts caps the alerts waiting; past it deliveries are refused
	// as Unavailable (503, Retry-After) until the queue drains.
	queueAlerts = 20000
	// commitTimeout bounds one transaction, whoever waits on it.
	commitTimeout = 30 * time.Second
)

type committer struct {
	mu      sync.Mutex
	queue   []*ingestJob
	queued  int // alerts in queue
	running bool
}

type ingestJob struct {
	// app is the App the delivery came through (its clock and IDs).
	app   *App
	ctx   context.Context
	actor org.Actor
	batch ingest.Batch
	// labels are the alerts' labels encoded for the store, done before
	// the job queues so the one committing goroutine does not.
	labels []string
	res    IngestResult
	err    error
	done   chan struct{}
}

func (c *committer) submit(ctx context.Context, a *App, actor org.Actor, b ingest.Batch) (IngestResult, error) {
	j := &ingestJob{app: a, ctx: ctx, actor: actor, batch: b, labels: make([]string, len(b.Alerts)), done: make(chan struct{})}
	for i, al := range b.Alerts {
		if text, err := json.Marshal(al.Labels); err == nil {
			j.labels[i] = string(text)
		}
	}
	n := max(len(b.Alerts), 1)
	c.mu.Lock()
	if c.queued > 0 && c.queued+n > queueAlerts {
		c.mu.Unlock()
		return IngestResult{}, errIngestBusy
	}
	c.queue = append(c.queue, j)
	c.queued += n
	if !c.running {
		c.running = true
		go c.run(a)
	}
	c.mu.Unlock()
	select {
	case <-j.done:
		return j.res, j.err
	case <-ctx.Done():
		// The delivery may still be stored; a retry finds it recorded.
		return IngestResult{}, errs.Wrap(errs.Unavailable, ctx.Err(), "the delivery was not stored in time; retry")
	}
}

// run commits what is queued until nothing is.
func (c *committer) run(a *App) {
	for {
		c.mu.Lock()
		var batch []*ingestJob
		alerts := 0
		for len(c.queue) > 0 && (len(batch) == 0 || alerts+len(c.queue[0].batch.Alerts) <= commitAlerts) {
			j := c.queue[0]
			c.queue = c.queue[1:]
			n := max(len(j.batch.Alerts), 1)
			c.queued -= n
			if j.ctx.Err() != nil {
				j.err = errs.Wrap(errs.Unavailable, j.ctx.Err(), "the delivery was abandoned before it was stored; retry")
				close(j.done)
				continue
			}
			batch = append(batch, j)
			alerts += n
		}
		if len(batch) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		a.commitIngest(batch)
	}
}

// commitIngest writes jobs in one transaction. When it fails for a reason
// other than the database being unavailable, the jobs are written one by
// one, so one bad delivery (or a race with another server over a new
// group) does not fail the others.
func (a *App) commitIngest(jobs []*ingestJob) {
	defer func() {
		for _, j := range jobs {
			close(j.done)
		}
	}()
	err := a.commitJobs(jobs)
	if err == nil || errs.KindOf(err) == errs.Unavailable {
		for _, j := range jobs {
			j.err = err
		}
		return
	}
	for _, j := range jobs {
		one := []*ingestJob{j}
		j.err = a.commitJobs(one)
		if errs.KindOf(j.err) == errs.Conflict { // another server opened the group first
			j.err = a.commitJobs(one)
		}
	}
}

func (a *App) commitJobs(jobs []*ingestJob) error {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	results := make([]IngestResult, len(jobs))
	err := a.db.Update(ctx, func(tx *store.Tx) error {
		stored := map[ingest.Source]int{}
		for i, j := range jobs {
			r, err := j.app.ingestIn(tx, j.actor, &j.batch, j.labels)
			if err != nil {
				return err
			}
			results[i] = r
			stored[j.batch.Source] += r.Recorded
		}
		// The sources' counts, once a transaction rather than a delivery.
		for _, src := range ingest.Sources {
			if n := stored[src]; n > 0 {
				if err := tx.CountAlertsStored(string(src), n, jobs[0].app.Now()); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if errors.Is(err, context.DeadlineExceeded) && errs.KindOf(err) != errs.Unavailable {
		err = errs.Wrap(errs.Unavailable, err, "storing the alerts took too long; retry")
	}
	if err == nil {
		for i, j := range jobs {
			j.res = results[i]
		}
	}
	return err
}
