package importer

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseOrgExample(t *testing.T) {
	data, err := os.ReadFile("testdata/org.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseOrg("org.yaml", data)
	if err != nil {
		t.Fatalf("ParseOrg: %v", err)
	}
	ref := org.MustRef
	var (
		ada, bob, cy, grace = ref("user:ada"), ref("user:bob"), ref("user:cy"), ref("user:ops/grace")
		product, payments   = ref("group:product"), ref("group:payments")
		shop                = ref("group:shop")
		checkout, ordersDB  = ref("component:checkout"), ref("resource:orders-db")
		stripe, shopSystem  = ref("provider:stripe"), ref("system:shop")
		since               = day("2025-01-01")
	)
	if b.Source != SourceOrg {
		t.Errorf("Source = %q, want %q", b.Source, SourceOrg)
	}
	if len(b.Warnings) != 0 {
		t.Errorf("Warnings = %q, want none", b.Warnings)
	}
	t.Run("people", func(t *testing.T) {
		want := []org.Person{
			{Ref: ada, Name: "Ada Lovelace", Email: "ada@example.com", Handle: "ada"},
			{Ref: bob, Name: "Bob Kahn", Email: "bob@example.com", Handle: "bkahn"},
			{Ref: cy, Name: "Cy Young", Email: "cy@example.com", Handle: "cy"},
			{Ref: ref("user:dennis"), Name: "Dennis Ritchie", Email: "dennis@example.com", Handle: "dennis", Left: day("2026-05-01")},
			{Ref: grace, Name: "Grace Hopper", Email: "grace@example.com", Handle: "grace"},
		}
		if d := cmp.Diff(want, b.People); d != "" {
			t.Errorf("people (-want +got):\n%s", d)
		}
	})
	t.Run("teams", func(t *testing.T) {
		want := []org.Team{
			{Ref: payments, Name: "Payments", Description: "Takes the money"},
			{Ref: product, Name: "Product", Description: "Everything customers touch"},
			{Ref: shop, Name: "Shop"},
		}
		if d := cmp.Diff(want, b.Teams); d != "" {
			t.Errorf("teams (-want +got):\n%s", d)
		}
	})
	t.Run("entities", func(t *testing.T) {
		want := []catalog.Entity{
			{Ref: checkout, Kind: catalog.Component, Title: "Checkout", Description: "Takes orders and payments",
				Type: "service", Lifecycle: "production", CodePaths: []string{"github.com/acme/checkout"}},
			{Ref: stripe, Kind: catalog.Provider, Title: "Stripe"},
			{Ref: ordersDB, Kind: catalog.Resource, Title: "Orders database", Type: "database", Lifecycle: "production"},
			{Ref: shopSystem, Kind: catalog.System, Title: "Shop", Description: "The web shop"},
		}
		if d := cmp.Diff(want, b.Entities); d != "" {
			t.Errorf("entities (-want +got):\n%s", d)
		}
	})
	t.Run("claims", func(t *testing.T) {
		want := []org.Claim{
			{Relation: org.ChildOf, Subject: payments, Object: product, Since: since},
			{Relation: org.ChildOf, Subject: shop, Object: product},
			{Relation: org.DependsOn, Subject: checkout, Object: stripe},
			{Relation: org.DependsOn, Subject: checkout, Object: ordersDB},
			{Relation: org.Leads, Subject: ada, Object: payments, Since: since},
			{Relation: org.Leads, Subject: bob, Object: shop},
			{Relation: org.Leads, Subject: grace, Object: product},
			{Relation: org.MemberOf, Subject: ada, Object: payments, Since: since},
			{Relation: org.MemberOf, Subject: bob, Object: payments, Since: since},
			{Relation: org.MemberOf, Subject: bob, Object: shop},
			{Relation: org.MemberOf, Subject: cy, Object: payments, Since: since},
			{Relation: org.MemberOf, Subject: cy, Object: shop},
			{Relation: org.MemberOf, Subject: grace, Object: product},
			{Relation: org.OwnedBy, Subject: checkout, Object: payments, Since: day("2025-09-01")},
			{Relation: org.OwnedBy, Subject: stripe, Object: ada},
			{Relation: org.OwnedBy, Subject: ordersDB, Object: payments},
			{Relation: org.OwnedBy, Subject: ordersDB, Object: shop},
			{Relation: org.OwnedBy, Subject: shopSystem, Object: shop},
			{Relation: org.PartOf, Subject: checkout, Object: shopSystem},
			{Relation: org.PartOf, Subject: ordersDB, Object: shopSystem},
			{Relation: org.PartOf, Subject: shopSystem, Object: ref("domain:commerce")},
		}
		if d := cmp.Diff(want, b.Claims); d != "" {
			t.Errorf("claims (-want +got):\n%s", d)
		}
	})
	t.Run("scopes", func(t *testing.T) {
		teams := []org.Ref{payments, product, shop}
		entities := []org.Ref{checkout, stripe, ordersDB, shopSystem}
		want := []Scope{
			{Relation: org.ChildOf, Subjects: teams},
			{Relation: org.DependsOn, Subjects: entities},
			{Relation: org.Leads, Objects: teams},
			{Relation: org.MemberOf, Objects: teams},
			{Relation: org.OwnedBy, Subjects: entities},
			{Relation: org.PartOf, Subjects: entities},
		}
		if d := cmp.Diff(want, b.Scopes); d != "" {
			t.Errorf("scopes (-want +got):\n%s", d)
		}
	})
}

func TestParseOrgSmall(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Batch
	}{
		{
			name: "empty sections",
			in:   "version: 1\n",
			want: Batch{Source: SourceOrg},
		},
		{
			name: "names default to the ref and lists may be a single value",
			in: `version: 1
people: [{id: Ada}]
teams:
  - {id: ops, members: ada}
entities:
  - {id: api:payments, owner: ops}
`,
			want: Batch{
				Source: SourceOrg,
				People: []org.Person{{Ref: "user:default/ada", Name: "ada", Handle: "ada"}},
				Teams:  []org.Team{{Ref: "group:default/ops", Name: "ops"}},
				Entities: []catalog.Entity{
					{Ref: "api:default/payments", Kind: catalog.API, Title: "payments"},
				},
				Claims: []org.Claim{
					{Relation: org.MemberOf, Subject: "user:default/ada", Object: "group:default/ops"},
					{Relation: org.OwnedBy, Subject: "api:default/payments", Object: "group:default/ops"},
				},
				Scopes: []Scope{
					{Relation: org.ChildOf, Subjects: []org.Ref{"group:default/ops"}},
					{Relation: org.DependsOn, Subjects: []org.Ref{"api:default/payments"}},
					{Relation: org.Leads, Objects: []org.Ref{"group:default/ops"}},
					{Relation: org.MemberOf, Objects: []org.Ref{"group:default/ops"}},
					{Relation: org.OwnedBy, Subjects: []org.Ref{"api:default/payments"}},
					{Relation: org.PartOf, Subjects: []org.Ref{"api:default/payments"}},
				},
			},
		},
		{
			name: "kind without one in the id, and an RFC 3339 time",
			in: `version: 1
entities:
  - id: Shop
    kind: System
    owner: user:ada
    owner_since: 2025-09-01T10:00:00+02:00
`,
			want: Batch{
				Source:   SourceOrg,
				Entities: []catalog.Entity{{Ref: "system:default/shop", Kind: catalog.System, Title: "shop"}},
				Claims: []org.Claim{{Relation: org.OwnedBy, Subject: "system:default/shop", Object: "user:default/ada",
					Since: time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)}},
				Scopes: []Scope{
					{Relation: org.DependsOn, Subjects: []org.Ref{"system:default/shop"}},
					{Relation: org.OwnedBy, Subjects: []org.Ref{"system:default/shop"}},
					{Relation: org.PartOf, Subjects: []org.Ref{"system:default/shop"}},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOrg("org.yaml", []byte(tt.in))
			if err != nil {
				t.Fatalf("ParseOrg: %v", err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("batch (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseOrgErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // lines of the message, each a substring
	}{
		{
			name: "unknown field",
			in:   "version: 1\nteams:\n  - id: payments\n    leeder: ada\n",
			want: []string{`org.yaml:4: teams[0] (payments): unknown field "leeder"`},
		},
		{
			name: "unknown top-level field",
			in:   "version: 1\ngroups: []\n",
			want: []string{`org.yaml:2: unknown field "groups"`},
		},
		{
			name: "field given twice",
			in:   "version: 1\npeople:\n  - id: ada\n    name: A\n    name: B\n",
			want: []string{`org.yaml:5: people[0] (ada): field "name" given twice (first at line 4)`},
		},
		{
			name: "duplicate id written two ways",
			in:   "version: 1\npeople:\n  - id: ada\n  - id: user:default/ada\n",
			want: []string{`org.yaml:4: people[1] (user:default/ada): duplicate id user:default/ada (first at line 3)`},
		},
		{
			name: "missing id",
			in:   "version: 1\nteams:\n  - name: Payments\n",
			want: []string{`org.yaml:3: teams[0]: id is missing`},
		},
		{
			name: "empty id",
			in:   "version: 1\nteams:\n  - id: \"\"\n",
			want: []string{`org.yaml:3: teams[0]: id is missing`},
		},
		{
			name: "id that is a list",
			in:   "version: 1\nteams:\n  - id: [a]\n",
			want: []string{`org.yaml:3: teams[0]: id: want a single value, found a list`},
		},
		{
			name: "wrong version",
			in:   "version: 2\n",
			want: []string{`org.yaml:1: version: "2" is not supported (this blameful reads version 1)`},
		},
		{
			name: "missing version",
			in:   "people: []\n",
			want: []string{`org.yaml:1: version is missing`},
		},
		{
			name: "owner and owners together",
			in:   "version: 1\nentities:\n  - id: checkout\n    owner: payments\n    owners: [shop]\n",
			want: []string{`org.yaml:4: entities[0] (checkout): owner: give either owner or owners, not both`},
		},
		{
			name: "owner_since without an owner",
			in:   "version: 1\nentities:\n  - id: checkout\n    owner_since: 2025-01-01\n",
			want: []string{`org.yaml:4: entities[0] (checkout): owner_since: give owner or owners too`},
		},
		{
			name: "kind disagrees with the id",
			in:   "version: 1\nentities:\n  - id: component:checkout\n    kind: system\n",
			want: []string{`org.yaml:4: entities[0] (component:checkout): kind: "system" disagrees with the id component:default/checkout`},
		},
		{
			name: "unknown kind",
			in:   "version: 1\nentities:\n  - id: checkout\n    kind: service\n",
			want: []string{`org.yaml:4: entities[0] (checkout): kind: "service" is not an entity kind`},
		},
		{
			name: "bad date",
			in:   "version: 1\npeople:\n  - id: ada\n    left: 2026-13-01\n",
			want: []string{`org.yaml:4: people[0] (ada): left: "2026-13-01" is not a date (2026-05-01) or an RFC 3339 time`},
		},
		{
			name: "malformed reference",
			in:   "version: 1\nteams:\n  - id: payments\n    members: [bob, b c]\n",
			want: []string{`org.yaml:4: teams[0] (payments): members: reference "b c" has an invalid name "b c"`},
		},
		{
			name: "reference of the wrong kind",
			in:   "version: 1\nteams:\n  - id: payments\n    leader: group:ops\n",
			want: []string{`org.yaml:4: teams[0] (payments): leader: "group:ops" must name a user, not a group`},
		},
		{
			name: "owner that is not a person or team",
			in:   "version: 1\nentities:\n  - id: checkout\n    owner: system:shop\n",
			want: []string{`org.yaml:4: entities[0] (checkout): owner: "system:shop" must name a user or group, not a system`},
		},
		{
			name: "domain on a component",
			in:   "version: 1\nentities:\n  - id: checkout\n    domain: commerce\n",
			want: []string{`org.yaml:4: entities[0] (checkout): domain: only a system belongs to a domain, and this is a component`},
		},
		{
			name: "team is its own parent",
			in:   "version: 1\nteams:\n  - id: ops\n    parent: group:default/ops\n",
			want: []string{`org.yaml:4: teams[0] (ops): parent: a team cannot be its own parent`},
		},
		{
			name: "list where a value belongs",
			in:   "version: 1\npeople:\n  - id: ada\n    name: [Ada, Lovelace]\n",
			want: []string{`org.yaml:4: people[0] (ada): name: want a single value, found a list`},
		},
		{
			name: "section that is not a list",
			in:   "version: 1\npeople:\n  ada: {}\n",
			want: []string{`org.yaml:3: people: want a list, found a mapping`},
		},
		{
			name: "item that is not a mapping",
			in:   "version: 1\npeople:\n  - ada\n",
			want: []string{`org.yaml:3: people[0]: want a mapping with an id`},
		},
		{
			name: "not a mapping at all",
			in:   "- version: 1\n",
			want: []string{`org.yaml:1: want a mapping with version, people, teams and entities`},
		},
		{
			name: "empty file",
			in:   "",
			want: []string{`org.yaml: want a mapping with version, people, teams and entities`},
		},
		{
			name: "malformed YAML",
			in:   "version: 1\npeople:\n  - id: [ada\n",
			want: []string{`org.yaml:3: malformed YAML: did not find expected ',' or ']'`},
		},
		{
			name: "several problems at once, in line order",
			in: `version: 3
people:
  - id: ada
    emial: ada@example.com
teams:
  - id: payments
    members: [bob, "b c"]
  - id: payments
entities:
  - id: checkout
    kind: system
    system: shop
`,
			want: []string{
				"5 problems:",
				`org.yaml:1: version: "3" is not supported`,
				`org.yaml:4: people[0] (ada): unknown field "emial"`,
				`org.yaml:7: teams[0] (payments): members: reference "b c" has an invalid name`,
				`org.yaml:8: teams[1] (payments): duplicate id group:default/payments (first at line 6)`,
				`org.yaml:12: entities[0] (checkout): system: a system cannot be part of a system`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOrg("org.yaml", []byte(tt.in))
			checkInvalid(t, err, tt.want)
		})
	}
}

func TestParseOrgManyProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\npeople:\n")
	for range 25 {
		b.WriteString("  - id: ada\n    nmae: Ada\n")
	}
	_, err := ParseOrg("org.yaml", []byte(b.String()))
	// 25 unknown fields and 24 duplicates, of which the first 20 are listed.
	checkInvalid(t, err, []string{"49 problems:", `org.yaml:4: people[0] (ada): unknown field "nmae"`, "… and 29 more"})
}

// checkInvalid checks that err is an errs.Invalid error whose message has
// exactly the lines of want, each line containing its want.
func checkInvalid(t *testing.T, err error, want []string) {
	t.Helper()
	if !errors.Is(err, errs.Invalid) {
		t.Fatalf("err = %v, want an Invalid error", err)
	}
	e, _ := errs.As(err)
	lines := strings.Split(e.Message, "\n")
	if len(want) > 1 && len(lines) != len(want) && !strings.HasPrefix(want[len(want)-1], "…") {
		t.Fatalf("message has %d lines, want %d:\n%s", len(lines), len(want), e.Message)
	}
	for i, w := range want {
		if i >= len(lines) {
			t.Fatalf("message lacks %q:\n%s", w, e.Message)
		}
		line := lines[i]
		if strings.HasPrefix(w, "…") {
			line = lines[len(lines)-1]
		}
		if !strings.Contains(line, w) {
			t.Errorf("message line %q does not contain %q; whole message:\n%s", line, w, e.Message)
		}
	}
}

// TestOrgFileRefusesControlCharacters: text the database engines would treat
// differently (NUL) or a terminal would obey (escapes) is refused, naming
// the line and field.
func TestOrgFileRefusesControlCharacters(t *testing.T) {
	for name, value := range map[string]string{
		"NUL":    `"Ada\0Lovelace"`,
		"escape": `"\e[31mAda"`,
		"C1":     `"Ada\x85Lovelace"`,
		"long":   strings.Repeat("a", 301),
	} {
		t.Run(name, func(t *testing.T) {
			doc := "version: 1\npeople:\n  - id: ada\n    name: " + value + "\n"
			_, err := ParseOrg("org.yaml", []byte(doc))
			if err == nil || !strings.Contains(err.Error(), "org.yaml:4") || !strings.Contains(err.Error(), "name") {
				t.Fatalf("got %v, want a problem at org.yaml:4 naming the name", err)
			}
		})
	}
}
