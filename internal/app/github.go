package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// What blameful makes of GitHub's webhook (POST /hooks/github):
//
//   - deployment_status with state success: a change (A6's fact) of every
//     catalog entity whose code paths name the repository (failing that,
//     of the one entity the owners of the repository's CODEOWNERS default
//     rule owned, when they owned exactly one), made by the person whose
//     handle is the deployer's login, at the status's time, with source
//     "github". A login no person has leaves the change without an actor
//     (A6 then cannot name anyone for it); the login is kept in the
//     change's audit event. Other states are not changes.
//   - issues closed or reopened, for an issue exported from a follow-up:
//     the follow-up is marked done, or opened again (githubsync.go).
//   - ping, and every other event: nothing.
//
// Each delivery is received once: its X-GitHub-Delivery, and for a
// deployment its status id, are claimed in the transaction that records
// what they brought, so a replay, or the same status delivered twice,
// changes nothing.

// githubActor is the actor of what GitHub's webhook and the GitHub
// channel write when no person of the org can be named for it.
func githubActor() org.Actor { return org.System("github") }

// hookSource is the receipts' source for GitHub.
const hookSource = "github"

// GitHubOutcome says what became of a delivery, for the webhook's answer
// and the log.
type GitHubOutcome struct {
	Delivery string
	Event    string
	// Recorded is true when the delivery changed something.
	Recorded bool
	// Replay is true when the delivery, or the deployment status it
	// carries, was received before: nothing changed this time.
	Replay bool
	// Reason says what was made of the delivery, in words.
	Reason string
	// Changes are the changes recorded; FollowUp the follow-up synced.
	Changes  []string
	FollowUp string
}

// errNothing rolls back a delivery's transaction that turned out to
// change nothing: its receipt is not kept either.
var errNothing = errors.New("nothing to record")

// ReceiveGitHub takes one webhook delivery whose signature the caller has
// verified: the X-GitHub-Event and X-GitHub-Delivery headers and the body.
// A body that is not the event's JSON is Invalid, naming the problem; a
// delivery that means nothing to blameful is not an error, and the
// outcome says why it was left alone. Only the webhook calls it: GitHub's
// signature is the authority.
func (a *App) ReceiveGitHub(ctx context.Context, event, delivery string, body []byte) (GitHubOutcome, error) {
	d, err := ingest.ParseGitHub(event, delivery, body)
	out := GitHubOutcome{Delivery: d.ID, Event: d.Event}
	if err != nil {
		return out, err
	}
	switch d.Event {
	case ingest.GitHubPing:
		out.Reason = "pong: the webhook reaches blameful and its signature is right"
		return out, nil
	case ingest.GitHubDeploymentStatus:
		if d.Deployment.State != "success" {
			out.Reason = fmt.Sprintf("a deployment status %q is not a change: only success records one", d.Deployment.State)
			return out, nil
		}
		return a.githubDeployment(ctx, d, out)
	case ingest.GitHubIssues:
		if d.Action != "closed" && d.Action != "reopened" {
			out.Reason = fmt.Sprintf("an issue %s changes nothing in blameful: only closed and reopened do", d.Action)
			return out, nil
		}
		return a.githubIssue(ctx, d, out)
	}
	out.Reason = fmt.Sprintf("blameful does not read %s events; it reads deployment_status and issues", d.Event)
	return out, nil
}

// claimDelivery claims the delivery's receipt in tx; false when it was
// received before, with out saying so.
func claimDelivery(tx *store.Tx, d ingest.GitHubDelivery, now time.Time, out *GitHubOutcome) (bool, error) {
	ok, err := tx.ClaimReceipt(hookSource, "delivery:"+d.ID, "", now)
	if err != nil || ok {
		return ok, err
	}
	prior, err := tx.Receipt(hookSource, "delivery:"+d.ID)
	if err != nil {
		return false, err
	}
	out.Replay, out.Reason = true, "delivery "+d.ID+" was received before ("+prior+"); nothing changed"
	return false, nil
}

// githubDeployment records a successful deployment as changes.
func (a *App) githubDeployment(ctx context.Context, d ingest.GitHubDelivery, out GitHubOutcome) (GitHubOutcome, error) {
	dep := d.Deployment
	now := a.Now()
	if dep.At.After(now.Add(changeSkew)) {
		return out, errs.E(errs.Invalid, "deployment_status.created_at %s is in the future", dep.At.Format(time.RFC3339))
	}
	var p errs.Problems
	freetext.Add(&p, "deployment.sha", dep.Version(), freetext.Line)
	if err := p.Err(); err != nil {
		return out, err
	}
	statusKey := "deployment_status:" + strconv.FormatInt(dep.StatusID, 10)
	err := a.db.Update(ctx, func(tx *store.Tx) error {
		out.Changes = nil
		if ok, err := claimDelivery(tx, d, now, &out); err != nil || !ok {
			return err
		}
		if ok, err := tx.ClaimReceipt(hookSource, statusKey, "", now); err != nil {
			return err
		} else if !ok {
			prior, err := tx.Receipt(hookSource, statusKey)
			if err != nil {
				return err
			}
			out.Replay, out.Reason = true, fmt.Sprintf("deployment status %d was received before (%s); nothing changed", dep.StatusID, prior)
			return errNothing
		}
		entities, why, err := entitiesDeployed(tx, d.Repository, dep.At)
		if err != nil {
			return err
		}
		if len(entities) == 0 {
			out.Reason = why
			return errNothing
		}
		person, who, err := personOfLogin(tx, dep.Creator, dep.At)
		if err != nil {
			return err
		}
		for _, e := range entities {
			c := freeze.Change{ID: a.newID(), Entity: e, Ref: dep.Version(), Actor: person, At: dep.At.Truncate(time.Microsecond),
				Source: "github", RecordedAt: now, RecordedBy: githubActor().Ref}
			if err := tx.CreateChange(&c); err != nil {
				return err
			}
			rec := githubChangeRecord{changeRecord: changeRecordOf(&c), GitHub: githubOrigin{Delivery: d.ID, Repository: d.Repository,
				DeploymentStatus: dep.StatusID, Deployment: dep.DeploymentID, Environment: dep.Environment, Login: dep.Creator}}
			if err := a.record(tx, githubActor(), "change.record", c.ID, rec); err != nil {
				return err
			}
			out.Changes = append(out.Changes, c.ID)
		}
		out.Recorded = true
		out.Reason = fmt.Sprintf("recorded %d change(s) of %s by %s: %s", len(out.Changes), d.Repository, who, strings.Join(out.Changes, ", "))
		if err := tx.SetReceiptOutcome(hookSource, statusKey, out.Reason); err != nil {
			return err
		}
		return tx.SetReceiptOutcome(hookSource, "delivery:"+d.ID, out.Reason)
	})
	if errors.Is(err, errNothing) {
		err = nil
	}
	return out, err
}

// entitiesDeployed returns the entities a deployment of repo at t
// changed: those whose code paths name the repository; failing that, when
// the repository's imported CODEOWNERS gives its default owners (the rule
// for "/"), the one entity they owned at t, if they owned exactly one.
// With none, why says what is missing.
func entitiesDeployed(tx *store.Tx, repo string, t time.Time) ([]org.Ref, string, error) {
	list, err := tx.EntitiesOfRepo(repo)
	if err != nil || len(list) > 0 {
		out := make([]org.Ref, len(list))
		for i, e := range list {
			out[i] = e.Ref
		}
		return out, "", err
	}
	why := fmt.Sprintf("no entity of the catalog has the code path %s, so the deployment is nobody's change; "+
		"add it to the entity (Backstage: the github.com/project-slug annotation)", ingest.RepoCodePath(repo))
	name, err := importer.CanonicalRepo(repo)
	if err != nil {
		return nil, why, nil
	}
	rule, matched, err := tx.OwnersOf(name, "/")
	if errs.KindOf(err) == errs.NotFound || err == nil && (!matched || len(rule.Refs) == 0) {
		return nil, why, nil
	} else if err != nil {
		return nil, "", err
	}
	var owned []org.Ref
	for _, owner := range rule.Refs {
		es, err := tx.Entities(store.EntityFilter{Owner: owner, OwnedAt: t})
		if err != nil {
			return nil, "", err
		}
		for _, e := range es {
			if !slices.Contains(owned, e.Ref) {
				owned = append(owned, e.Ref)
			}
		}
	}
	if len(owned) == 1 {
		return owned, "", nil
	}
	return nil, fmt.Sprintf("%s; its CODEOWNERS names %s (line %d), who owned %d entities then, so it does not say which was deployed",
		why, strings.Join(refStrings(rule.Refs), ", "), rule.Line, len(owned)), nil
}

func refStrings(refs []org.Ref) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = string(r)
	}
	return out
}

// personOfLogin finds the person a GitHub login stands for: the one
// person whose handle it is, and who was in the org at t. It returns zero
// when no one, or more than one, is; who names the person or the login
// for messages.
func personOfLogin(tx *store.Tx, login string, t time.Time) (org.Ref, string, error) {
	if login == "" {
		return "", "an unknown GitHub user", nil
	}
	people, err := tx.PeopleByHandle(login)
	if err != nil {
		return "", "", err
	}
	var found []org.Ref
	for _, p := range people {
		if p.IsActiveAt(t) && p.Erased.IsZero() {
			found = append(found, p.Ref)
		}
	}
	switch len(found) {
	case 1:
		return found[0], string(found[0]), nil
	case 0:
		return "", "GitHub user " + login + " (no person of the org has that handle)", nil
	}
	return "", "GitHub user " + login + " (several people have that handle)", nil
}

// githubChangeRecord is a change's audit record, with where on GitHub it
// came from: the login stays there even when no person has it.
type githubChangeRecord struct {
	changeRecord
	GitHub githubOrigin `json:"github"`
}

type githubOrigin struct {
	Delivery         string `json:"delivery"`
	Repository       string `json:"repository"`
	Deployment       int64  `json:"deployment"`
	DeploymentStatus int64  `json:"deployment_status"`
	Environment      string `json:"environment,omitempty"`
	Login            string `json:"login,omitempty"`
}
