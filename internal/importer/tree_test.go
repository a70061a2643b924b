package importer

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/org"
)

func entityRefs(b Batch) []string {
	var out []string
	for _, e := range b.Entities {
		out = append(out, string(e.Ref))
	}
	for _, t := range b.Teams {
		out = append(out, string(t.Ref))
	}
	for _, p := range b.People {
		out = append(out, string(p.Ref))
	}
	return out
}

func TestLoadBackstageTree(t *testing.T) {
	fsys := os.DirFS("testdata/tree")
	var steps [][2]int
	b, err := LoadBackstage(fsys, []string{"catalog"}, TreeOptions{Prefix: "tree/", Progress: func(done, total int) {
		steps = append(steps, [2]int{done, total})
	}})
	if err != nil {
		t.Fatalf("LoadBackstage: %v", err)
	}
	t.Run("reads the directory and what its Locations reach inside the root", func(t *testing.T) {
		want := []string{
			"component:default/checkout", "provider:default/stripe", "system:default/shop", "group:default/payments",
		}
		if d := cmp.Diff(want, entityRefs(b)); d != "" {
			t.Errorf("refs (-want +got):\n%s", d)
		}
		checkClaims(t, b,
			claim(org.DependsOn, "component:checkout", "provider:stripe"),
			claim(org.OwnedBy, "provider:stripe", "group:payments"),
		)
	})
	t.Run("a URL target is skipped with a warning", func(t *testing.T) {
		want := []string{`tree/catalog/all.yaml:13: document 1 (Location acme-catalog): target "https://github.com/acme/legacy/blob/main/catalog-info.yaml" is a URL; blameful reads only files in the catalog's tree, so it was skipped`}
		if d := cmp.Diff(want, b.Warnings); d != "" {
			t.Errorf("warnings (-want +got):\n%s", d)
		}
	})
	t.Run("each file once, progress as the total grows", func(t *testing.T) {
		// The walk finds 4 files (not the hidden ones); the Location in the
		// first adds shared/stripe.yaml; the cycle back to all.yaml adds
		// nothing.
		want := [][2]int{{1, 5}, {2, 5}, {3, 5}, {4, 5}, {5, 5}}
		if d := cmp.Diff(want, steps); d != "" {
			t.Errorf("progress (-want +got):\n%s", d)
		}
	})
	t.Run("the whole root reads unrelated files too", func(t *testing.T) {
		_, err := LoadBackstage(fsys, []string{"."}, TreeOptions{})
		// The hidden .github/ci.yaml is malformed but never read; the
		// escaping Location is.
		checkInvalid(t, err, []string{"2 problems:",
			`escape/location.yaml:8: document 1 (Location escape): target "../../outside.yaml" leads outside the catalog's root`,
			`escape/location.yaml:9: document 1 (Location escape): target "/etc/catalog.yaml": give targets as paths relative`,
		})
	})
}

func TestLoadBackstageLocations(t *testing.T) {
	const loc = "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\nspec:\n"
	comp := func(name string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: " + name + "}\nspec: {owner: team-a}\n")}
	}
	tests := []struct {
		name     string
		files    fstest.MapFS
		paths    []string
		refs     []string
		warnings []string
		problems []string
	}{
		{
			name: "a file named alone follows its Location to a sibling directory",
			files: fstest.MapFS{
				"root/loc.yaml":  {Data: []byte(loc + "  target: ../other/a.yaml\n")},
				"other/a.yaml":   comp("a"),
				"other/b.yaml":   comp("b"),
				"root/skip.yaml": comp("skip"),
			},
			paths: []string{"root/loc.yaml"},
			refs:  []string{"component:default/a"},
		},
		{
			name: "patterns: * within a directory, ** across them, hidden files left out",
			files: fstest.MapFS{
				"loc.yaml":          {Data: []byte(loc + "  targets: ['./one/*.yaml', './deep/**/c*.yml']\n")},
				"one/a.yaml":        comp("a"),
				"one/.hidden.yaml":  comp("hidden"),
				"one/sub/x.yaml":    comp("x"),
				"deep/c.yml":        comp("c"),
				"deep/1/2/cat.yml":  comp("cat"),
				"deep/1/2/dog.yml":  comp("dog"),
				"deep/.git/cow.yml": comp("cow"),
			},
			paths: []string{"loc.yaml"},
			refs:  []string{"component:default/a", "component:default/c", "component:default/cat"},
		},
		{
			name: "optional targets may be missing",
			files: fstest.MapFS{
				"loc.yaml": {Data: []byte(loc + "  presence: optional\n  targets: [./none.yaml, './no/*.yaml']\n")},
			},
			paths: []string{"."},
		},
		{
			name: "symbolic links are not followed",
			files: fstest.MapFS{
				"cat/a.yaml":    comp("a"),
				"cat/link.yaml": {Data: []byte("../outside.yaml"), Mode: fs.ModeSymlink},
				"cat/dir":       {Data: []byte("/etc"), Mode: fs.ModeSymlink},
				"outside.yaml":  comp("outside"),
			},
			paths:    []string{"cat"},
			refs:     []string{"component:default/a"},
			warnings: []string{"cat/dir: a symbolic link; not followed", "cat/link.yaml: a symbolic link; not followed"},
		},
		{
			name: "other location types are skipped",
			files: fstest.MapFS{
				"loc.yaml": {Data: []byte(loc + "  type: github-discovery\n  target: https://github.com/acme\n---\n" + loc + "  type: url\n  target: ./a.yaml\n")},
				"a.yaml":   comp("a"),
			},
			paths: []string{"loc.yaml"},
			warnings: []string{
				`loc.yaml:6: document 1 (Location l): target "https://github.com/acme" is a URL; blameful reads only files in the catalog's tree, so it was skipped`,
				`loc.yaml:13: document 2 (Location l): target "./a.yaml" is a URL; blameful reads only files in the catalog's tree, so it was skipped`,
			},
		},
		{
			name: "missing targets, directories, links and bad patterns are errors",
			files: fstest.MapFS{
				"loc.yaml":   {Data: []byte(loc + "  targets: [./none.yaml, './none/*.yaml', ./dir, ./link.yaml, './[a.yaml']\n  presence: sometimes\n")},
				"dir/a.yaml": comp("a"),
				"link.yaml":  {Data: []byte("dir/a.yaml"), Mode: fs.ModeSymlink},
			},
			paths: []string{"loc.yaml"},
			problems: []string{"6 problems:",
				`loc.yaml:6: document 1 (Location l): spec.presence: "sometimes" is neither required nor optional`,
				`loc.yaml:5: document 1 (Location l): target "./none.yaml": none.yaml does not exist`,
				`loc.yaml:5: document 1 (Location l): target "./none/*.yaml" matches no file`,
				`loc.yaml:5: document 1 (Location l): target "./dir" is a directory; name its files, or a pattern such as ./dir/*.yaml`,
				`loc.yaml:5: document 1 (Location l): target "./link.yaml": link.yaml is a symbolic link`,
				`loc.yaml:5: document 1 (Location l): target "./[a.yaml" is not a valid pattern`,
			},
		},
		{
			name:     "nothing to read",
			files:    fstest.MapFS{"cat/README.md": {Data: []byte("# hi")}, "cat/.github/ci.yaml": {Data: []byte("on: push")}},
			paths:    []string{"cat"},
			problems: []string{"cat: no .yaml or .yml file to read"},
		},
		{
			name:     "a path that does not exist",
			files:    fstest.MapFS{},
			paths:    []string{"nowhere"},
			problems: []string{"nowhere: does not exist"},
		},
		{
			name: "a file too large is not read",
			files: fstest.MapFS{
				"big.yaml": {Data: []byte("# " + strings.Repeat("x", MaxCatalogFileBytes) + "\n")},
			},
			paths:    []string{"."},
			problems: []string{"big.yaml: the file is 4194307 bytes, more than the 4194304 a catalog file may hold: split it"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := LoadBackstage(tt.files, tt.paths, TreeOptions{})
			if tt.problems != nil {
				checkInvalid(t, err, tt.problems)
				return
			}
			if err != nil {
				t.Fatalf("LoadBackstage: %v", err)
			}
			if d := cmp.Diff(tt.refs, entityRefs(b)); d != "" {
				t.Errorf("refs (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.warnings, b.Warnings); d != "" {
				t.Errorf("warnings (-want +got):\n%s", d)
			}
		})
	}
}

func TestLoadBackstageSamplesAsParsed(t *testing.T) {
	// Loading the samples' directory gives the batch parsing their files
	// does, but without the warning about the Location, which is followed
	// (its targets are all in the tree already).
	b, err := LoadBackstage(os.DirFS("testdata"), []string{"backstage"}, TreeOptions{})
	if err != nil {
		t.Fatalf("LoadBackstage: %v", err)
	}
	want := parseBackstage(t, readFiles(t, "backstage"))
	want.Warnings = nil
	if d := cmp.Diff(want, b); d != "" {
		t.Errorf("batch (-parsed +loaded):\n%s", d)
	}
	if i := slices.IndexFunc(b.Entities, func(e catalog.Entity) bool { return e.Kind == catalog.Domain }); i < 0 {
		t.Errorf("no domain in %v", entityRefs(b))
	}
}

func TestMatchSegments(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"a/*.yaml", "a/b.yaml", true},
		{"a/*.yaml", "a/b/c.yaml", false},
		{"a/**/c.yaml", "a/c.yaml", true},
		{"a/**/c.yaml", "a/b/d/c.yaml", true},
		{"a/**", "a/b/c", true},
		{"**/*.yml", "x.yml", true},
		{"a/?.yaml", "a/bb.yaml", false},
		{"a/[bc].yaml", "a/c.yaml", true},
	}
	for _, tt := range tests {
		if got := matchSegments(strings.Split(tt.pattern, "/"), strings.Split(tt.name, "/")); got != tt.want {
			t.Errorf("matchSegments(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

// askedFS records the names a loader asks for.
type askedFS struct {
	fstest.MapFS
	asked *[]string
}

func (a askedFS) Open(name string) (fs.File, error) {
	*a.asked = append(*a.asked, name)
	if name == "cat/link.yaml" {
		*a.asked = append(*a.asked, "opened the link")
	}
	return a.MapFS.Open(name)
}

func (a askedFS) Lstat(name string) (fs.FileInfo, error) {
	*a.asked = append(*a.asked, name)
	return a.MapFS.Lstat(name)
}

func (a askedFS) ReadLink(name string) (string, error) {
	*a.asked = append(*a.asked, name)
	return a.MapFS.ReadLink(name)
}

// FuzzLoadBackstage: whatever a Location says, the loader asks its tree
// only for valid paths inside it, never opens a symbolic link, and returns
// a batch or an Invalid error.
func FuzzLoadBackstage(f *testing.F) {
	for _, file := range readFiles(f, "tree") {
		f.Add(file.Data)
	}
	f.Add([]byte("kind: Location\napiVersion: backstage.io/v1alpha1\nspec: {targets: ['../**/*.yaml', './link.yaml', '/x', 'a/../../b']}\n"))
	comp := []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a}\nspec: {owner: team}\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		var asked []string
		fsys := askedFS{MapFS: fstest.MapFS{
			"cat/loc.yaml":        {Data: data},
			"cat/a.yaml":          {Data: comp},
			"cat/sub/deep/b.yaml": {Data: comp},
			"cat/link.yaml":       {Data: []byte("../secret.yaml"), Mode: fs.ModeSymlink},
			"cat/.hidden/c.yaml":  {Data: comp},
			"other/d.yml":         {Data: comp},
			"secret.yaml":         {Data: []byte("kind: [")},
		}, asked: &asked}
		b, err := LoadBackstage(fsys, []string{"cat"}, TreeOptions{})
		checkBatch(t, b, err)
		for _, name := range asked {
			if name == "opened the link" {
				t.Fatalf("followed the symbolic link cat/link.yaml")
			}
			if !fs.ValidPath(name) {
				t.Fatalf("asked for %q, not a path inside the tree", name)
			}
		}
	})
}
