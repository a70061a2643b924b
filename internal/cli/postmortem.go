package cli

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
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

// postmortemArgs parses a postmortem verb's flags and its one argument,
// the incident's ID.
func postmortemArgs(fs *flags, args []string) (incident.ID, error) {
	if err := parse(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return "", errUsage
	}
	return incident.ParseID(fs.Arg(0))
}

func postmortemShow(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "postmortem show", "ID [--db DSN]")
	dsn := dbFlag(e, fs)
	id, err := postmortemArgs(fs, args)
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		v, err := a.Postmortem(ctx, operator(), id)
		if err != nil {
			return err
		}
		printPostmortem(e, v, a.Now())
		return nil
	})
}

func postmortemDecide(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "postmortem decide", "ID --party REF [--justification TEXT] [--db DSN]")
	dsn := dbFlag(e, fs)
	party := fs.String("party", "", "the one accountable person or team")
	justification := fs.String("justification", "", "why, when the party differs from the suggestion (A8)")
	id, err := postmortemArgs(fs, args)
	if err != nil {
		return err
	}
	ref, err := org.ParseRef(*party, "")
	if err != nil {
		return errs.Field("party", "%s (exactly one person or team, A1)", err)
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		d, err := a.DecideAttribution(ctx, operator(), id, ref, *justification)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %s is accountable (%s)\n", id, d.Party, d.Rule)
		return nil
	})
}

func postmortemMove(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "postmortem move", "ID --to STATE [--db DSN]")
	dsn := dbFlag(e, fs)
	to := fs.String("to", "", "draft, in_review, published or closed")
	id, err := postmortemArgs(fs, args)
	if err != nil {
		return err
	}
	st, err := postmortem.ParseState(*to)
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		v, err := a.TransitionPostmortem(ctx, operator(), id, st)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: postmortem is %s\n", id, v.State)
		return nil
	})
}

func printPostmortem(e env, v app.PostmortemView, now time.Time) {
	w := e.stdout
	fmt.Fprintf(w, "Postmortem of %s: %s\nstate: %s", v.Incident.ID, printable(v.Incident.Title), v.State)
	if !v.Due.IsZero() {
		fmt.Fprintf(w, ", due %s", v.Due.Format("2006-01-02"))
		if v.Overdue {
			fmt.Fprint(w, " (OVERDUE)")
		}
	}
	fmt.Fprintln(w)
	for _, s := range []struct{ name, text string }{{"Summary", v.Summary}, {"Impact", v.Impact}, {"Mechanism", v.Mechanism}, {"Went well", v.WentWell}, {"Went poorly", v.WentPoorly}} {
		if s.text != "" {
			fmt.Fprintf(w, "\n%s:\n  %s\n", s.name, printableBlock(s.text, "  "))
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
		fmt.Fprintf(w, "  %s  %-7s due %s%s  %s — %s\n", f.ID, f.Status, f.Due.Format("2006-01-02"), late, printable(f.Title), f.Owner)
	}
}

func followUpCreate(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "followup create", "--incident ID --title T --owner REF [--due YYYY-MM-DD] [--db DSN]")
	dsn := dbFlag(e, fs)
	inc := fs.String("incident", "", "the incident it follows")
	title := fs.String("title", "", "what will be done")
	owner := fs.String("owner", "", "its one owner, a person or a team")
	due := fs.String("due", "", "due date (default by severity, F2)")
	if err := noArgs(fs, args); err != nil {
		return err
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
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		f, err := a.CreateFollowUp(ctx, operator(), in)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s due %s, owned by %s\n", f.ID, f.Due.Format("2006-01-02"), f.Owner)
		return nil
	})
}

func followUpList(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "followup list", "[--incident ID] [--overdue] [--db DSN]")
	dsn := dbFlag(e, fs)
	inc := fs.String("incident", "", "only this incident's follow-ups")
	overdue := fs.Bool("overdue", false, "only overdue ones")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
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
			fmt.Fprintf(e.stdout, "%s  %-7s due %s  %s — %s (%s)\n", fu.ID, fu.Status, fu.Due.Format("2006-01-02"), printable(fu.Title), fu.Owner, fu.Incident)
		}
		return nil
	})
}

func reviewWeek(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "review week", "[YYYY-Www] [--format md|json|html|slack] [--db DSN]")
	dsn := dbFlag(e, fs)
	format := fs.String("format", "md", "md, json, html (the page the server shows, standalone), or slack (Block Kit JSON to post to an incoming webhook)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return errUsage
	}
	if *format != "md" && *format != "json" && *format != "html" && *format != "slack" {
		return errs.Field("format", "%q is not a format: use md, json, html or slack", *format)
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		week := review.WeekOf(a.Now())
		if fs.NArg() > 0 {
			var err error
			if week, err = review.ParseWeek(fs.Arg(0)); err != nil {
				return err
			}
		}
		rv, err := a.WeeklyReview(ctx, operator(), week)
		if err != nil {
			return err
		}
		switch *format {
		case "json":
			return writeJSON(e.stdout, func(w io.Writer) error { return web.EncodeReview(w, rv) })
		case "html":
			info, _ := debug.ReadBuildInfo()
			return web.WriteReviewHTML(e.stdout, rv, a.Now(), version(info))
		case "slack":
			return writeJSON(e.stdout, func(w io.Writer) error {
				b, err := review.SlackJSON(rv, "")
				if err == nil {
					_, err = w.Write(b)
				}
				return err
			})
		}
		_, err = fmt.Fprint(e.stdout, printableText(review.Markdown(rv)))
		return err
	})
}
