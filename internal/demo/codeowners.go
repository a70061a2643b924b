package demo

import (
	"context"
	"fmt"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
)

// Larkspur's CODEOWNERS files, imported a month ago. The checkout and
// payments repositories agree with the catalog. The storefront's does
// not: it still names Checkout, who built it, while the catalog gave the
// storefront to Growth, which is the ownership drift the review shows.
var demoCodeowners = []struct{ repo, file string }{
	{"larkspur/checkout", `# Checkout owns the service; the payment client is reviewed by Payments.
*                  @larkspur/checkout
/internal/payment/ @larkspur/checkout @larkspur/payments
/docs/             @larkspur/growth
`},
	{"larkspur/payments", `*                  @larkspur/payments
/ledger/           @larkspur/payments
/.github/          @larkspur/infra
`},
	{"larkspur/web", `# The storefront, from when Checkout built it.
*                  @larkspur/checkout
/src/search/       @larkspur/catalog
`},
}

func (w *world) codeowners() []action {
	at := w.today.AddDate(0, 0, -30)
	var acts []action
	for _, c := range demoCodeowners {
		acts = append(acts, action{at: at, run: func(ctx context.Context, a *app.App) error {
			file, err := importer.ParseCodeowners(c.repo, []byte(c.file))
			if err != nil {
				return fmt.Errorf("demo CODEOWNERS of %s: %w", c.repo, err)
			}
			_, err = a.ImportCodeowners(ctx, org.System("demo"), c.repo, file)
			return err
		}})
	}
	return acts
}
