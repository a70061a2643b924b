package cli

import (
	"context"
	"fmt"

	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/web"
)

func runPostmortem(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "decide" && args[0] != "move") {
		fmt.Fprintln(e.stderr, "Usage: blameful postmortem show ID | decide ID --party REF [--justification TEXT] | move ID --to STATE")
		return errUsage
	}
	verb := args[0]
	fs := flagSet(e, "postmortem "+verb, "ID [flags]")
	dsn := dbFlag(e, fs)
	party := fs.String("party", "", "decide: the one accountable person or team")
	justification := fs.String("justification", "", "decide: why, when the party differs from the suggestion (A8)")
	to := fs.String("to", "", "move: draft, in_review, published or closed")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	id, err := incident.ParseID(fs.Arg(0))
	if err != nil {
		return err
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	switch verb {
	case "decide":
		ref, err := org.ParseRef(*party, "")
		if err != nil {
			return errs.Field("party", "%s (exactly one person or team, A1)", err)
		}
		d, err := a.DecideAttribution(ctx, operator(), id, ref, *justification)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %s is accountable (%s)\n", id, d.Party, d.Rule)
		return nil
	case "move":
		st, err := postmortem.ParseState(*to)
		if err != nil {
			return err
		}
		v, err := a.TransitionPostmortem(ctx, operator(), id, st)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: postmortem is %s\n", id, v.State)
		return nil
	}
	v, err := a.Postmortem(ctx, operator(), id)
	if err != nil {
		return err
	}
	printPostmortem(e, v, a.Now())
	return nil
}

func printPostmortem(e env, v app.PostmortemView, now time.Time) {
	w := e.stdout
	fmt.Fprintf(w, "Postmortem of %s: %s\nstate: %s", v.Incident.ID, v.Incident.Title, v.State)
	if !v.Due.IsZero() {
		fmt.Fprintf(w, ", due %s", v.Due.Format("2006-01-02"))
		if v.Overdue {
			fmt.Fprint(w, " (OVERDUE)")
		}
	}
	fmt.Fprintln(w)
	for _, s := range []struct{ name, text string }{{"Summary", v.Summary}, {"Impact", v.Impact}, {"Mechanism", v.Mechanism}, {"Went well", v.WentWell}, {"Went poorly", v.WentPoorly}} {
		if s.text != "" {
			fmt.Fprintf(w, "\n%s:\n  %s\n", s.name, s.text)
		}
	}
	if d := v.Decision; d != nil {
		fmt.Fprintf(w, "\nAccountable: %s (%s)\n", d.Party, d.Rule)
	} else {
		fmt.Fprintln(w, "\nAccountable: not decided (publishing needs exactly one party, A1)")
	}
	fmt.Fprintf(w, "\nFollow-ups (%d):\n", len(v.FollowUps))
	for _, f := range v.FollowUps {
		late := ""
		if f.IsOverdue(now) {
			late = " OVERDUE"
		}
		fmt.Fprintf(w, "  %s  %-7s due %s%s  %s — %s\n", f.ID, f.Status, f.Due.Format("2006-01-02"), late, f.Title, f.Owner)
	}
}

func runFollowUp(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list") {
		fmt.Fprintln(e.stderr, "Usage: blameful followup create --incident ID --title T --owner REF [--due YYYY-MM-DD] | list [--overdue]")
		return errUsage
	}
	verb := args[0]
	fs := flagSet(e, "followup "+verb, "[flags]")
	dsn := dbFlag(e, fs)
	inc := fs.String("incident", "", "the incident")
	title := fs.String("title", "", "create: what will be done")
	owner := fs.String("owner", "", "create: its one owner, a person or a team")
	due := fs.String("due", "", "create: due date (default by severity, F2)")
	overdue := fs.Bool("overdue", false, "list: only overdue ones")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	if verb == "list" {
		f := followup.Filter{Limit: 200}
		if *inc != "" {
			f.Incident = incident.ID(strings.ToUpper(*inc))
		}
		if *overdue {
			f.Status, f.DueBefore = followup.Open, followup.Day(a.Now())
		}
		list, err := a.FollowUps(ctx, operator(), f)
		if err != nil {
			return err
		}
		for _, fu := range list {
			fmt.Fprintf(e.stdout, "%s  %-7s due %s  %s — %s (%s)\n", fu.ID, fu.Status, fu.Due.Format("2006-01-02"), fu.Title, fu.Owner, fu.Incident)
		}
		return nil
	}
	var p errs.Problems
	in := app.FollowUpInput{Title: *title}
	id, err := incident.ParseID(*inc)
	if err != nil {
		p.Add("incident", "%s", err)
	}
	in.Incident = id
	if in.Owner, err = org.ParseRef(*owner, ""); err != nil {
		p.Add("owner", "exactly one owner, a person or a team (F2): %s", err)
	}
	if *due != "" {
		if in.Due, err = followup.ParseDay(*due); err != nil {
			p.Add("due", "%q is not a date (YYYY-MM-DD)", *due)
		}
	}
	if err := p.Err(); err != nil {
		return err
	}
	f, err := a.CreateFollowUp(ctx, operator(), in)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s due %s, owned by %s\n", f.ID, f.Due.Format("2006-01-02"), f.Owner)
	return nil
}

func runReview(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "week" {
		fmt.Fprintln(e.stderr, "Usage: blameful review week [YYYY-Www] [--format md|json]")
		return errUsage
	}
	fs := flagSet(e, "review week", "[YYYY-Www] [--format md|json]")
	dsn := dbFlag(e, fs)
	format := fs.String("format", "md", "md or json")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *format != "md" && *format != "json" {
		return errs.Field("format", "%q is not a format: use md or json", *format)
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	week := review.WeekOf(a.Now())
	if fs.NArg() > 0 {
		if week, err = review.ParseWeek(fs.Arg(0)); err != nil {
			return err
		}
	}
	rv, err := a.WeeklyReview(ctx, operator(), week)
	if err != nil {
		return err
	}
	if *format == "json" {
		return web.EncodeReview(e.stdout, rv)
	}
	_, err = fmt.Fprint(e.stdout, review.Markdown(rv))
	return err
}
