package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
)

// recurrenceCandidates prints the earlier incidents an incident may be a
// recurrence of, best first, with their scores and reasons (F6).
func recurrenceCandidates(ctx context.Context, e env, args []string) error {
	return withApp(ctx, e, "recurrence candidates", "ID", args, 1, func(a *app.App, args []string) error {
		id, err := incident.ParseID(args[0])
		if err != nil {
			return err
		}
		list, err := a.RecurrenceCandidates(ctx, operator(), id)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintf(e.stdout, "no earlier incident of the 365 days before %s looks like it\n", id)
		}
		for _, c := range list {
			decided := ""
			if c.Decision != nil {
				decided = "  [" + string(c.Decision.State) + "]"
			}
			fmt.Fprintf(e.stdout, "%s  %.3f  %s  %s%s\n", c.Incident, c.Score, c.StartedAt.Format(time.DateOnly), printable(c.Title), decided)
			for _, r := range c.Reasons {
				fmt.Fprintf(e.stdout, "    - %s\n", printable(r))
			}
		}
		return nil
	})
}

// recurrenceDecide confirms or dismisses that an incident recurs an
// earlier one; a confirmation prints the missed follow-ups it records (F7).
func recurrenceDecide(confirm bool) func(context.Context, env, []string) error {
	name := "recurrence dismiss"
	if confirm {
		name = "recurrence confirm"
	}
	return func(ctx context.Context, e env, args []string) error {
		fs := flagSet(e, name, "ID --earlier ID [--reason TEXT] [--db DSN]")
		dsn := dbFlag(e, fs)
		earlier := fs.String("earlier", "", "the earlier incident, e.g. INC-2026-0007")
		reason := fs.String("reason", "", "why (optional)")
		arg, err := oneArg(fs, args)
		if err != nil {
			return err
		}
		var p errs.Problems
		later, err := incident.ParseID(arg)
		if err != nil {
			p.Add("incident", "%s", errMessage(err))
		}
		before, err := incident.ParseID(strings.TrimSpace(*earlier))
		if err != nil {
			p.Add("earlier", "%s", errMessage(err))
		}
		if err := p.Err(); err != nil {
			return err
		}
		return openThen(ctx, e, *dsn, func(a *app.App) error {
			l, missed, err := a.DecideRecurrence(ctx, operator(), later, before, confirm, *reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s %s as a recurrence of %s\n", l.Incident, l.State, l.Earlier)
			for _, m := range missed {
				fmt.Fprintf(e.stdout, "missed follow-up %s of %s, owned by %s, due %s (F7)\n", m.FollowUp, m.Earlier, m.Owner, m.Due.Format(time.DateOnly))
			}
			return nil
		})
	}
}
