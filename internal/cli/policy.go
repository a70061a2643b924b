package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/policy"
)

// loadPolicy reads the policy file at path over the built-in policy; an
// empty path is the built-in policy. A bad file is an error naming it, so
// a server with a broken policy never starts.
func loadPolicy(path string) (policy.Policy, error) {
	if path == "" {
		return policy.Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("policy file: %w", err)
	}
	return policy.Parse(path, data)
}

func policyShow(_ context.Context, e env, args []string) error {
	if err := noArgs(flagSet(e, "policy show", ""), args); err != nil {
		return err
	}
	_, err := e.stdout.Write(policy.DefaultYAML)
	return err
}

func policyCheck(_ context.Context, e env, args []string) error {
	fs := flagSet(e, "policy check", "[FILE]   (default: $BLAMEFUL_POLICY)")
	if err := parse(fs, args); err != nil {
		return err
	}
	path := e.getenv("BLAMEFUL_POLICY")
	if fs.NArg() > 0 {
		path = fs.Arg(0)
	}
	if path == "" || fs.NArg() > 1 {
		fs.Usage()
		return errUsage
	}
	if _, err := loadPolicy(path); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: ok\n", printable(path))
	return nil
}

// personExport answers a person's access request.
func personExport(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "person export", "REF [--db DSN]")
	dsn := dbFlag(e, fs)
	ref, err := personArgs(fs, args)
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		out, err := a.ExportPerson(ctx, operator(), ref)
		if err != nil {
			return err
		}
		return writeJSON(e.stdout, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{"person": out.Person, "rows": out.Rows})
		})
	})
}

// personErase answers a person's erasure request.
func personErase(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "person erase", "REF --reason TEXT [--db DSN]")
	dsn := dbFlag(e, fs)
	reason := fs.String("reason", "", "the request this erasure honours (required)")
	ref, err := personArgs(fs, args)
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		if err := a.ErasePerson(ctx, operator(), ref, *reason); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "erased the personal fields of %s, revoked their tokens and removed their login accounts; the reference stays\n", ref)
		return nil
	})
}

// personArgs parses a person verb's flags and its one argument, the
// person's reference.
func personArgs(fs *flags, args []string) (org.Ref, error) {
	if err := parse(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return "", errUsage
	}
	return org.ParseRef(fs.Arg(0), org.KindUser)
}
