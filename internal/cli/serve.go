package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"blameful.dev/blameful/internal/demo"
	"blameful.dev/blameful/internal/web"
)

func runServe(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "serve", "[flags]")
	addrDef := e.getenv("BLAMEFUL_ADDR")
	if addrDef == "" {
		addrDef = "127.0.0.1:8080"
	}
	addr := fs.String("addr", addrDef, "address to listen on (env BLAMEFUL_ADDR)")
	base := baseURLFlag(e, fs)
	dsn := dbFlag(e, fs)
	withDemo := fs.Bool("demo", e.getenv("BLAMEFUL_DEMO") == "true", "load the demo organisation into an empty database first (env BLAMEFUL_DEMO=true)")
	migrate := fs.Bool("migrate", false, "apply pending migrations to an existing database before serving")
	logFormat := fs.String("log-format", envOr(e, "BLAMEFUL_LOG_FORMAT", "text"), "log format: text or json (env BLAMEFUL_LOG_FORMAT)")
	policyFile := fs.String("policy", e.getenv("BLAMEFUL_POLICY"), "policy file tuning the rules' numbers; checked at start (env BLAMEFUL_POLICY)")
	sweepEvery := fs.Duration("sweep-every", 15*time.Minute, "how often to look for what time alone reveals: overdue postmortems (I5); the jobs run it once per such slot")
	verifyEvery := fs.Duration("verify-every", 24*time.Hour, "how often to verify the audit chain; a break raises an I6 flag")
	jobsEvery := fs.Duration("jobs-every", time.Minute, "how often to run what is due: reminders and escalations (F4), the weekly digest, notification delivery")
	digest := digestFlag(e, fs)
	nf := addNotifyFlags(e, fs)
	checkpoints := addCheckpointFlags(fs.FlagSet)
	oidcf := addOIDCFlags(e, fs)
	githubSecret := fs.String("github-secret", e.getenv("BLAMEFUL_GITHUB_SECRET"),
		"the secret GitHub signs webhook deliveries to /hooks/github with; without it that endpoint answers 404 (env BLAMEFUL_GITHUB_SECRET)")
	alerts := addAlertFlags(e, fs)
	if err := noArgs(fs, args); err != nil {
		return err
	}
	alertOpts, err := alerts.appOptions()
	if err != nil {
		return err
	}
	oidcCfg, withOIDC, err := oidcf.config()
	if err != nil {
		return err
	}
	for name, d := range map[string]time.Duration{"sweep-every": *sweepEvery, "verify-every": *verifyEvery} {
		if d < time.Minute {
			return fmt.Errorf("--%s must be at least 1m, not %s", name, d)
		}
	}
	if *jobsEvery < time.Second {
		return fmt.Errorf("--jobs-every must be at least 1s, not %s", *jobsEvery)
	}
	sender, err := nf.sender()
	if err != nil {
		return err
	}
	if _, err := resolveBaseURL(*base, *addr); err != nil {
		return err
	}
	log := newLogger(e, *logFormat)
	a, closeDB, err := openApp(ctx, *dsn, *migrate, log, *policyFile, alertOpts...)
	if err != nil {
		return err
	}
	defer closeDB()
	jobs, err := jobsConfig(a, *digest, sender)
	if err != nil {
		return err
	}
	jobs.SweepEvery = *sweepEvery
	stopCheckpoints, err := checkpoints.start(ctx, e, a, log)
	if err != nil {
		return err
	}
	defer stopCheckpoints()

	info, _ := debug.ReadBuildInfo()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	// Without --base-url, links name the address listened on (the port
	// chosen, with --addr :0).
	baseURL, _ := resolveBaseURL(*base, ln.Addr().String())
	opts := append([]web.Option{web.WithBaseURL(baseURL)}, alerts.webOptions()...)
	if *githubSecret != "" {
		opts = append(opts, web.WithGitHubSecret(*githubSecret))
	}
	if withOIDC {
		opts = append(opts, web.WithOIDC(oidcCfg))
		log.Info("login through an OpenID provider", "issuer", oidcCfg.Issuer, "redirect_uri", baseURL+"/auth/oidc/callback")
	}
	srv := web.New(a, log, version(info), opts...)
	httpSrv := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	log.Info("listening", "url", "http://"+ln.Addr().String(), "db", redactDSN(*dsn), "version", version(info))

	var demoLogins []demo.Login
	if *withDemo {
		sum, err := demo.LoadIfEmpty(ctx, a, progress(e, "demo"))
		if err != nil {
			_ = httpSrv.Close()
			return fmt.Errorf("load demo: %w", err)
		}
		if sum.Loaded {
			log.Info("demo loaded", "people", sum.People, "teams", sum.Teams, "entities", sum.Entities, "incidents", sum.Incidents)
		} else {
			log.Info("demo not loaded: the database already holds incidents")
		}
		demoLogins = sum.Logins
	}
	// The background checks: the integrity sweep and the audit chain.
	bgCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	background.Go(func() { a.RunAuditChecks(bgCtx, *verifyEvery) })
	background.Go(func() {
		if err := a.LoadOrg(bgCtx); err != nil && bgCtx.Err() == nil {
			log.Warn("reading the org into memory; the tables are read instead until the next try", "err", err)
		}
	})
	sender.BaseURL = baseURL
	jobs.Observe = srv.ObserveJobs
	background.Go(func() { a.RunJobsEvery(bgCtx, *jobsEvery, jobs) })
	if ch := sender.Configured(); len(ch) > 0 {
		log.Info("notifications", "channels", fmt.Sprint(ch), "digest", jobs.String())
	}
	defer func() { stopBackground(); background.Wait() }()
	srv.MarkReady()
	fmt.Fprintf(e.stdout, "blameful is serving on http://%s (make an API token with: blameful token create --role admin --db %s)\n", ln.Addr(), redactDSN(*dsn))
	if *withDemo {
		printDemoLogins(e, demoLogins, baseURL, redactDSN(*dsn))
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func envOr(e env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

// printDemoLogins prints the demo's logins, one a line, as the demo made
// them; when the demo was loaded earlier, their passwords are gone, and it
// says how to get a link to set one.
func printDemoLogins(e env, logins []demo.Login, baseURL, dsn string) {
	for _, l := range logins {
		fmt.Fprintf(e.stdout, "Log in at %s/login as %s: %s with password %s\n", baseURL, l.Role, l.Email, l.Password)
	}
	if len(logins) > 0 {
		return
	}
	fmt.Fprintf(e.stdout, "The demo was loaded earlier and its passwords were shown then. For a link to set one, run: blameful user reset EMAIL --base-url %s --db %s\n", baseURL, dsn)
	fmt.Fprintf(e.stdout, "  with EMAIL one of %s\n", strings.Join(demo.LoginEmails(), ", "))
}
