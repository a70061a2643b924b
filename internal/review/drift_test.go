package review

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
)

func TestDrift(t *testing.T) {
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	ago := func(days int) time.Time { return at.AddDate(0, 0, -days) }
	file, err := importer.ParseCodeowners("CODEOWNERS", []byte("* @acme/payments\n/svc/legacy/\n/svc/web/ @acme/web @stranger\n"))
	if err != nil {
		t.Fatal(err)
	}
	importer.ResolveOwners(file.Rules, []org.Person{{Ref: "user:default/ada", Handle: "ada"}},
		[]org.Team{{Ref: "group:default/payments"}, {Ref: "group:default/checkout"}})
	tools, err := importer.ParseCodeowners("CODEOWNERS", []byte("* @nobody\n"))
	if err != nil {
		t.Fatal(err)
	}
	edge := func(rel org.Relation, s, o string, from, to time.Time) org.Edge {
		return org.Edge{Relation: rel, Subject: org.Ref(s), Object: org.Ref(o), From: from, To: to}
	}
	change := func(ent, actor string, daysAgo int) freeze.Change {
		return freeze.Change{Entity: org.Ref(ent), Actor: org.Ref(actor), At: ago(daysAgo), Ref: "v" + actor[len(actor)-1:]}
	}
	facts := DriftFacts{At: at, Days: 90,
		Entities: []DriftEntity{
			{Ref: "component:default/api", CodePaths: []string{"github.com/acme/shop"}, Owners: []org.Ref{"group:default/payments"}},
			{Ref: "component:default/cart", CodePaths: []string{"github.com/Acme/Shop", "url:https://github.com/acme/shop/tree/main/svc/web"},
				Owners: []org.Ref{"group:default/checkout"}},
			{Ref: "component:default/legacy", CodePaths: []string{"github.com/acme/shop/tree/main/svc/legacy"}, Owners: []org.Ref{"group:default/payments"}},
			{Ref: "component:default/other", CodePaths: []string{"github.com/acme/elsewhere"}},
			{Ref: "component:default/tool", CodePaths: []string{"github.com/acme/tools"}, Owners: []org.Ref{"group:default/payments"}},
		},
		Codeowners: []RepoRules{{Repo: "acme/shop", Rules: file.Rules}, {Repo: "tools", Rules: tools.Rules}},
		Changes: []freeze.Change{
			change("component:default/api", "user:default/ada", 3),    // a member: no finding
			change("component:default/api", "user:default/dee", 10),   // outside, but not all
			change("component:default/cart", "user:default/dee", 5),   // outside
			change("component:default/cart", "user:default/ada", 20),  // ada had left checkout by then
			change("component:default/search", "user:default/cy", 1),  // cy leads a team under checkout
			change("component:default/orphan", "user:default/dee", 1), // no owner: not judged
			change("component:default/search", "user:default/dee", 2),
		},
		Edges: []org.Edge{
			edge(org.OwnedBy, "component:default/api", "group:default/payments", time.Time{}, time.Time{}),
			edge(org.OwnedBy, "component:default/cart", "group:default/checkout", time.Time{}, time.Time{}),
			edge(org.OwnedBy, "component:default/search", "group:default/checkout", time.Time{}, time.Time{}),
			edge(org.MemberOf, "user:default/ada", "group:default/payments", time.Time{}, time.Time{}),
			edge(org.MemberOf, "user:default/ada", "group:default/checkout", time.Time{}, ago(30)),
			edge(org.ChildOf, "group:default/search-team", "group:default/checkout", time.Time{}, time.Time{}),
			edge(org.Leads, "user:default/cy", "group:default/search-team", time.Time{}, time.Time{}),
		},
	}
	got := Drift(facts)
	want := []Finding{
		{Kind: CodeownersDisagrees, Entity: "component:default/cart",
			Detail:   "The catalog says group:checkout owns component:cart; the CODEOWNERS of acme/shop says group:payments.",
			Evidence: []string{"CODEOWNERS of acme/shop, line 1: * @acme/payments"}},
		{Kind: CodeownersDisagrees, Entity: "component:default/cart",
			Detail:   "The catalog says group:checkout owns component:cart; the CODEOWNERS of acme/shop svc/web/ names @acme/web @stranger, nobody blameful knows.",
			Evidence: []string{"CODEOWNERS of acme/shop, line 3: /svc/web/ @acme/web @stranger"}},
		{Kind: CodeownersDisagrees, Entity: "component:default/legacy",
			Detail:   "The catalog says group:payments owns component:legacy; the CODEOWNERS of acme/shop svc/legacy/ leaves it unowned.",
			Evidence: []string{"CODEOWNERS of acme/shop, line 2: /svc/legacy/"}},
		{Kind: CodeownersDisagrees, Entity: "component:default/tool", // a repository imported by its bare name
			Detail:   "The catalog says group:payments owns component:tool; the CODEOWNERS of tools names @nobody, nobody blameful knows.",
			Evidence: []string{"CODEOWNERS of tools, line 1: * @nobody"}},
		{Kind: DeploysFromOutside, Entity: "component:default/cart",
			Detail:   "All 2 changes of component:cart in the last 90 days came from outside its owner group:checkout: user:ada (1), user:dee (1).",
			Evidence: []string{"ve by user:dee on 2026-11-15", "va by user:ada on 2026-10-31"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
}

// TestShownDrift: a bounded list shows the CODEOWNERS findings first, then
// the deploying entities by ref, then the label values by label and value,
// as Drift orders them; whatever is past the limit is only counted.
func TestShownDrift(t *testing.T) {
	deploys := []org.Ref{"component:default/b", "component:default/a", "component:default/c"}
	labels := []AlertLabel{{Label: "service", Value: "zeta"}, {Label: "app", Value: "x"}, {Label: "service", Value: "alpha"}}
	for _, c := range []struct {
		codeowners, limit int
		deploys           []org.Ref
		labels            []string
	}{
		{0, 0, nil, nil},
		{5, 3, nil, nil},
		{1, 3, []org.Ref{"component:default/a", "component:default/b"}, nil},
		{1, 5, []org.Ref{"component:default/a", "component:default/b", "component:default/c"}, []string{"app=x"}},
		{0, 10, []org.Ref{"component:default/a", "component:default/b", "component:default/c"}, []string{"app=x", "service=alpha", "service=zeta"}},
	} {
		d, l := ShownDrift(c.codeowners, deploys, labels, c.limit)
		var got []string
		for _, x := range l {
			got = append(got, x.Key())
		}
		if diff := cmp.Diff(c.deploys, d, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%d CODEOWNERS findings, limit %d: deploys (-want +got):\n%s", c.codeowners, c.limit, diff)
		}
		if diff := cmp.Diff(c.labels, got); diff != "" {
			t.Errorf("%d CODEOWNERS findings, limit %d: labels (-want +got):\n%s", c.codeowners, c.limit, diff)
		}
	}
	if deploys[0] != "component:default/b" || labels[0].Value != "zeta" {
		t.Error("ShownDrift reordered its caller's slices")
	}
}
