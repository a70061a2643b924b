// Package archtest checks the dependency rules of STYLE.md section 2 on the
// real import graph: domain packages are pure and import only lower ones,
// only store speaks SQL, only app writes, and web never reaches the store.
// When this test fails, fix the design, not the test.
package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "blameful.dev/blameful/internal/"

// domainRank orders the domain packages, lowest first. A domain package may
// import only domain packages of a lower rank (and errs).
var domainRank = map[string]int{
	"freetext": 0, "rule": 0,
	"org":      1,
	"catalog":  2,
	"incident": 3, "audit": 3, "freeze": 3,
	"postmortem": 4, "followup": 4, "ingest": 4,
	"blame": 5, "accountability": 5, "recurrence": 5, "integrity": 5, "importer": 5,
	"review": 6, "report": 6, "policy": 6,
}

// allowed lists, for each non-domain package, the internal packages it may
// import besides errs and the domain.
var allowed = map[string][]string{
	"errs":            {},
	"store":           {},
	"store/storetest": {"store"},
	"notify":          {},
	"app":             {"store", "notify"},
	"app/apptest":     {"app", "store"},
	"web":             {"app"},
	"demo":            {"app"},
	"cli":             {"web", "app", "store", "notify", "demo"},
	"archtest":        {},
	"testbin":         {},
	// benchall only runs go test on internal/bench and reads its output.
	"bench/cmd/benchall": {},
}

// forbiddenInDomain are standard packages that mean I/O or global state.
var forbiddenInDomain = []string{"database/sql", "net/http", "os", "os/exec", "log", "log/slog", "net"}

type pkg struct {
	ImportPath string
	Dir        string
	Imports    []string
	GoFiles    []string
}

// listPackages reads every non-test Go file of the module itself (rather
// than asking go list), so that the test cache sees the files and a change
// to any of them runs this test again.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	byDir := map[string]*pkg{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		p := byDir[dir]
		if p == nil {
			rel, _ := filepath.Rel(root, dir)
			p = &pkg{ImportPath: "blameful.dev/blameful/" + filepath.ToSlash(rel), Dir: dir}
			byDir[dir] = p
		}
		p.GoFiles = append(p.GoFiles, filepath.Base(path))
		for _, imp := range file.Imports {
			p.Imports = append(p.Imports, strings.Trim(imp.Path.Value, `"`))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []pkg
	for _, p := range byDir {
		pkgs = append(pkgs, *p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("only %d packages found", len(pkgs))
	}
	return pkgs
}

func TestDependencyRules(t *testing.T) {
	for _, p := range listPackages(t) {
		name := strings.TrimPrefix(p.ImportPath, module)
		rank, isDomain := domainRank[name]
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				if isDomain {
					for _, f := range forbiddenInDomain {
						if imp == f {
							t.Errorf("domain package %s imports %s: domain code does no I/O", name, imp)
						}
					}
				}
				if (imp == "database/sql" || strings.Contains(imp, "pgx") || strings.Contains(imp, "modernc.org/sqlite")) &&
					name != "store" && name != "store/storetest" {
					t.Errorf("%s imports %s: only store speaks SQL", name, imp)
				}
				continue
			}
			dep := strings.TrimPrefix(imp, module)
			if dep == "errs" {
				continue
			}
			depRank, depDomain := domainRank[dep]
			switch {
			case isDomain && !depDomain:
				t.Errorf("domain package %s imports %s: domain imports only lower domain packages and errs", name, dep)
			case isDomain && depRank >= rank:
				t.Errorf("domain package %s (rank %d) imports %s (rank %d): only lower ones; move the shared type down", name, rank, dep, depRank)
			case !isDomain && depDomain:
				// every layer may use the domain
			case !isDomain:
				ok := false
				for _, a := range allowed[name] {
					ok = ok || a == dep
				}
				if _, known := allowed[name]; !known && !strings.HasPrefix(p.ImportPath, "blameful.dev/blameful/cmd/") {
					t.Errorf("package %s is not in archtest's table: give it a place in the layers", name)
				} else if !ok && !strings.HasPrefix(p.ImportPath, "blameful.dev/blameful/cmd/") {
					t.Errorf("%s imports %s, which its layer may not", name, dep)
				}
			}
		}
	}
}

// parseFiles parses every non-test Go file of the packages keep admits and
// calls fn with each, and the file set for positions.
func parseFiles(t *testing.T, keep func(pkg) bool, fn func(fset *token.FileSet, pkgName string, file *ast.File)) {
	t.Helper()
	for _, p := range listPackages(t) {
		if !keep(p) {
			continue
		}
		fset := token.NewFileSet()
		for _, f := range p.GoFiles {
			file, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			fn(fset, filepath.Base(p.Dir), file)
		}
	}
}

// TestDomainNeverReadsTheClock: time arrives as an argument.
func TestDomainNeverReadsTheClock(t *testing.T) {
	isDomain := func(p pkg) bool { _, ok := domainRank[strings.TrimPrefix(p.ImportPath, module)]; return ok }
	parseFiles(t, isDomain, func(fset *token.FileSet, _ string, file *ast.File) {
		ast.Inspect(file, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "time" && (sel.Sel.Name == "Now" || sel.Sel.Name == "Since" || sel.Sel.Name == "Until") {
				t.Errorf("%s: domain code calls time.%s; take now as an argument", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	})
}

// TestRuleIDsAreConstants: PRODUCT.md's rule identifiers are spelled once,
// in package rule; everywhere else names them by constant, so that
// searching for rule.J4 finds every place J4 is enforced or cited.
func TestRuleIDsAreConstants(t *testing.T) {
	id := regexp.MustCompile(`^"[AJFI][1-9]"$`)
	notRule := func(p pkg) bool { return !strings.HasSuffix(p.ImportPath, "/internal/rule") }
	parseFiles(t, notRule, func(fset *token.FileSet, _ string, file *ast.File) {
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && id.MatchString(lit.Value) {
				t.Errorf("%s: the rule identifier %s as a literal; use the constant of package rule", fset.Position(lit.Pos()), lit.Value)
			}
			return true
		})
	})
}

// TestEveryRuleHasAHome: package rule names, beside each identifier, the
// function (or file) of a rule package that holds the rule's logic; each
// named function must exist there, so the map stays true as code moves.
func TestEveryRuleHasAHome(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "internal/rule/rule.go"))
	if err != nil {
		t.Fatal(err)
	}
	funcs := map[string]bool{} // "pkg.Name" and "pkg.Type.Name"
	parseFiles(t, func(pkg) bool { return true }, func(_ *token.FileSet, name string, file *ast.File) {
		for _, d := range file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			key := name + "." + fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				typ := fd.Recv.List[0].Type
				if st, ok := typ.(*ast.StarExpr); ok {
					typ = st.X
				}
				if id, ok := typ.(*ast.Ident); ok {
					key = name + "." + id.Name + "." + fd.Name.Name
				}
			}
			funcs[key] = true
		}
	})
	line := regexp.MustCompile(`(?m)^\s*([AJFI][1-9]) = "[AJFI][1-9]" // [^:]*: (.*)$`)
	home := regexp.MustCompile(`\b(blame|accountability|followup|postmortem|integrity|recurrence)[./]([\w.]+)`)
	rules := line.FindAllStringSubmatch(string(src), -1)
	if len(rules) != 9+8+7+7 {
		t.Fatalf("found %d rules in package rule, want 31", len(rules))
	}
	for _, r := range rules {
		places := home.FindAllStringSubmatch(r[2], -1)
		if len(places) == 0 && !strings.Contains(r[2], "not built yet") {
			t.Errorf("%s names no home in a rule package: %q", r[1], r[2])
		}
		for _, p := range places {
			if strings.HasSuffix(p[2], ".go") {
				if _, err := os.Stat(filepath.Join(root, "internal", p[1], p[2])); err != nil {
					t.Errorf("%s lives in %s/%s, which does not exist", r[1], p[1], p[2])
				}
				continue
			}
			if !funcs[p[1]+"."+p[2]] {
				t.Errorf("%s lives in %s.%s, which does not exist", r[1], p[1], p[2])
			}
		}
	}
}
