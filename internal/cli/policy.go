package cli

import (
	"context"
	"encoding/json"
	"fmt"
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

const policyUsage = `Usage: blameful policy show             print the built-in policy file
       blameful policy check [FILE]     check a policy file (default: $BLAMEFUL_POLICY)`

func runPolicy(_ context.Context, e env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, policyUsage)
		return errUsage
	}
	switch args[0] {
	case "show":
		_, err := e.stdout.Write(policy.DefaultYAML)
		return err
	case "check":
		path := e.getenv("BLAMEFUL_POLICY")
		if len(args) > 1 {
			path = args[1]
		}
		if path == "" {
			fmt.Fprintln(e.stderr, policyUsage)
			return errUsage
		}
		if _, err := loadPolicy(path); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: ok\n", path)
		return nil
	}
	fmt.Fprintln(e.stderr, policyUsage)
	return errUsage
}

const personUsage = `Usage: blameful person export REF [--db DSN]
       blameful person erase REF --reason TEXT [--db DSN]`

// runPerson answers a person's access and erasure requests.
func runPerson(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || (args[0] != "export" && args[0] != "erase") {
		fmt.Fprintln(e.stderr, personUsage)
		return errUsage
	}
	verb := args[0]
	fs := flagSet(e, "person "+verb, "REF [flags]")
	dsn := dbFlag(e, fs)
	reason := fs.String("reason", "", "erase: the request this erasure honours (required)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, personUsage)
		return errUsage
	}
	ref, err := org.ParseRef(fs.Arg(0), org.KindUser)
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		if verb == "erase" {
			if err := a.ErasePerson(ctx, operator(), ref, *reason); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "erased the personal fields of %s and revoked their tokens; the reference stays\n", ref)
			return nil
		}
		out, err := a.ExportPerson(ctx, operator(), ref)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"person": out.Person, "rows": out.Rows})
	})
}
