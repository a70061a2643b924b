package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/org"
)

// cliTime parses an optional RFC 3339 flag; "" is the zero time.
func cliTime(p *errs.Problems, field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		p.Add(field, "%q is not an RFC 3339 time (like 2026-11-20T14:05:00Z)", s)
	}
	return t
}

// cliPerson parses an optional person flag; "" is zero.
func cliPerson(p *errs.Problems, field, s string) org.Ref {
	if s == "" {
		return ""
	}
	r, err := org.ParseRef(s, org.KindUser)
	if err != nil {
		p.Add(field, "%s", errMessage(err))
	}
	return r
}

func errMessage(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Message
	}
	return err.Error()
}

// changeRecord records a deploy: a deploy script calls it after shipping.
func changeRecord(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "change record", "--entity REF --actor REF --ref REF [--at TIME] [--source S] [--exception-approved-by REF] [--db DSN | --server URL]")
	dsn := dbFlag(e, fs)
	server := fs.String("server", e.getenv("BLAMEFUL_SERVER"),
		"record through a running server's API instead of the database, with the API token in BLAMEFUL_TOKEN (env BLAMEFUL_SERVER)")
	entity := fs.String("entity", "", "the entity changed, e.g. component:checkout-api")
	actor := fs.String("actor", "", "the person who made the change, e.g. user:bob")
	ref := fs.String("ref", "", "the version, tag or commit that went out")
	at := fs.String("at", "", "when it went out (RFC 3339; default now)")
	source := fs.String("source", "", "where the record comes from: ci, argo… (default manual)")
	approver := fs.String("exception-approved-by", "", "the leader above the entity's owner who let it through a freeze (A6)")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	var p errs.Problems
	in := app.ChangeInput{Ref: *ref, Source: *source, At: cliTime(&p, "at", *at), Actor: cliPerson(&p, "actor", *actor),
		ExceptionApprovedBy: cliPerson(&p, "exception-approved-by", *approver)}
	if r, err := catalog.ParseRef(*entity); err != nil {
		p.Add("entity", "%s", errMessage(err))
	} else {
		in.Entity = r
	}
	if err := p.Err(); err != nil {
		return err
	}
	if *server != "" {
		id, err := postChange(ctx, *server, e.getenv("BLAMEFUL_TOKEN"), in)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, id)
		return nil
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		c, err := a.RecordChange(ctx, operator(), in)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, c.ID)
		return nil
	})
}

// changeList prints recent changes.
func changeList(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "change list", "[--entity REF] [--since TIME] [--db DSN]")
	dsn := dbFlag(e, fs)
	entity := fs.String("entity", "", "only this entity's changes")
	since := fs.String("since", "", "only changes at or after this time (RFC 3339)")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	var p errs.Problems
	f := app.ChangeFilter{Since: cliTime(&p, "since", *since), Limit: 200}
	if *entity != "" {
		r, err := catalog.ParseRef(*entity)
		if err != nil {
			p.Add("entity", "%s", errMessage(err))
		}
		f.Entity = r
	}
	if err := p.Err(); err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		list, err := a.Changes(ctx, operator(), f)
		if err != nil {
			return err
		}
		for _, c := range list {
			exc := ""
			if !c.ExceptionApprovedBy.IsZero() {
				exc = "  exception by " + string(c.ExceptionApprovedBy)
			}
			by := string(c.Actor)
			if by == "" {
				by = "nobody of the org" // a GitHub login no person has
			}
			fmt.Fprintf(e.stdout, "%s  %s  %s %s by %s (%s)%s\n", c.ID, c.At.Format(time.RFC3339), c.Entity, printable(c.Ref), by, printable(c.Source), exc)
		}
		return nil
	})
}

// freezeCreate opens a freeze window.
func freezeCreate(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "freeze create", "--start TIME --end TIME --scope all|REF,… --reason TEXT [--db DSN]")
	dsn := dbFlag(e, fs)
	start := fs.String("start", "", "when the freeze begins (RFC 3339)")
	end := fs.String("end", "", "when it ends (RFC 3339), after start")
	scope := fs.String("scope", "", `"all", or entities and teams separated by commas, e.g. group:payments,component:checkout-api`)
	reason := fs.String("reason", "", "why changes must wait")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	var p errs.Problems
	in := app.FreezeInput{Start: cliTime(&p, "start", *start), End: cliTime(&p, "end", *end), Reason: *reason}
	if *start == "" {
		p.Add("start", "is required")
	}
	if *end == "" {
		p.Add("end", "is required")
	}
	if strings.EqualFold(strings.TrimSpace(*scope), "all") {
		in.Everything = true
	} else {
		for _, s := range strings.Split(*scope, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			r, err := catalog.ParseRef(s)
			if strings.HasPrefix(strings.ToLower(s), org.KindGroup+":") {
				r, err = org.ParseRef(s, org.KindGroup)
			}
			if err != nil {
				p.Add("scope", "%s", errMessage(err))
				break
			}
			in.Scope = append(in.Scope, r)
		}
	}
	if err := p.Err(); err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		f, err := a.CreateFreeze(ctx, operator(), in)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, f.ID)
		return nil
	})
}

// freezeList prints freezes, all or those in force at a moment.
func freezeList(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "freeze list", "[--at TIME] [--db DSN]")
	dsn := dbFlag(e, fs)
	at := fs.String("at", "", "only the freezes in force at this time (RFC 3339)")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	var p errs.Problems
	t := cliTime(&p, "at", *at)
	if err := p.Err(); err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		list, err := a.Freezes(ctx, operator(), t)
		if err != nil {
			return err
		}
		now := a.Now()
		for _, f := range list {
			fmt.Fprintf(e.stdout, "%s  %-8s %s → %s  %s — %s\n", f.ID, f.At(now), f.Start.Format(time.RFC3339), f.End.Format(time.RFC3339),
				scopeText(f), printable(f.Reason))
		}
		return nil
	})
}

// scopeText is a freeze's scope in one line.
func scopeText(f freeze.Freeze) string {
	if f.Everything {
		return "everything"
	}
	s := make([]string, len(f.Scope))
	for i, r := range f.Scope {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
