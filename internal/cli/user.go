package cli

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// The user command manages login accounts: an account logs a person of the
// org in to the web pages with an email and a password. Passwords are set
// from a file, or by the person through a one-time link that these
// commands print; the link is made of the base URL the server is reached
// at.

func userAdd(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "user add", "EMAIL --person REF [--role hr|admin]… [--password-file FILE] [--base-url URL] [--db DSN]")
	dsn := dbFlag(e, fs)
	base := baseURLFlag(e, fs)
	person := fs.String("person", "", "the person the account acts as (user:default/ada, or ada)")
	var roles rolesFlag
	fs.Var(&roles, "role", "role to grant besides member: hr or admin (repeat or comma-separate)")
	pwFile := fs.String("password-file", "", "set the password from the first line of FILE (default: print a link to set it)")
	email, err := oneArg(fs, args)
	if err != nil {
		return err
	}
	if *person == "" {
		return errs.Field("person", "--person is required: whom the account acts as")
	}
	ref, err := org.ParseRef(*person, org.KindUser)
	if err != nil {
		return err
	}
	na := app.NewAccount{Email: email, Person: ref, Roles: roles}
	if *pwFile != "" {
		if na.Password, err = readPasswordFile(*pwFile); err != nil {
			return err
		}
	}
	baseURL, err := resolveBaseURL(*base, defaultAddr(e))
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		acc, link, err := a.CreateAccount(ctx, operator(), na)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "account %s acts as %s with roles %v\n", acc.Email, acc.Person, append([]org.Role{org.RoleMember}, acc.Roles...))
		if link.Token == "" {
			fmt.Fprintln(e.stdout, "the password is set; log in at "+baseURL+"/login")
			return nil
		}
		printLink(e, link, baseURL)
		return nil
	})
}

func userReset(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "user reset", "EMAIL [--base-url URL] [--db DSN]")
	dsn := dbFlag(e, fs)
	base := baseURLFlag(e, fs)
	email, err := oneArg(fs, args)
	if err != nil {
		return err
	}
	baseURL, err := resolveBaseURL(*base, defaultAddr(e))
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		link, err := a.ResetPassword(ctx, operator(), email)
		if err != nil {
			return err
		}
		printLink(e, link, baseURL)
		return nil
	})
}

// userSetDisabled is user disable (or user enable, with disabled false).
func userSetDisabled(disabled bool) func(ctx context.Context, e env, args []string) error {
	verb := map[bool]string{true: "disable", false: "enable"}[disabled]
	return func(ctx context.Context, e env, args []string) error {
		fs := flagSet(e, "user "+verb, "EMAIL [--db DSN]")
		dsn := dbFlag(e, fs)
		email, err := oneArg(fs, args)
		if err != nil {
			return err
		}
		return openThen(ctx, e, *dsn, func(a *app.App) error {
			if err := a.SetAccountDisabled(ctx, operator(), email, disabled); err != nil {
				return err
			}
			if disabled {
				fmt.Fprintf(e.stdout, "disabled %s and ended its sessions\n", printable(email))
			} else {
				fmt.Fprintf(e.stdout, "enabled %s\n", printable(email))
			}
			return nil
		})
	}
}

// printLink prints a password link alone on stdout, so that a script can
// take it, and what it is for on stderr.
func printLink(e env, link app.PasswordLink, baseURL string) {
	fmt.Fprintln(e.stdout, link.URL(baseURL))
	fmt.Fprintf(e.stderr, "send this link to the account's person: it sets the password once, until %s\n",
		link.ExpiresAt.Format("2006-01-02 15:04 UTC"))
}

// oneArg parses a verb whose one argument is an email.
func oneArg(fs *flags, args []string) (string, error) {
	if err := parse(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return "", errUsage
	}
	return fs.Arg(0), nil
}

// readPasswordFile reads a password: the file's first line, without its
// line ending.
func readPasswordFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", errs.Wrap(errs.Invalid, err, "cannot read the password file "+path)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 4096)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return "", errs.Wrap(errs.Invalid, err, "cannot read the password file "+path)
		}
		return "", errs.Field("password-file", "%s is empty", path)
	}
	return strings.TrimRight(sc.Text(), "\r"), nil
}

// baseURLFlag adds --base-url, defaulting to BLAMEFUL_BASE_URL.
func baseURLFlag(e env, fs *flags) *string {
	return fs.String("base-url", e.getenv("BLAMEFUL_BASE_URL"),
		"the URL people reach blameful at, for links and redirects (env BLAMEFUL_BASE_URL; default http://ADDR)")
}

// defaultAddr is the address serve listens on by default.
func defaultAddr(e env) string { return envOr(e, "BLAMEFUL_ADDR", "127.0.0.1:8080") }

// resolveBaseURL checks a base URL, or makes one from the listen address
// when it is empty. It has no trailing slash.
func resolveBaseURL(base, addr string) (string, error) {
	if base == "" {
		return "http://" + addr, nil
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errs.Field("base-url", "%q is not a base URL like https://blameful.example.com", base)
	}
	return strings.TrimRight(u.String(), "/"), nil
}
