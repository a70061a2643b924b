package importer

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/org"
)

// readFiles reads the .yaml files under dir (a directory or one file),
// named by their paths relative to testdata, in lexical order.
func readFiles(t testing.TB, dir string) []File {
	t.Helper()
	var files []File
	err := filepath.WalkDir(filepath.Join("testdata", dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		name, _ := filepath.Rel("testdata", path)
		files = append(files, File{Name: filepath.ToSlash(name), Data: data})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .yaml files in testdata/%s", dir)
	}
	return files
}

func parseBackstage(t *testing.T, files []File) Batch {
	t.Helper()
	b, err := ParseBackstage(files)
	if err != nil {
		t.Fatalf("ParseBackstage: %v", err)
	}
	if b.Source != SourceBackstage {
		t.Errorf("Source = %q, want %q", b.Source, SourceBackstage)
	}
	return b
}

// checkClaims reports each claim of want that b lacks.
func checkClaims(t *testing.T, b Batch, want ...org.Claim) {
	t.Helper()
	for _, c := range want {
		if !slices.Contains(b.Claims, c) {
			t.Errorf("missing claim %s %s %s (since %v)", c.Subject, c.Relation, c.Object, c.Since)
		}
	}
}

func claim(rel org.Relation, subject, object string) org.Claim {
	return org.Claim{Relation: rel, Subject: org.MustRef(subject), Object: org.MustRef(object)}
}

func TestParseBackstageSamples(t *testing.T) {
	b := parseBackstage(t, readFiles(t, "backstage"))

	t.Run("counts", func(t *testing.T) {
		kinds := make(map[catalog.Kind]int)
		for _, e := range b.Entities {
			kinds[e.Kind]++
		}
		got := map[string]int{
			"teams": len(b.Teams), "people": len(b.People), "components": kinds[catalog.Component],
			"systems": kinds[catalog.System], "resources": kinds[catalog.Resource], "domains": kinds[catalog.Domain],
			"entities": len(b.Entities),
		}
		want := map[string]int{
			"teams": 8, "people": 17, "components": 3, "systems": 2, "resources": 1, "domains": 1, "entities": 7,
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("counts (-want +got):\n%s", d)
		}
	})
	t.Run("only the Location is warned about", func(t *testing.T) {
		want := []string{"backstage/acme/org.yaml:13: document 2 (Location example-groups): blameful does not import kind Location; skipped"}
		if d := cmp.Diff(want, b.Warnings); d != "" {
			t.Errorf("warnings (-want +got):\n%s", d)
		}
	})
	t.Run("claims", func(t *testing.T) {
		checkClaims(t, b,
			claim(org.DependsOn, "component:artist-lookup", "resource:artists-db"),
			claim(org.OwnedBy, "component:playback-order", "user:guest"),
			claim(org.OwnedBy, "component:artist-lookup", "group:team-a"),
			claim(org.PartOf, "component:artist-lookup", "system:artist-engagement-portal"),
			claim(org.PartOf, "system:artist-engagement-portal", "domain:artists"),
			// The domain is not in the samples: the parser does not judge that.
			claim(org.PartOf, "system:audio-playback", "domain:playback"),
			claim(org.ChildOf, "group:boxoffice", "group:infrastructure"),
			claim(org.ChildOf, "group:team-c", "group:boxoffice"),
			claim(org.MemberOf, "user:breanna.davison", "group:team-a"),
			claim(org.MemberOf, "user:development/guest", "group:default/team-a"),
		)
		// Historical ancestors/descendants fields are ignored: acme-corp is
		// only the parent of infrastructure.
		for _, c := range b.Claims {
			if c.Relation == org.ChildOf && c.Object == "group:default/acme-corp" && c.Subject != "group:default/infrastructure" {
				t.Errorf("unexpected claim %+v", c)
			}
		}
	})
	t.Run("two guests in two namespaces", func(t *testing.T) {
		var guests []org.Person
		for _, p := range b.People {
			if p.Handle == "guest" {
				guests = append(guests, p)
			}
		}
		want := []org.Person{
			{Ref: "user:default/guest", Name: "Guest User", Email: "guest@example.com", Handle: "guest"},
			{Ref: "user:development/guest", Name: "Guest User", Email: "guest@example.com", Handle: "guest"},
		}
		if d := cmp.Diff(want, guests); d != "" {
			t.Errorf("guests (-want +got):\n%s", d)
		}
	})
	t.Run("name falls back to metadata.name", func(t *testing.T) {
		i := slices.IndexFunc(b.People, func(p org.Person) bool { return p.Ref == "user:default/breanna.davison" })
		want := org.Person{Ref: "user:default/breanna.davison", Name: "breanna.davison", Email: "breanna-davison@example.com", Handle: "breanna.davison"}
		if d := cmp.Diff(want, b.People[i]); i < 0 || d != "" {
			t.Errorf("breanna.davison (-want +got):\n%s", d)
		}
	})
	t.Run("entity", func(t *testing.T) {
		i := slices.IndexFunc(b.Entities, func(e catalog.Entity) bool { return e.Ref == "system:default/artist-engagement-portal" })
		want := catalog.Entity{Ref: "system:default/artist-engagement-portal", Kind: catalog.System,
			Title: "Artist Engagement Portal", Description: "Everything related to artists"}
		if d := cmp.Diff(want, b.Entities[i]); i < 0 || d != "" {
			t.Errorf("artist-engagement-portal (-want +got):\n%s", d)
		}
	})
	t.Run("scopes", func(t *testing.T) {
		for _, s := range b.Scopes {
			if !slices.IsSorted(s.Subjects) || !slices.IsSorted(s.Objects) {
				t.Errorf("scope %s is not sorted", s.Relation)
			}
		}
		byRel := make(map[org.Relation]Scope)
		for _, s := range b.Scopes {
			byRel[s.Relation] = s
		}
		if got := len(byRel[org.MemberOf].Subjects); got != 17 {
			t.Errorf("member_of scope has %d subjects, want the 17 users", got)
		}
		if got := len(byRel[org.Leads].Objects); got != 8 {
			t.Errorf("leads scope has %d objects, want the 8 groups", got)
		}
		if got := len(byRel[org.OwnedBy].Subjects); got != 7 {
			t.Errorf("owned_by scope has %d subjects, want the 7 entities", got)
		}
		// Groups that list no members do not state their members in full.
		if got := len(byRel[org.MemberOf].Objects); got != 0 {
			t.Errorf("member_of scope has objects %v, want none", byRel[org.MemberOf].Objects)
		}
	})
	t.Run("same input, same batch", func(t *testing.T) {
		files := readFiles(t, "backstage")
		if d := cmp.Diff(b, parseBackstage(t, files)); d != "" {
			t.Errorf("second parse differs (-first +second):\n%s", d)
		}
	})
}

func TestParseBackstageFixtures(t *testing.T) {
	t.Run("leader annotation", func(t *testing.T) {
		b := parseBackstage(t, readFiles(t, "fixtures/leader.yaml"))
		since := day("2025-01-01")
		pay := org.Ref("group:shop/payments")
		ada := org.Ref("user:shop/ada")
		want := Batch{
			Source: SourceBackstage,
			People: []org.Person{{Ref: ada, Name: "Ada Lovelace", Email: "ada@example.com", Handle: "ada",
				Left: time.Date(2026, 5, 1, 15, 30, 0, 0, time.UTC)}},
			Teams: []org.Team{{Ref: pay, Name: "Payments team"}},
			Claims: []org.Claim{
				{Relation: org.ChildOf, Subject: "group:shop/billing", Object: pay, Since: since},
				{Relation: org.ChildOf, Subject: pay, Object: "group:default/product", Since: since},
				{Relation: org.Leads, Subject: ada, Object: pay, Since: since},
				// The group's since is the earlier: the user's claim has none.
				{Relation: org.MemberOf, Subject: ada, Object: pay, Since: since},
				{Relation: org.MemberOf, Subject: "user:shop/bob", Object: pay, Since: since},
			},
			Scopes: []Scope{
				{Relation: org.ChildOf, Subjects: []org.Ref{pay}, Objects: []org.Ref{pay}},
				{Relation: org.Leads, Objects: []org.Ref{pay}},
				{Relation: org.MemberOf, Subjects: []org.Ref{ada}, Objects: []org.Ref{pay}},
			},
		}
		if d := cmp.Diff(want, b); d != "" {
			t.Errorf("batch (-want +got):\n%s", d)
		}
	})
	t.Run("owner-since annotation and code paths", func(t *testing.T) {
		b := parseBackstage(t, readFiles(t, "fixtures/owner-since.yaml"))
		checkout := org.Ref("component:default/checkout")
		want := Batch{
			Source: SourceBackstage,
			Entities: []catalog.Entity{{Ref: checkout, Kind: catalog.Component, Title: "Checkout", Description: "Takes orders",
				Type: "service", Lifecycle: "production",
				CodePaths: []string{"github.com/acme/checkout", "https://github.com/acme/checkout/tree/main/"}}},
			Claims: []org.Claim{
				{Relation: org.OwnedBy, Subject: checkout, Object: "group:default/payments", Since: day("2025-09-01")},
				{Relation: org.PartOf, Subject: checkout, Object: "system:default/shop"},
			},
			Scopes: []Scope{
				{Relation: org.DependsOn, Subjects: []org.Ref{checkout}},
				{Relation: org.OwnedBy, Subjects: []org.Ref{checkout}},
				{Relation: org.PartOf, Subjects: []org.Ref{checkout}},
			},
		}
		if d := cmp.Diff(want, b); d != "" {
			t.Errorf("batch (-want +got):\n%s", d)
		}
	})
	t.Run("providers and dependencies on them under their old kinds", func(t *testing.T) {
		b := parseBackstage(t, readFiles(t, "fixtures/provider.yaml"))
		wantEntities := []catalog.Entity{
			{Ref: "component:default/checkout", Kind: catalog.Component, Title: "checkout", Type: "service", Lifecycle: "production"},
			{Ref: "provider:default/sendgrid", Kind: catalog.Provider, Title: "sendgrid", Type: "service", Lifecycle: "production"},
			{Ref: "provider:default/stripe", Kind: catalog.Provider, Title: "stripe", Description: "Card payments", Type: "Third-Party"},
		}
		if d := cmp.Diff(wantEntities, b.Entities); d != "" {
			t.Errorf("entities (-want +got):\n%s", d)
		}
		wantClaims := []org.Claim{
			claim(org.DependsOn, "component:checkout", "provider:sendgrid"),
			claim(org.DependsOn, "component:checkout", "provider:stripe"),
			claim(org.DependsOn, "component:checkout", "resource:orders-db"),
			claim(org.OwnedBy, "component:checkout", "group:payments"),
			claim(org.OwnedBy, "provider:sendgrid", "group:payments"),
			claim(org.OwnedBy, "provider:stripe", "group:payments"),
		}
		if d := cmp.Diff(wantClaims, b.Claims); d != "" {
			t.Errorf("claims (-want +got):\n%s", d)
		}
	})
	t.Run("other apiVersion", func(t *testing.T) {
		b := parseBackstage(t, readFiles(t, "fixtures/other-apiversion.yaml"))
		want := []string{`fixtures/other-apiversion.yaml:2: document 1 (Deployment checkout): apiVersion "apps/v1" is not a Backstage one; skipped`}
		if d := cmp.Diff(want, b.Warnings); d != "" {
			t.Errorf("warnings (-want +got):\n%s", d)
		}
		if len(b.Entities) != 1 || b.Entities[0].Ref != "component:default/checkout" {
			t.Errorf("entities = %+v, want only the backstage.io/v1beta1 checkout", b.Entities)
		}
	})
	t.Run("malformed YAML", func(t *testing.T) {
		_, err := ParseBackstage(readFiles(t, "fixtures/malformed.yaml"))
		checkInvalid(t, err, []string{`fixtures/malformed.yaml:13: document 2: malformed YAML: did not find expected ',' or ']'`})
	})
	t.Run("no metadata.name", func(t *testing.T) {
		_, err := ParseBackstage(readFiles(t, "fixtures/no-name.yaml"))
		checkInvalid(t, err, []string{`fixtures/no-name.yaml:1: document 1 (Component): metadata.name is missing`})
	})
}

func TestParseBackstageInline(t *testing.T) {
	const head = "apiVersion: backstage.io/v1alpha1\n"
	tests := []struct {
		name     string
		files    []File
		claims   []org.Claim // must be among the batch's claims
		warnings []string
	}{
		{
			name: "bare reference resolves in the entity's namespace",
			files: []File{{Name: "a.yaml", Data: []byte(head + `kind: User
metadata: {name: guest, namespace: Development}
spec: {memberOf: [team-a, group:default/team-b]}
`)}},
			claims: []org.Claim{
				claim(org.MemberOf, "user:development/guest", "group:development/team-a"),
				claim(org.MemberOf, "user:development/guest", "group:default/team-b"),
			},
		},
		{
			name: "later definition wins",
			files: []File{
				{Name: "a.yaml", Data: []byte(head + "kind: Component\nmetadata: {name: checkout}\nspec: {owner: payments}\n")},
				{Name: "b.yaml", Data: []byte("---\n" + head + "kind: Component\nmetadata: {name: Checkout}\nspec: {owner: shop}\n")},
			},
			claims:   []org.Claim{claim(org.OwnedBy, "component:checkout", "group:shop")},
			warnings: []string{"b.yaml:2: document 1 (Component Checkout): component:default/checkout is defined again; this definition replaces the one at a.yaml:1 (document 1)"},
		},
		{
			name: "provider defined under two kinds",
			files: []File{
				{Name: "a.yaml", Data: []byte(head + "kind: Resource\nmetadata: {name: stripe}\nspec: {type: provider}\n")},
				{Name: "b.yaml", Data: []byte(head + "kind: Component\nmetadata: {name: stripe}\nspec: {type: third-party}\n")},
				{Name: "c.yaml", Data: []byte(head + "kind: Component\nmetadata: {name: checkout}\nspec: {dependsOn: [resource:stripe, stripe]}\n")},
			},
			claims:   []org.Claim{claim(org.DependsOn, "component:checkout", "provider:stripe")},
			warnings: []string{"b.yaml:1: document 1 (Component stripe): provider:default/stripe is defined again; this definition replaces the one at a.yaml:1 (document 1)"},
		},
		{
			name: "empty documents and comments only",
			files: []File{
				{Name: "a.yaml", Data: []byte("---\n---\n# nothing\n---\n" + head + "kind: Domain\nmetadata: {name: artists}\nspec: {owner: team-a}\n---\n")},
				{Name: "empty.yaml"},
			},
			claims: []org.Claim{claim(org.OwnedBy, "domain:artists", "group:team-a")},
		},
		{
			name:  "unknown kind and apiVersion are skipped",
			files: []File{{Name: "a.yaml", Data: []byte(head + "kind: Template\nmetadata: {name: t}\n---\nkind: Group\nmetadata: {name: g}\n")}},
			warnings: []string{
				"a.yaml:1: document 1 (Template t): blameful does not import kind Template; skipped",
				`a.yaml:5: document 2 (Group g): apiVersion "" is not a Backstage one; skipped`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := parseBackstage(t, tt.files)
			checkClaims(t, b, tt.claims...)
			if d := cmp.Diff(tt.warnings, b.Warnings); d != "" {
				t.Errorf("warnings (-want +got):\n%s", d)
			}
		})
	}
	t.Run("the losing definition says nothing", func(t *testing.T) {
		b := parseBackstage(t, tests[1].files)
		if slices.Contains(b.Claims, claim(org.OwnedBy, "component:checkout", "group:payments")) {
			t.Errorf("claims %+v keep the replaced definition's owner", b.Claims)
		}
	})
}

func TestParseBackstageErrors(t *testing.T) {
	const head = "apiVersion: backstage.io/v1alpha1\n"
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "no kind",
			in:   head + "metadata: {name: x}\n",
			want: []string{"a.yaml:1: document 1: kind is missing"},
		},
		{
			name: "empty kind",
			in:   head + "kind: ''\nmetadata: {name: x}\n",
			want: []string{"a.yaml:1: document 1: kind is missing"},
		},
		{
			name: "empty name",
			in:   head + "kind: User\nmetadata: {name: ' '}\n",
			want: []string{"a.yaml:1: document 1 (User): metadata.name is missing"},
		},
		{
			name: "invalid name",
			in:   head + "kind: Component\nmetadata:\n  name: check out\n",
			want: []string{`a.yaml:4: document 1 (Component check out): metadata: reference "check out" has an invalid name`},
		},
		{
			name: "name with a kind in it",
			in:   head + "kind: Component\nmetadata:\n  name: component:checkout\n",
			want: []string{`a.yaml:4: document 1 (Component component:checkout): metadata.name: "component:checkout" is not a name`},
		},
		{
			name: "invalid reference names the field",
			in:   head + "kind: Component\nmetadata: {name: checkout}\nspec:\n  owner: team-a\n  dependsOn: [resource:orders-db, 'resource:']\n",
			want: []string{`a.yaml:6: document 1 (Component checkout): spec.dependsOn: reference "resource:" has an invalid name ""`},
		},
		{
			name: "reference of the wrong kind",
			in:   head + "kind: User\nmetadata: {name: ada}\nspec:\n  memberOf: [user:bob]\n",
			want: []string{`a.yaml:5: document 1 (User ada): spec.memberOf: "user:bob" must name a group, not a user`},
		},
		{
			name: "bad date annotation",
			in:   head + "kind: Group\nmetadata:\n  name: ops\n  annotations:\n    blameful.dev/since: last week\n",
			want: []string{`a.yaml:6: document 1 (Group ops): annotation blameful.dev/since: "last week" is not a date`},
		},
		{
			name: "not a mapping",
			in:   "- kind: Group\n",
			want: []string{"a.yaml:1: document 1: want a mapping with apiVersion, kind, metadata and spec, found a list"},
		},
		{
			name: "several problems in several documents",
			in: head + "kind: Group\nmetadata: {name: ops}\nspec: {parent: [a, b]}\n---\n" +
				head + "kind: Component\nmetadata: {title: x}\n",
			want: []string{
				"2 problems:",
				"a.yaml:4: document 1 (Group ops): spec.parent: want a single value, found a list",
				"a.yaml:6: document 2 (Component): metadata.name is missing",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBackstage([]File{{Name: "a.yaml", Data: []byte(tt.in)}})
			checkInvalid(t, err, tt.want)
		})
	}
}

func TestParseBackstageManyFiles(t *testing.T) {
	// Problems from several files come in file order.
	_, err := ParseBackstage([]File{
		{Name: "b.yaml", Data: []byte("kind: [x]\n")},
		{Name: "a.yaml", Data: []byte("a: [\n")},
	})
	checkInvalid(t, err, []string{"2 problems:", "b.yaml:1: document 1: kind: want a single value", "a.yaml:2: document 1: malformed YAML"})
	if err != nil && strings.Contains(err.Error(), "\n\n") {
		t.Errorf("message has blank lines: %q", err)
	}
}
