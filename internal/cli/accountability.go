package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
)

// The accountability readers. The command line acts as an administrator,
// so it sees private records; deciding a level stays with the decider,
// through the API with their own token (J2).

func assessmentShow(ctx context.Context, e env, args []string) error {
	return withApp(ctx, e, "assessment show", "ID", args, 1, func(a *app.App, pos []string) error {
		v, err := a.Assessment(ctx, operator(), incident.ID(pos[0]))
		if err != nil {
			return err
		}
		printAssessment(e.stdout, v)
		return nil
	})
}

func printAssessment(w io.Writer, v app.AssessmentView) {
	f := v.Factors
	fmt.Fprintf(w, "Assessment of %s for %s\n", v.Subject, v.Incident)
	fmt.Fprintf(w, "Decider:   %s (%s)\n", orNone(string(v.Decider)), printable(v.DeciderWhy))
	fmt.Fprintf(w, "Factors:   expected_to_prevent=%s policy_violation=%s integrity_violation=%t prior_faults=%d severity=%s recently_inherited=%t\n",
		orNone(string(f.ExpectedToPrevent)), f.PolicyViolation, f.IntegrityViolation, f.PriorFaults, f.Severity, f.RecentlyInherited)
	judged := ""
	if !v.Guidance.Judged {
		judged = " (not judged yet: expected_to_prevent is assumed yes)"
	}
	fmt.Fprintf(w, "Guidance:  %d, %s%s\n           %s\n", v.Guidance.Level, v.Guidance.Level, judged, printable(v.Guidance.Arithmetic()))
	for _, d := range v.History {
		fmt.Fprintf(w, "%s %s: %d, %s by %s", d.DecidedAt.Format("2006-01-02"), d.Kind, d.Level, d.Level, d.DecidedBy)
		if d.Justification != "" {
			fmt.Fprintf(w, " — %s", printableBlock(d.Justification, "    "))
		}
		fmt.Fprintln(w)
	}
	if v.Decision == nil {
		fmt.Fprintln(w, "Decision:  none yet")
	}
	if ap := v.Appeal; ap != nil {
		state := "pending"
		if ap.Outcome != "" {
			state = "decided"
		}
		fmt.Fprintf(w, "Appeal:    %s by %s on %s, heard by %s (%s): %s\n", state, ap.FiledBy, ap.FiledAt.Format("2006-01-02"), orNone(string(ap.Reviewer)), state, printableBlock(ap.Reason, "    "))
	}
}

func runFairness(ctx context.Context, e env, args []string) error {
	return withApp(ctx, e, "fairness", "", args, 0, func(a *app.App, _ []string) error {
		stats, err := a.Fairness(ctx, operator())
		if err != nil {
			return err
		}
		if len(stats) == 0 {
			fmt.Fprintln(e.stdout, "no decisions in the policy's window")
			return nil
		}
		fmt.Fprintf(e.stdout, "%-36s %9s %14s %10s  %s\n", "decider", "decisions", "mean deviation", "deviating", "flag (J5)")
		for _, s := range stats {
			flag := ""
			if s.Flag != "" {
				flag = fmt.Sprintf("%s, to %s", s.Flag, orNone(string(s.FlaggedTo)))
			}
			fmt.Fprintf(e.stdout, "%-36s %9d %+14.2f %9.0f%%  %s\n", s.Decider, s.Decisions, s.MeanDeviation, 100*s.DeviationShare, flag)
		}
		return nil
	})
}

func runLedger(ctx context.Context, e env, args []string) error {
	return withApp(ctx, e, "ledger", "LEADER", args, 1, func(a *app.App, pos []string) error {
		ref, err := org.ParseRef(pos[0], org.KindUser)
		if err != nil {
			return err
		}
		l, err := a.Ledger(ctx, operator(), ref)
		if err != nil {
			return err
		}
		w := e.stdout
		fmt.Fprintf(w, "Ledger of %s, leading %s\n", l.Leader, joinRefs(l.Teams))
		fmt.Fprintf(w, "A4 faults (unclear ownership in their organisation): %d%s\n", l.A4Total, newest(len(l.A4Faults), l.A4Total))
		for _, f := range l.A4Faults {
			fmt.Fprintf(w, "  %s %s %s %s\n", f.StartedAt.Format("2006-01-02"), f.Incident, f.Severity, printable(f.Title))
		}
		fmt.Fprintf(w, "Own faults: %d\n", l.OwnTotal)
		fmt.Fprintf(w, "Overdue follow-ups in their organisation: %d\n", l.OverdueTotal)
		for _, f := range l.OverdueFollowUps {
			fmt.Fprintf(w, "  %s due %s, %s: %s\n", f.ID, f.Due.Format("2006-01-02"), f.Owner, printable(f.Title))
		}
		if l.Fairness != nil {
			fmt.Fprintf(w, "Fairness (J5): %d decisions, mean deviation %+.2f, %s\n", l.Fairness.Decisions, l.Fairness.MeanDeviation, orNone(l.Fairness.Flag))
		}
		fmt.Fprintf(w, "Fairness flags (A8): %d\n", len(l.FairnessFlags))
		for _, f := range l.FairnessFlags {
			fmt.Fprintf(w, "  %s %s: %s\n", f.CreatedAt.Format("2006-01-02"), f.Incident, printable(f.Detail))
		}
		return nil
	})
}

func integrityList(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "integrity list", "[--incident ID] [--state open|confirmed|dismissed] [--db DSN]")
	dsn := dbFlag(e, fs)
	id := fs.String("incident", "", "only this incident's flags")
	state := fs.String("state", "", "only flags in this state: open, confirmed or dismissed")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		flags, err := a.IntegrityFlags(ctx, operator(), incident.ID(*id), integrity.State(*state))
		if err != nil {
			return err
		}
		for _, f := range flags {
			fmt.Fprintf(e.stdout, "%s  %s  %-9s %s  %s\n", f.ID, f.Rule, f.State, orNone(string(f.Incident)), printable(firstDetail(f.Flag)))
		}
		fmt.Fprintf(e.stdout, "%d flag(s)\n", len(flags))
		return nil
	})
}

func integrityReview(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "integrity review", "FLAG (--confirm --subject REF | --dismiss) --reason TEXT [--db DSN]")
	dsn := dbFlag(e, fs)
	confirm := fs.Bool("confirm", false, "confirm the flag (needs --subject)")
	dismiss := fs.Bool("dismiss", false, "dismiss the flag")
	subject := fs.String("subject", "", "confirm: the person whose integrity the flag concerns")
	reason := fs.String("reason", "", "why (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *confirm == *dismiss {
		fs.Usage()
		return errUsage
	}
	var who org.Ref
	if *subject != "" {
		var err error
		if who, err = org.ParseRef(*subject, org.KindUser); err != nil {
			return err
		}
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		v, err := a.ReviewFlag(ctx, operator(), fs.Arg(0), *confirm, who, *reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "flag %s (%s) is %s\n", v.ID, v.Rule, v.State)
		return nil
	})
}

func integritySweep(ctx context.Context, e env, args []string) error {
	return withApp(ctx, e, "integrity sweep", "", args, 0, func(a *app.App, _ []string) error {
		n, err := a.SweepIntegrity(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "raised %d new flag(s)\n", n)
		return nil
	})
}

func firstDetail(f integrity.Flag) string {
	if len(f.Evidence) == 0 {
		return ""
	}
	return f.Evidence[0].Detail
}

func joinRefs(refs []org.Ref) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// withApp parses a subcommand that takes only --db and exactly n
// positional arguments, opens the app and runs fn.
func withApp(ctx context.Context, e env, name, synopsis string, args []string, n int, fn func(*app.App, []string) error) error {
	fs := flagSet(e, name, strings.TrimSpace(synopsis+" [--db DSN]"))
	dsn := dbFlag(e, fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != n {
		fs.Usage()
		return errUsage
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error { return fn(a, fs.Args()) })
}

// openThen opens the app over dsn, under the environment's policy, and runs
// fn.
func openThen(ctx context.Context, e env, dsn string, fn func(*app.App) error) error {
	a, closeDB, err := openApp(ctx, dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	return fn(a)
}

// newest says, after a count, that the lines below it are only the newest.
func newest(shown, total int) string {
	if shown >= total {
		return ""
	}
	return fmt.Sprintf(" (the newest %d below)", shown)
}
