package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
)

// entitiesFlag collects --entity REF flags; a trailing "*" marks the
// origin.
type entitiesFlag []incident.FailedEntity

func (f *entitiesFlag) String() string { return fmt.Sprint(*f) }

func (f *entitiesFlag) Set(s string) error {
	origin := strings.HasSuffix(s, "*")
	ref, err := catalog.ParseRef(strings.TrimSuffix(s, "*"))
	if err != nil {
		return err
	}
	*f = append(*f, incident.FailedEntity{Ref: ref, Origin: origin})
	return nil
}

func incidentCreate(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "incident create", "--title T --severity SEVn --started-at TIME --entity REF[*]… [--summary TEXT] [--db DSN]")
	dsn := dbFlag(e, fs)
	title := fs.String("title", "", "what went wrong")
	sev := fs.String("severity", "", "SEV1 (worst) to SEV4")
	started := fs.String("started-at", "", "when it started (RFC 3339)")
	summary := fs.String("summary", "", "a short summary")
	var ents entitiesFlag
	fs.Var(&ents, "entity", "a failed entity (repeat); end it with * to mark the origin, e.g. component:checkout*")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	var p errs.Problems
	in := app.IncidentInput{Title: *title, Summary: *summary, Entities: ents}
	if s, err := incident.ParseSeverity(*sev); err != nil {
		p.Add("severity", "%q is not a severity: use SEV1, SEV2, SEV3 or SEV4", *sev)
	} else {
		in.Severity = s
	}
	if t, err := time.Parse(time.RFC3339, *started); err != nil {
		p.Add("started-at", "%q is not an RFC 3339 time (like 2026-11-20T14:05:00Z)", *started)
	} else {
		in.StartedAt = t
	}
	if err := p.Err(); err != nil {
		return err
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	inc, err := a.DeclareIncident(ctx, operator(), in)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, inc.ID)
	return nil
}

func incidentList(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "incident list", "[--status S] [--severity SEVn] [--source S] [--limit N] [--db DSN]")
	dsn := dbFlag(e, fs)
	status := fs.String("status", "", "open, mitigated or resolved")
	source := fs.String("source", "", "manual, or the alert source that opened it: alertmanager, grafana, pagerduty, opsgenie, generic")
	sev := fs.String("severity", "", "SEV1 … SEV4")
	limit := fs.Int("limit", 20, "how many, newest first")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	f := incident.Filter{Limit: *limit, Status: incident.Status(*status), Source: *source}
	if *sev != "" {
		s, err := incident.ParseSeverity(*sev)
		if err != nil {
			return err
		}
		f.Severity = s
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	list, err := a.Incidents(ctx, operator(), f)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEV\tSTATUS\tSTARTED\tSOURCE\tTITLE")
	for _, in := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.Severity, in.Status, in.StartedAt.Format("2006-01-02 15:04"),
			printable(in.Source), printable(in.Title))
	}
	return tw.Flush()
}

func incidentShow(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "incident show", "ID [--db DSN]")
	dsn := dbFlag(e, fs)
	if err := parse(fs, args); err != nil {
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
	inc, err := a.Incident(ctx, operator(), id)
	if err != nil {
		return err
	}
	attr, err := a.Attribution(ctx, operator(), id)
	if err != nil {
		return err
	}
	printIncident(e.stdout, inc, attr)
	alerts, err := a.IncidentAlertView(ctx, operator(), id)
	if err != nil {
		return err
	}
	printAlerts(e.stdout, alerts)
	return nil
}

// printAlerts lists an incident's alerts from the hooks, if it has any.
func printAlerts(w io.Writer, v app.AlertView) {
	if len(v.Groups) == 0 {
		return
	}
	fmt.Fprintf(w, "\nAlerts: %d firing, %d resolved (%d events)\n", v.Firing, v.Resolved, v.Events)
	for _, g := range v.Groups {
		current := ""
		if !g.Current {
			current = " (an earlier incident's)"
		}
		fmt.Fprintf(w, "  group      %s %s%s\n", g.Source, printable(g.Key), current)
	}
	for _, al := range v.Alerts {
		when := al.FiredAt.Format(time.RFC3339)
		if al.Status == "resolved" {
			when += " to " + al.ResolvedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "  %-9s  %s %s  %s\n", al.Status, printable(al.Labels["alertname"]), printable(labelText(al.Labels)), when)
	}
	if shown := len(v.Alerts); shown < v.Total() {
		fmt.Fprintf(w, "  … and %d more\n", v.Total()-shown)
	}
}

// labelText is labels as name=value, sorted, the alert name left out.
func labelText(labels map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if k != "alertname" {
			parts = append(parts, k+"="+labels[k])
		}
	}
	return strings.Join(parts, " ")
}

func printIncident(w io.Writer, in incident.Incident, attr app.AttributionView) {
	fmt.Fprintf(w, "%s  %s  %s\n%s\n\n", in.ID, in.Severity, in.Status, printable(in.Title))
	for _, t := range []struct {
		name string
		at   time.Time
	}{{"started", in.StartedAt}, {"detected", in.DetectedAt}, {"declared", in.DeclaredAt}, {"mitigated", in.MitigatedAt}, {"resolved", in.ResolvedAt}} {
		if !t.at.IsZero() {
			fmt.Fprintf(w, "  %-10s %s\n", t.name, t.at.Format(time.RFC3339))
		}
	}
	for _, fe := range in.Entities {
		mark := ""
		if fe.Origin {
			mark = " (origin)"
		}
		fmt.Fprintf(w, "  failed     %s%s\n", fe.Ref, mark)
	}
	s := attr.Suggestion
	fmt.Fprintf(w, "\nSuggested party: %s (%s)\n", orNone(string(s.Party)), s.Rule)
	for _, st := range s.Explanation {
		mark := "  "
		switch {
		case st.Applied:
			mark = "=>"
		case st.Fired:
			mark = " +"
		}
		fmt.Fprintf(w, "  %s %s: %s\n", mark, st.Rule, printable(st.Reason))
	}
	if d := attr.Decision; d != nil {
		fmt.Fprintf(w, "\nDecided: %s (%s) by %s on %s\n", d.Party, d.Rule, d.DecidedBy, d.DecidedAt.Format("2006-01-02"))
		if d.Justification != "" {
			fmt.Fprintf(w, "  justification: %s\n", printableBlock(d.Justification, "    "))
		}
	} else {
		fmt.Fprintln(w, "\nNo party decided yet.")
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
