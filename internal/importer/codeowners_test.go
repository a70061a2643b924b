package importer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

func readCodeowners(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "codeowners", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCodeownersPatterns holds the matcher to every case of hmarr's
// pattern table: pattern, path, whether it matches.
func TestCodeownersPatterns(t *testing.T) {
	var cases []struct {
		Name    string          `json:"name"`
		Pattern string          `json:"pattern"`
		Paths   map[string]bool `json:"paths"`
	}
	if err := json.Unmarshal(readCodeowners(t, "hmarr-codeowners-patterns.json"), &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 27 {
		t.Fatalf("%d cases, want the 27 of the file", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			c, err := ParseCodeowners("CODEOWNERS", []byte(tc.Pattern+" @owner\n"))
			if err != nil {
				t.Fatal(err)
			}
			for path, want := range tc.Paths {
				_, got := c.Match(path)
				if got != want {
					t.Errorf("%q matches %q: %v, want %v", tc.Pattern, path, got, want)
				}
			}
		})
	}
}

// TestCodeownersGitHubExample reads GitHub's documented example and checks
// each rule's documented meaning, the last matching rule winning.
func TestCodeownersGitHubExample(t *testing.T) {
	c, err := ParseCodeowners("CODEOWNERS", readCodeowners(t, "github-docs-example.CODEOWNERS"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 10 {
		t.Fatalf("%d rules, want 10", len(c.Rules))
	}
	for _, tc := range []struct {
		path   string
		owners []string
		line   int
	}{
		{"README.md", []string{"@global-owner1", "@global-owner2"}, 8},
		{"/", []string{"@global-owner1", "@global-owner2"}, 8},
		{"src/app.js", []string{"@js-owner"}, 14},
		{"main.go", []string{"docs@example.com"}, 19},
		{"notes/a.txt", []string{"@octo-org/octocats"}, 25},
		{"build/logs/today/x.log", []string{"@doctocat"}, 30},
		{"lib/build/logs/x.log", []string{"@global-owner1", "@global-owner2"}, 8},
		{"docs/getting-started.md", []string{"@doctocat"}, 44}, // /docs/ comes after docs/*
		{"src/apps/a.rb", []string{"@octocat"}, 39},
		{"apps/web/x.rb", []string{"@octocat"}, 49},
		{"apps/github/x.rb", nil, 50}, // unowned by the last rule
		{"apps/github", nil, 50},
	} {
		r, ok := c.Match(tc.path)
		if !ok || r.Line != tc.line || !cmp.Equal(r.Owners, tc.owners) {
			t.Errorf("%s: line %d owners %v (matched %v), want line %d owners %v", tc.path, r.Line, r.Owners, ok, tc.line, tc.owners)
		}
	}
	if r, _ := c.Match("apps/github"); !r.IsUnowned() || r.Text != "/apps/github" {
		t.Errorf("the ownerless rule: %+v", r)
	}
}

// TestCodeownersBackstage reads the real file of backstage/backstage.
func TestCodeownersBackstage(t *testing.T) {
	c, err := ParseCodeowners("CODEOWNERS", readCodeowners(t, "backstage.CODEOWNERS"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 75 {
		t.Fatalf("%d rules, want 75", len(c.Rules))
	}
	for _, tc := range []struct {
		path  string
		first string
		line  int
	}{
		{"packages/core/src/index.ts", "@backstage/maintainers", 7},
		{"yarn.lock", "@backstage/maintainers", 8},
		{"packages/yarn.lock", "@backstage/maintainers", 9},
		{"packages/app/yarn.lock", "@backstage/maintainers", 8}, // */yarn.lock is one level deep only
		{"plugins/kubernetes-backend/src/x.ts", "@backstage/kubernetes-maintainers", 61},
		{"plugins/catalog-backend-module-aws/package.json", "@backstage/maintainers", 28},
		{".changeset/brave-cats.md", "", 10},
		{".changeset/config.json", "@backstage/maintainers", 7},
	} {
		r, ok := c.Match(tc.path)
		first := ""
		if len(r.Owners) > 0 {
			first = r.Owners[0]
		}
		if !ok || r.Line != tc.line || first != tc.first {
			t.Errorf("%s: line %d first owner %q, want line %d %q", tc.path, r.Line, first, tc.line, tc.first)
		}
	}
	r, _ := c.Match("plugins/adr/x")
	if want := "/plugins/adr                                      @backstage/maintainers @backstage/reviewers @kuangp"; r.Text != want {
		t.Errorf("text %q, want the line as written %q", r.Text, want)
	}
}

func TestCodeownersSyntax(t *testing.T) {
	for name, tc := range map[string]struct {
		in      string
		rules   []OwnerRule
		problem string
	}{
		"escaped hash":             {in: "\\#notes @a\n", rules: []OwnerRule{{Line: 1, Text: `\#notes @a`, Pattern: `\#notes`, Owners: []string{"@a"}}}},
		"comment after the owners": {in: "*.go @a # Go\n", rules: []OwnerRule{{Line: 1, Text: "*.go @a # Go", Pattern: "*.go", Owners: []string{"@a"}}}},
		"escaped blank":            {in: "my\\ file.txt @a\r\n", rules: []OwnerRule{{Line: 1, Text: `my\ file.txt @a`, Pattern: `my\ file.txt`, Owners: []string{"@a"}}}},
		"tabs and blanks":          {in: "\t  # c\n\n\t/x\t@o/t  a@b.io \n", rules: []OwnerRule{{Line: 3, Text: "/x\t@o/t  a@b.io", Pattern: "/x", Owners: []string{"@o/t", "a@b.io"}}}},
		"no rules":                 {in: "# only a comment\n"},
		"byte order mark":          {in: "\ufeff* @a\n", rules: []OwnerRule{{Line: 1, Text: "* @a", Pattern: "*", Owners: []string{"@a"}}}},
		"negation":                 {in: "!x @a\n", problem: "CODEOWNERS:1: pattern \"!x\": negation (!) is not supported"},
		"bad owner":                {in: "x @a\ny nobody\n", problem: "CODEOWNERS:2: owner \"nobody\" is not @user, @org/team or an email address"},
		"empty segment":            {in: "a//b @a\n", problem: "empty path segment"},
		"lone backslash":           {in: "a\\", problem: "lone backslash"},
		"control character":        {in: "a\x00b @a", problem: "control character"},
		"a later byte order mark":  {in: "* @a\n\ufeffx @b\n", problem: "CODEOWNERS:2: a byte order mark"},
		"not UTF-8":                {in: "a\xffb @a", problem: "not UTF-8"},
		"long line":                {in: strings.Repeat("a", MaxCodeownersLineBytes+1), problem: "at most 4096 are read"},
		"only a slash":             {in: "/ @a", problem: "names no path"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := ParseCodeowners("CODEOWNERS", []byte(tc.in))
			if tc.problem != "" {
				if !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("error %v, want Invalid with %q", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.rules, c.Rules); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := ParseCodeowners("CODEOWNERS", []byte(strings.Repeat("x @a\n", MaxCodeownersRules+1))); err == nil || !strings.Contains(err.Error(), "more than 10000 rules") {
		t.Errorf("too many rules: %v", err)
	}
	if _, err := ParseCodeowners("CODEOWNERS", make([]byte, MaxCodeownersBytes)); err == nil || !strings.Contains(err.Error(), "must be under") {
		t.Errorf("too large: %v", err)
	}
}

func TestCodeownersMatchEscapes(t *testing.T) {
	c, err := ParseCodeowners("CODEOWNERS", []byte("\\#notes @a\nmy\\ file.txt @b\n"))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"#notes": "@a", "docs/#notes": "@a", "my file.txt": "@b"} {
		if r, ok := c.Match(path); !ok || r.Owners[0] != want {
			t.Errorf("%s: %+v %v, want %s", path, r, ok, want)
		}
	}
	if r, ok := c.Match("/"); ok {
		t.Errorf("the root matched %+v without a catch-all rule", r)
	}
}

func TestResolveOwners(t *testing.T) {
	c, err := ParseCodeowners("CODEOWNERS", []byte("* @acme/payments @acme/site-reliability @Ada cy@example.com @ghost @acme/nobody\n/x\n"))
	if err != nil {
		t.Fatal(err)
	}
	people := []org.Person{
		{Ref: "user:default/ada-l", Handle: "ada"},
		{Ref: "user:default/cy", Email: "Cy@Example.com"},
	}
	teams := []org.Team{
		{Ref: "group:default/payments", Name: "Payments"},
		{Ref: "group:default/sre", Name: "Site Reliability"},
	}
	unknown := ResolveOwners(c.Rules, people, teams)
	if want := []string{"@acme/nobody", "@ghost"}; !cmp.Equal(unknown, want) {
		t.Errorf("unknown %v, want %v", unknown, want)
	}
	want := []org.Ref{"group:default/payments", "group:default/sre", "user:default/ada-l", "user:default/cy"}
	if !cmp.Equal(c.Rules[0].Refs, want) {
		t.Errorf("refs %v, want %v", c.Rules[0].Refs, want)
	}
	if c.Rules[1].Refs != nil {
		t.Errorf("an ownerless rule resolved to %v", c.Rules[1].Refs)
	}
}

func TestCanonicalRepo(t *testing.T) {
	for in, want := range map[string]string{
		"acme/shop": "acme/shop", "github.com/Acme/Shop": "acme/shop", "https://github.com/acme/shop.git": "acme/shop",
		"shop": "shop", "git@github.com:acme/shop.git": "acme/shop",
	} {
		if got, err := CanonicalRepo(in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "a/b/c", "acme/<x>", "../x", "a//b"} {
		if got, err := CanonicalRepo(bad); !errors.Is(err, errs.Invalid) {
			t.Errorf("%q: %q %v, want Invalid", bad, got, err)
		}
	}
	for in, want := range map[string][2]string{
		"github.com/acme/shop":                                 {"acme/shop", ""},
		"url:https://github.com/Acme/shop/tree/main/svc/api/":  {"acme/shop", "svc/api/"},
		"https://github.com/acme/shop/blob/main/cmd/x/main.go": {"acme/shop", "cmd/x/main.go"},
	} {
		repo, path, ok := RepoOfCodePath(in)
		if !ok || repo != want[0] || path != want[1] {
			t.Errorf("%q: %q %q %v, want %v", in, repo, path, ok, want)
		}
	}
	if _, _, ok := RepoOfCodePath("gitlab.com/acme/shop"); ok {
		t.Error("a GitLab path read as GitHub's")
	}
}
