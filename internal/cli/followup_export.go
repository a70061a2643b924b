package cli

import (
	"context"
	"fmt"
	"strings"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
)

// followUpExport exports a follow-up to GitHub Issues. The command queues
// the issue in the outbox; a server started with --github-token (or jobs
// run with it) creates it, and the follow-up then links to it.
func followUpExport(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "followup export", "ID --repo OWNER/NAME [--labels L1,L2] [--as REF] [--db DSN]")
	dsn := dbFlag(e, fs)
	repo := fs.String("repo", "", "the GitHub repository to create the issue in, OWNER/NAME (required)")
	labels := fs.String("labels", "", "labels for the issue, comma-separated (optional)")
	as := asFlag(fs, "the owner, a member of an owning team or a leader above; default: the operator")
	id, err := followUpVerb(fs, args)
	if err != nil {
		return err
	}
	if *repo == "" {
		return errs.Field("repo", "is required: the GitHub repository, OWNER/NAME")
	}
	actor, err := actingAs(*as)
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		x, err := a.ExportFollowUp(ctx, actor, id, app.ExportInput{Tracker: "github", Repo: *repo, Labels: strings.Split(*labels, ",")})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s is queued for export to %s: a server with --github-token creates the issue, and the follow-up links to it\n",
			x.FollowUp, x.Repo)
		return nil
	})
}
