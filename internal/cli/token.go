package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

func tokenList(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "token list", "[--db DSN]")
	dsn := dbFlag(e, fs)
	if err := noArgs(fs, args); err != nil {
		return err
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	list, err := a.Tokens(ctx, operator())
	if err != nil {
		return err
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04")
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tACTS AS\tROLES\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
	for _, t := range list {
		roles := make([]string, len(t.Roles))
		for i, r := range t.Roles {
			roles[i] = string(r)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, printable(t.Name), t.Actor, strings.Join(roles, ","),
			day(t.CreatedAt), day(t.ExpiresAt), day(t.LastUsedAt), day(t.RevokedAt))
	}
	return tw.Flush()
}

func tokenRevoke(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "token revoke", "ID|NAME [--db DSN]")
	dsn := dbFlag(e, fs)
	key, err := oneArg(fs, args)
	if err != nil {
		return err
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	t, err := a.RevokeToken(ctx, operator(), key)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "revoked token %s (%s), which acted as %s; every server refuses it within a second\n", printable(t.Name), t.ID, t.Actor)
	return nil
}
