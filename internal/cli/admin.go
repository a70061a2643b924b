package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/demo"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

func runMigrate(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "migrate", "[--db DSN]")
	dsn := dbFlag(e, fs)
	if err := noArgs(fs, args); err != nil {
		return err
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	applied, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "applied %d migration(s); the schema is at version %d\n", n, applied)
	return nil
}

func runVersion(_ context.Context, e env, args []string) error {
	if err := noArgs(flagSet(e, "version", ""), args); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	writeVersion(e.stdout, version(info), info)
	return nil
}

// version returns the build's version: Version when the link set it, else
// the main module's version as the toolchain stamped it (a release's tag
// for go install, a pseudo-version from the checkout's commit for go build
// with VCS stamping), else "dev".
func version(info *debug.BuildInfo) string {
	if Version != "dev" || info == nil {
		return Version
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	return Version
}

// writeVersion prints the version and what the Go toolchain recorded of
// the build: the main module, the VCS revision (with "modified" when the
// work tree had uncommitted changes) and its commit time, and the Go
// version. A binary built without VCS stamping (go run, go test,
// -buildvcs=false) has no revision.
func writeVersion(w io.Writer, v string, info *debug.BuildInfo) {
	fmt.Fprintf(w, "blameful %s\n", v)
	goVersion := runtime.Version()
	if info != nil {
		if info.Main.Path != "" {
			fmt.Fprintf(w, "  module     %s %s\n", info.Main.Path, orNone(info.Main.Version))
		}
		vcs := map[string]string{}
		for _, s := range info.Settings {
			vcs[s.Key] = s.Value
		}
		switch rev := vcs["vcs.revision"]; {
		case rev == "":
			fmt.Fprintln(w, "  revision   unknown (built without VCS information)")
		case vcs["vcs.modified"] == "true":
			fmt.Fprintf(w, "  revision   %s (modified)\n", rev)
		default:
			fmt.Fprintf(w, "  revision   %s\n", rev)
		}
		if t := vcs["vcs.time"]; t != "" {
			fmt.Fprintf(w, "  committed  %s\n", t)
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
	}
	fmt.Fprintf(w, "  go         %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
}

func runDemo(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "demo", "[--db DSN]")
	dsn := dbFlag(e, fs)
	if err := noArgs(fs, args); err != nil {
		return err
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	sum, err := demo.LoadIfEmpty(ctx, a, progress(e, "demo"))
	if err != nil {
		return err
	}
	if !sum.Loaded {
		return errs.E(errs.Conflict, "the database already holds incidents; the demo loads only into an empty one")
	}
	fmt.Fprintf(e.stdout, "loaded the demo: %d people, %d teams, %d entities, %d incidents, %d follow-ups\n",
		sum.People, sum.Teams, sum.Entities, sum.Incidents, sum.FollowUps)
	baseURL, err := resolveBaseURL(e.getenv("BLAMEFUL_BASE_URL"), defaultAddr(e))
	if err != nil {
		return err
	}
	printDemoLogins(e, sum.Logins, baseURL, redactDSN(*dsn))
	return nil
}

// rolesFlag collects repeated --role flags.
type rolesFlag []org.Role

func (r *rolesFlag) String() string { return fmt.Sprint(*r) }

func (r *rolesFlag) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		*r = append(*r, org.Role(strings.TrimSpace(strings.ToLower(part))))
	}
	return nil
}

func tokenCreate(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "token create", "[--user REF] [--role admin|hr|member|ingest]… [--name NAME] [--ttl 90d] [--db DSN]")
	dsn := dbFlag(e, fs)
	var roles rolesFlag
	fs.Var(&roles, "role", "role to grant: member, hr, admin, or ingest alone for an alert sender (repeat or comma-separate)")
	user := fs.String("user", "", "the person the token acts as (user:default/ada); leader comes from leading a team")
	name := fs.String("name", "", "a name for the token")
	ttl := fs.String("ttl", "", "lifetime, like 90d or 12h (default: no expiry)")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	nt := app.NewToken{Name: *name, Roles: roles}
	if *user != "" {
		ref, err := org.ParseRef(*user, org.KindUser)
		if err != nil {
			return err
		}
		nt.User = ref
		if nt.Name == "" {
			nt.Name = ref.Name()
		}
	}
	if *ttl != "" {
		d, err := parseTTL(*ttl)
		if err != nil {
			return err
		}
		nt.TTL = d
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	t, secret, err := a.CreateToken(ctx, operator(), nt)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, secret)
	fmt.Fprintf(e.stderr, "token %s acts as %s with roles %v; it is shown once, keep it safe\n", printable(t.Name), t.Actor, t.Roles)
	return nil
}

// parseTTL reads "90d", "12h", "30m".
func parseTTL(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err != nil || days <= 0 {
			return 0, errs.Field("ttl", "%q is not a lifetime like 90d or 12h", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errs.Field("ttl", "%q is not a lifetime like 90d or 12h", s)
	}
	return d, nil
}
