package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
)

// Closing a follow-up from the command line. The CLI opens the database
// directly, so it may act as anyone: --as names the person whose decision
// it records (their leader's authority is checked as for anyone else), and
// without it the CLI acts as the operator, an administrator, who can mark
// work done but not approve dropping it (F3).

// followUpVerb parses a follow-up verb's flags and its one argument.
func followUpVerb(fs *flags, args []string) (followup.ID, error) {
	if err := parse(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return "", errUsage
	}
	return followup.ID(strings.ToUpper(strings.TrimSpace(fs.Arg(0)))), nil
}

// asFlag adds --as: whom the command acts as.
func asFlag(fs *flags, what string) *string {
	return fs.String("as", "", "act as this person, e.g. user:tomas.rivera ("+what+")")
}

// actingAs is the actor a command runs as: the person named, else the
// operator.
func actingAs(as string) (org.Actor, error) {
	if strings.TrimSpace(as) == "" {
		return operator(), nil
	}
	ref, err := org.ParseRef(as, org.KindUser)
	if err != nil || !ref.IsPerson() {
		return org.Actor{}, errs.Field("as", "%q is not a person, like user:tomas.rivera", as)
	}
	return org.Actor{Ref: ref, Roles: []org.Role{org.RoleMember}}, nil
}

// followUpDone marks a follow-up done.
func followUpDone(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "followup done", "ID [--reason TEXT] [--as REF] [--db DSN]")
	dsn := dbFlag(e, fs)
	reason := fs.String("reason", "", "what was done (optional)")
	as := asFlag(fs, "default: the operator")
	id, err := followUpVerb(fs, args)
	if err != nil {
		return err
	}
	actor, err := actingAs(*as)
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		done := followup.Done
		p := app.FollowUpPatch{Status: &done}
		if *reason != "" {
			p.Reason = reason
		}
		f, err := a.UpdateFollowUp(ctx, actor, id, p)
		if err != nil {
			return err
		}
		late := ""
		if f.ClosedAt.After(f.Due.AddDate(0, 0, 1)) {
			late = fmt.Sprintf(", %d days after its due date", int(followup.Day(f.ClosedAt).Sub(f.Due).Hours()/24))
		}
		fmt.Fprintf(e.stdout, "%s done%s\n", f.ID, late)
		return nil
	})
}

// followUpWontDo asks to drop a follow-up (F3).
func followUpWontDo(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "followup wont-do", "ID --reason TEXT [--as REF] [--db DSN]")
	dsn := dbFlag(e, fs)
	reason := fs.String("reason", "", "why the work will not be done (required, F3)")
	as := asFlag(fs, "who asks; a leader above the owner drops it at once")
	id, err := followUpVerb(fs, args)
	if err != nil {
		return err
	}
	actor, err := actingAs(*as)
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		wont := followup.WontDo
		if _, err := a.UpdateFollowUp(ctx, actor, id, app.FollowUpPatch{Status: &wont, Reason: reason}); err != nil {
			return err
		}
		d, err := a.FollowUpDetail(ctx, actor, id)
		if err != nil {
			return err
		}
		if d.Pending != nil {
			who := string(d.Pending.Approver)
			if who == "" {
				who = "HR"
			}
			fmt.Fprintf(e.stdout, "%s waits for %s to approve dropping it (F3)\n", id, who)
			return nil
		}
		fmt.Fprintf(e.stdout, "%s is %s\n", id, d.Status)
		return nil
	})
}

// followUpApprove decides a pending wont_do (F3).
func followUpApprove(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "followup approve", "ID --as REF [--refuse --reason TEXT] [--db DSN]")
	dsn := dbFlag(e, fs)
	refuse := fs.Bool("refuse", false, "refuse the wont_do: the follow-up stays open (needs --reason)")
	reason := fs.String("reason", "", "the decision's reason (required to refuse)")
	as := asFlag(fs, "required: the leader above the owner who decides")
	id, err := followUpVerb(fs, args)
	if err != nil {
		return err
	}
	if strings.TrimSpace(*as) == "" {
		return errs.Field("as", "is required: the leader above the owner who decides (F3)")
	}
	actor, err := actingAs(*as)
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		d, err := a.DecideWontDo(ctx, actor, id, !*refuse, *reason)
		if err != nil {
			return err
		}
		if *refuse {
			fmt.Fprintf(e.stdout, "%s stays %s: dropping it was refused\n", id, d.Status)
		} else {
			fmt.Fprintf(e.stdout, "%s is %s\n", id, d.Status)
		}
		return nil
	})
}

// followUpShow prints a follow-up with its requests and notices.
func followUpShow(ctx context.Context, e env, args []string) error {
	return withApp(ctx, e, "followup show", "ID", args, 1, func(a *app.App, args []string) error {
		d, err := a.FollowUpDetail(ctx, operator(), followup.ID(strings.ToUpper(args[0])))
		if err != nil {
			return err
		}
		now := a.Now()
		state := string(d.Status)
		if d.IsOverdue(now) {
			state = fmt.Sprintf("open, %d days overdue", d.DaysOverdue(now))
		}
		fmt.Fprintf(e.stdout, "%s  %s\n  incident %s, owner %s, due %s, %s, %s\n", d.ID, printable(d.Title), d.Incident, d.Owner,
			d.Due.Format(time.DateOnly), d.Priority, state)
		if d.Reason != "" {
			fmt.Fprintf(e.stdout, "  reason: %s\n", printable(d.Reason))
		}
		if d.TrackerURL != "" {
			fmt.Fprintf(e.stdout, "  tracker: %s\n", printable(d.TrackerURL))
		}
		for _, r := range d.Requests {
			fmt.Fprintf(e.stdout, "  %s  wont_do asked by %s: %s — %s", r.RequestedAt.Format(time.RFC3339), r.RequestedBy, printable(r.Reason), r.Outcome)
			if !r.DecidedBy.IsZero() {
				fmt.Fprintf(e.stdout, " by %s", r.DecidedBy)
			}
			if r.Note != "" {
				fmt.Fprintf(e.stdout, " (%s)", printable(r.Note))
			}
			fmt.Fprintln(e.stdout)
		}
		for _, n := range d.Notices {
			fmt.Fprintf(e.stdout, "  %s  %s to %s\n", n.SentAt.Format(time.RFC3339), strings.ReplaceAll(string(n.Kind), "_", " "), n.Recipient)
		}
		return nil
	})
}
