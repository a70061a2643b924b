package cli

import (
	"fmt"
	"strings"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/web"
)

// alertFlags configure the alert hooks: PagerDuty's secrets and how
// labels map to entities and severities.
type alertFlags struct {
	pagerdutySecrets *string
	entityLabels     *string
	severities       *string
}

func addAlertFlags(e env, fs *flags) *alertFlags {
	def := ingest.DefaultMapping()
	return &alertFlags{
		pagerdutySecrets: fs.String("pagerduty-secret", e.getenv("BLAMEFUL_PAGERDUTY_SECRET"),
			"the secret of the PagerDuty webhook subscription that posts to /hooks/pagerduty; comma-separate two while rotating; without it that endpoint answers 404 (env BLAMEFUL_PAGERDUTY_SECRET)"),
		entityLabels: fs.String("alert-entity-labels", envOr(e, "BLAMEFUL_ALERT_ENTITY_LABELS", strings.Join(def.EntityLabels, ",")),
			"alert labels whose values name the failed entity, tried in order; the label team names the owning team (env BLAMEFUL_ALERT_ENTITY_LABELS)"),
		severities: fs.String("alert-severity", e.getenv("BLAMEFUL_ALERT_SEVERITY"),
			"label values mapped to severities, added to the defaults: critical=SEV1,warning=SEV3,… (env BLAMEFUL_ALERT_SEVERITY)"),
	}
}

// appOptions is the mapping the flags ask for.
func (f *alertFlags) appOptions() ([]app.Option, error) {
	m, err := ingest.DefaultMapping().WithSeverities(*f.severities)
	if err != nil {
		return nil, fmt.Errorf("--alert-severity: %w", err)
	}
	var labels []string
	for l := range strings.SplitSeq(*f.entityLabels, ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("--alert-entity-labels names no label")
	}
	m.EntityLabels = labels
	return []app.Option{app.WithAlertMapping(m)}, nil
}

// webOptions set up the hooks that verify signatures.
func (f *alertFlags) webOptions() []web.Option {
	if *f.pagerdutySecrets == "" {
		return nil
	}
	return []web.Option{web.WithPagerDutySecrets(strings.Split(*f.pagerdutySecrets, ","))}
}
