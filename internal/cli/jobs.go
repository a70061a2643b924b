package cli

import (
	"context"
	"fmt"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/notify"
)

// digestFlag adds --digest: when the weekly review's summary goes out.
func digestFlag(e env, fs *flags) *string {
	return fs.String("digest", envOr(e, "BLAMEFUL_DIGEST", "Mon 09:00"),
		`when the weekly review of the week before is posted: a weekday and a UTC time, or "off" (env BLAMEFUL_DIGEST)`)
}

// jobsConfig builds the jobs' configuration: the digest time, and
// delivery through s when it has a channel.
func jobsConfig(a *app.App, digest string, s *notify.Sender) (app.Jobs, error) {
	j, err := app.ParseDigestTime(digest)
	if err != nil {
		return j, errs.Field("digest", "%s", errMessage(err))
	}
	if s != nil && len(s.Configured()) > 0 {
		j.Deliver = func(ctx context.Context, now time.Time) (string, error) {
			rep, err := a.DeliverOutbox(ctx, s, now)
			return rep.String(), err
		}
	}
	return j, nil
}

// jobsRun runs every background job that is due, once, and says what it
// did: for operators after downtime, and for tests. Beside running servers
// it is safe: each step is claimed in the database.
func jobsRun(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "jobs run", "[--at TIME] [--digest WHEN] [notification flags] [--db DSN]")
	dsn := dbFlag(e, fs)
	at := fs.String("at", "", "run as of this time (RFC 3339; default now): what is due then is done, stamped then")
	base := baseURLFlag(e, fs)
	digest := digestFlag(e, fs)
	nf := addNotifyFlags(e, fs)
	if err := noArgs(fs, args); err != nil {
		return err
	}
	var p errs.Problems
	when := cliTime(&p, "at", *at)
	if err := p.Err(); err != nil {
		return err
	}
	sender, err := nf.sender()
	if err != nil {
		return err
	}
	sender.BaseURL = *base
	var opts []app.Option
	if !when.IsZero() {
		opts = append(opts, app.WithClock(func() time.Time { return when }))
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"), opts...)
	if err != nil {
		return err
	}
	defer closeDB()
	j, err := jobsConfig(a, *digest, sender)
	if err != nil {
		return err
	}
	rep, err := a.RunJobs(ctx, j)
	fmt.Fprintln(e.stdout, rep)
	return err
}
