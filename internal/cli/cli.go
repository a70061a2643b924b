// Package cli is blameful's command line: it parses flags and BLAMEFUL_*
// environment variables into a config, opens the database, wires the app
// and the web server together, and runs one subcommand.
package cli

import (
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
var Version = "dev"

// env is the process environment, passed in so tests can set it.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":      {"run the server (web UI, API, webhooks)", runServe},
		"demo":       {"load a realistic demo organisation with a year of history", runDemo},
		"migrate":    {"apply pending database migrations", runMigrate},
		"import":     {"import org|backstage FILES: people, teams and ownership", runImport},
		"incident":   {"create|list|show incidents", runIncident},
		"postmortem": {"show|decide|move a postmortem", runPostmortem},
		"followup":   {"create|list|done follow-ups", runFollowUp},
		"review":     {"week [YYYY-Www] --format md|json: the weekly review", runReview},
		"token":      {"create an API token", runToken},
		"audit":      {"verify|checkpoint|keygen: the audit chain and its signed checkpoints", runAudit},
		"policy":     {"show|check: the policy file behind the rules' numbers", runPolicy},
		"assessment": {"show ID: an incident's accountability assessment (J1-J8)", runAssessment},
		"fairness":   {"per-decider consistency of decisions against guidance (J5)", runFairness},
		"ledger":     {"LEADER: a leader's ledger (J6)", runLedger},
		"integrity":  {"list|review|sweep: integrity flags (I1-I7)", runIntegrity},
		"person":     {"export|erase: a person's data (access and erasure requests)", runPerson},
		"version":    {"print the version", runVersion},
	}
}

// Run runs the command line args and returns the process exit code: 0 on
// success, 1 on failure, 2 on a usage error.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "blameful: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	err := cmd.run(ctx, e, args[1:])
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
	fmt.Fprintf(stderr, "blameful %s: %s\n", args[0], describe(err))
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

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "blameful: blameful postmortems — one accountable party per incident, fairly.")
	fmt.Fprintln(w, "\nUsage: blameful COMMAND [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --db (BLAMEFUL_DB): sqlite:PATH (default sqlite:blameful.db) or postgres://…")
	fmt.Fprintln(w, "Run blameful COMMAND -h for its flags.")
}

// flagSet makes a subcommand's flag set that reports to stderr.
func flagSet(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("blameful "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: blameful %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, mapping a bad flag to errUsage (already printed).
// Flags may come before or after positional arguments: "show ID --db X"
// works as well as "show --db X ID".
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(reorder(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// dbFlag adds --db, defaulting to BLAMEFUL_DB, else sqlite:blameful.db.
func dbFlag(e env, fs *flag.FlagSet) *string {
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
func openApp(ctx context.Context, dsn string, migrate bool, log *slog.Logger, policyFile string) (*app.App, func(), error) {
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
	return app.New(db, app.WithLogger(log), app.WithPolicy(pol)), func() { db.Close() }, nil
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
