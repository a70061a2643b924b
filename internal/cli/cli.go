// Package cli is blameful's command line: it parses flags and BLAMEFUL_*
// environment variables into a config, opens the database, wires the app
// and the web server together, and runs one subcommand.
package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// Version is the build's version, set with -ldflags "-X …cli.Version=…".
// Left at "dev", the version command and the server use the module
// version the Go toolchain stamped, if any (see version).
var Version = "dev"

// env is the process environment, passed in so tests can set it.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand. It either runs itself (serve, version) or
// has verbs (incident create, incident show), which dispatch routes to.
type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
	verbs   []verb
}

// verb is one action of a command with verbs. Each verb parses its own
// flags, so its -h lists only those.
type verb struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":   {summary: "run the server (web UI, API, webhooks)", run: runServe},
		"demo":    {summary: "load a realistic demo organisation with a year of history", run: runDemo},
		"migrate": {summary: "apply pending database migrations", run: runMigrate},
		"import": {summary: "org FILE | backstage PATH… | codeowners --repo R FILE: people, teams and ownership", verbs: []verb{
			{"org", "FILE: blameful's org file", importOrg},
			{"backstage", "PATH…: Backstage catalog files, or directories of them", importBackstage},
			{"codeowners", "--repo OWNER/NAME FILE: a repository's CODEOWNERS, who owns which paths", importCodeowners},
		}},
		"incident": {summary: "create|list|show incidents", verbs: []verb{
			{"create", "declare an incident", incidentCreate},
			{"list", "the newest incidents", incidentList},
			{"show", "ID: an incident and its attribution", incidentShow},
		}},
		"postmortem": {summary: "show|decide|move a postmortem", verbs: []verb{
			{"show", "ID: a postmortem and its follow-ups", postmortemShow},
			{"decide", "ID --party REF: decide the one accountable party (A1, A8)", postmortemDecide},
			{"move", "ID --to STATE: move a postmortem to another state", postmortemMove},
		}},
		"followup": {summary: "create|list|show|done|wont-do|approve|export follow-ups", verbs: []verb{
			{"create", "a follow-up with one owner and a due date (F2)", followUpCreate},
			{"list", "follow-ups, of one incident or overdue", followUpList},
			{"show", "ID: a follow-up, its wont_do requests and the reminders sent", followUpShow},
			{"done", "ID: mark a follow-up done", followUpDone},
			{"wont-do", "ID --reason TEXT: ask to drop it; the owner's leader approves (F3)", followUpWontDo},
			{"approve", "ID --as LEADER [--refuse --reason TEXT]: decide a wont_do (F3)", followUpApprove},
			{"export", "ID --repo OWNER/NAME: create its issue in GitHub; closing the issue marks it done", followUpExport},
		}},
		"change": {summary: "record|list deploys and configuration changes (A6)", verbs: []verb{
			{"record", "a deploy or config change: entity, actor, ref; for deploy scripts", changeRecord},
			{"list", "recent changes, of one entity or since a time", changeList},
		}},
		"recurrence": {summary: "candidates|confirm|dismiss: earlier incidents an incident recurs (F6, F7)", verbs: []verb{
			{"candidates", "ID: the earlier incidents it may recur, best first, with reasons", recurrenceCandidates},
			{"confirm", "ID --earlier ID: a confirmed recurrence; records missed follow-ups (F7)", recurrenceDecide(true)},
			{"dismiss", "ID --earlier ID: not a recurrence; withdraws its missed follow-ups", recurrenceDecide(false)},
		}},
		"freeze": {summary: "create|list code freezes (A6)", verbs: []verb{
			{"create", "a freeze window over everything or listed entities and teams", freezeCreate},
			{"list", "freezes, all or those in force at a time", freezeList},
		}},
		"jobs": {summary: "run the background jobs that are due, once", verbs: []verb{
			{"run", "[--at TIME]: reminders, escalations (F4), the F5 check, the weekly digest, delivery", jobsRun},
		}},
		"review": {summary: "week [YYYY-Www] --format md|json|html|slack: the weekly review", verbs: []verb{
			{"week", "[YYYY-Www]: the weekly review, as Markdown, JSON, HTML or a Slack summary", reviewWeek},
		}},
		"user": {summary: "add|reset|disable|enable|link|unlink: login accounts for the web pages", verbs: []verb{
			{"add", "EMAIL --person REF: an account; sets the password from a file or prints a link to set it", userAdd},
			{"reset", "EMAIL: print a new one-time link to set the account's password", userReset},
			{"disable", "EMAIL: stop an account logging in, and end its sessions", userSetDisabled(true)},
			{"link", "EMAIL --oidc-subject SUB: log the account in when the OpenID provider names SUB", userLink},
			{"unlink", "EMAIL: stop the OpenID provider's logins reaching the account", userUnlink},
			{"enable", "EMAIL: let a disabled account log in again", userSetDisabled(false)},
		}},
		"token": {summary: "create|list|revoke: API tokens", verbs: []verb{
			{"create", "a token acting as a person or with roles; shown once", tokenCreate},
			{"list", "every token: who it acts as, its roles, last use, expiry and revocation", tokenList},
			{"revoke", "ID|NAME: stop a token working, on every server within a second", tokenRevoke},
		}},
		"audit": {summary: "verify|checkpoint|keygen: the audit chain and its signed checkpoints", verbs: []verb{
			{"verify", "walk the chain, and check it against signed checkpoints", runAuditVerify},
			{"checkpoint", "sign a checkpoint of the chain's head", runAuditCheckpoint},
			{"keygen", "make a checkpoint signing key", func(_ context.Context, e env, args []string) error { return runAuditKeygen(e, args) }},
		}},
		"policy": {summary: "show|check: the policy file behind the rules' numbers", verbs: []verb{
			{"show", "print the built-in policy file", policyShow},
			{"check", "[FILE]: check a policy file (default: $BLAMEFUL_POLICY)", policyCheck},
		}},
		"assessment": {summary: "show ID: an incident's accountability assessment (J1-J8)", verbs: []verb{
			{"show", "ID: an incident's accountability assessment", assessmentShow},
		}},
		"fairness": {summary: "per-decider consistency of decisions against guidance (J5)", run: runFairness},
		"ledger":   {summary: "LEADER: a leader's ledger (J6)", run: runLedger},
		"integrity": {summary: "list|review|sweep: integrity flags (I1-I7)", verbs: []verb{
			{"list", "integrity flags, of one incident or in one state", integrityList},
			{"review", "FLAG: confirm or dismiss a flag (I7)", integrityReview},
			{"sweep", "raise the flags that time alone reveals (I5)", integritySweep},
		}},
		"person": {summary: "export|erase: a person's data (access and erasure requests)", verbs: []verb{
			{"export", "REF: every row that names a person, as JSON", personExport},
			{"erase", "REF --reason TEXT: blank a person's personal fields", personErase},
		}},
		"version": {summary: "print the version and how the binary was built", run: runVersion},
	}
}

// Run runs the command line args and returns the process exit code: 0 on
// success, 1 on failure, 2 on a usage error. Help that was asked for (-h,
// --help, help) goes to stdout with 0; usage after a mistake goes to stderr
// with 2.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(ctx, env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}, args)
}

func run(ctx context.Context, e env, args []string) int {
	cmds := commands()
	if len(args) == 0 {
		usage(e.stderr, cmds)
		return 2
	}
	if isHelp(args[0]) {
		// "blameful help incident show" is "blameful incident show -h".
		if len(args) == 1 || isHelp(args[1]) {
			usage(e.stdout, cmds)
			return 0
		}
		return run(ctx, e, append(args[1:len(args):len(args)], "-h"))
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "blameful: unknown command %q\n\n", args[0])
		usage(e.stderr, cmds)
		return 2
	}
	err := cmd.dispatch(ctx, e, args[0], args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errSilent):
		return 1
	}
	fmt.Fprintf(e.stderr, "blameful %s: %s\n", args[0], printableText(describe(err)))
	return 1
}

// errUsage marks a usage error already reported by the flag set.
var errUsage = errors.New("usage")

// errSilent is a failure already explained on stdout (audit verify).
var errSilent = errors.New("failed")

// describe renders an error for a terminal: the message, the rule, and
// each field problem on its own line.
func describe(err error) string {
	e, ok := errs.As(err)
	if !ok || error(e) != err {
		return err.Error() // wrapped with context worth showing
	}
	var b strings.Builder
	b.WriteString(e.Message)
	if e.Rule != "" && !strings.Contains(e.Message, e.Rule) {
		b.WriteString(" [" + e.Rule + "]")
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 1 || (len(keys) == 1 && !strings.Contains(e.Message, e.Fields[keys[0]])) {
		for _, k := range keys {
			fmt.Fprintf(&b, "\n  %s: %s", k, e.Fields[k])
		}
	}
	if e.Kind == errs.Internal && e.Cause != nil {
		b.WriteString(": " + e.Cause.Error())
	}
	return b.String()
}

// flags is a subcommand's flag set, with the environment it reports to.
type flags struct {
	*flag.FlagSet
	e env
}

// flagSet makes a subcommand's flag set. Its usage goes to stdout when
// asked for with -h and to stderr after a mistake (see parse).
func flagSet(e env, name, synopsis string) *flags {
	fs := flag.NewFlagSet("blameful "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, strings.TrimSpace("Usage: blameful "+name+" "+synopsis))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return &flags{FlagSet: fs, e: e}
}

// parse parses args. Asked for help, it prints the usage to stdout and
// returns flag.ErrHelp (exit 0); given a bad flag, it prints the problem
// and the usage to stderr and returns errUsage (exit 2).
// Flags may come before or after positional arguments: "show ID --db X"
// works as well as "show --db X ID".
func parse(fs *flags, args []string) error {
	var out bytes.Buffer
	fs.SetOutput(&out)
	err := fs.Parse(reorder(fs.FlagSet, args))
	fs.SetOutput(fs.e.stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.e.stdout.Write(out.Bytes())
		return err
	case err != nil:
		fs.e.stderr.Write(out.Bytes())
		return errUsage
	}
	return nil
}

// noArgs parses a verb that takes no positional arguments.
func noArgs(fs *flags, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(fs.e.stderr, "%s: unexpected argument %q\n", fs.Name(), printable(fs.Arg(0)))
		fs.Usage()
		return errUsage
	}
	return nil
}

// dbFlag adds --db, defaulting to BLAMEFUL_DB, else sqlite:blameful.db.
func dbFlag(e env, fs *flags) *string {
	def := e.getenv("BLAMEFUL_DB")
	if def == "" {
		def = "sqlite:blameful.db"
	}
	return fs.String("db", def, "database: sqlite:PATH or postgres://… (env BLAMEFUL_DB)")
}

// openApp opens the database and returns the app over it, under the policy
// file (the built-in policy when it is empty). A fresh database is
// migrated; an older schema is refused unless migrate is set (serve
// -migrate, or the migrate command).
func openApp(ctx context.Context, dsn string, migrate bool, log *slog.Logger, policyFile string, opts ...app.Option) (*app.App, func(), error) {
	pol, err := loadPolicy(policyFile)
	if err != nil {
		return nil, nil, err
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	applied, known, err := db.SchemaVersion(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	if applied < known {
		if applied > 0 && !migrate {
			db.Close()
			return nil, nil, errs.E(errs.Unavailable, "the database schema is at version %d, this binary needs %d: run blameful migrate (or serve -migrate)", applied, known)
		}
		n, err := db.Migrate(ctx)
		if err != nil {
			db.Close()
			return nil, nil, fmt.Errorf("migrate: %w", err)
		}
		log.Info("migrated database", "applied", n, "version", known)
	}
	a := app.New(db, append([]app.Option{app.WithLogger(log), app.WithPolicy(pol)}, opts...)...)
	return a, func() { a.Close(); db.Close() }, nil
}

// operator is the actor of CLI commands: whoever can open the database
// directly already holds every key, so the CLI acts as an administrator.
func operator() org.Actor { return org.System("cli") }

func newLogger(e env, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, nil))
	}
	return slog.New(slog.NewTextHandler(e.stderr, nil))
}

// isTerminal reports whether w is an interactive terminal, for progress.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// reorder moves flags (with their values) ahead of positional arguments.
// Everything after "--" stays positional.
func reorder(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		isBool := false
		if f != nil {
			b, ok := f.Value.(interface{ IsBoolFlag() bool })
			isBool = ok && b.IsBoolFlag()
		}
		if !isBool && i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(flags, pos...)
}
