package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/importer"
)

func importOrg(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "import org", "FILE [--db DSN]")
	dsn := dbFlag(e, fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "cannot read "+path)
	}
	batch, err := importer.ParseOrg(path, data)
	if err != nil {
		return err
	}
	return importBatch(ctx, e, *dsn, batch)
}

func importBackstage(ctx context.Context, e env, args []string) error {
	fl := flagSet(e, "import backstage", "PATH… [--root DIR] [--prune] [--db DSN]   (directories of .yaml and .yml files, or files)")
	dsn := dbFlag(e, fl)
	rootFlag := fl.String("root", "", "the catalog's root: Location targets may reach any file under it, never outside (default: the deepest directory holding every PATH)")
	prune := fl.Bool("prune", false, "let an import of directories end the ownership of more than half of the entities earlier Backstage imports brought")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return errUsage
	}
	tree, err := openCatalog(fl.Args(), *rootFlag)
	if err != nil {
		return err
	}
	defer tree.root.Close()
	batch, err := importer.LoadBackstage(tree.root.FS(), tree.paths, importer.TreeOptions{
		Prefix:   tree.prefix,
		Progress: progress(e, "reading the catalog"),
	})
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		res, err := a.ImportWith(ctx, operator(), batch, app.ImportOptions{Whole: tree.whole, Prune: *prune})
		if err != nil {
			return err
		}
		printImport(e, res)
		return nil
	})
}

// catalogTree is where a Backstage import reads: the root it may not
// leave, the paths named inside it, and whether they are all directories
// (the whole catalog, whose missing entities lose their owners).
type catalogTree struct {
	root   *os.Root
	paths  []string // slash-separated, relative to root
	prefix string   // the root as the user would name it, for messages
	whole  bool
}

// openCatalog opens the root (rootFlag, else the deepest directory holding
// every path named) and places the paths in it. Symbolic links among the
// paths named are resolved: the user chose them; inside the tree the
// importer follows none.
func openCatalog(named []string, rootFlag string) (catalogTree, error) {
	t := catalogTree{whole: true}
	var abs []string
	for _, p := range named {
		real, err := realPath(p)
		if err != nil {
			return t, err
		}
		st, err := os.Stat(real)
		if err != nil {
			return t, errs.Wrap(errs.Invalid, err, "cannot read "+p)
		}
		t.whole = t.whole && st.IsDir()
		abs = append(abs, real)
	}
	var root string
	if rootFlag != "" {
		r, err := realPath(rootFlag)
		if err != nil {
			return t, err
		}
		root = r
	} else {
		root = commonDir(abs)
	}
	for i, p := range abs {
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return t, errs.E(errs.Invalid, "%s is outside the catalog's root %s", named[i], rootFlag)
		}
		t.paths = append(t.paths, filepath.ToSlash(rel))
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return t, errs.Wrap(errs.Invalid, err, "cannot read "+root)
	}
	t.root = r
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, root); err == nil && rel != "." {
			t.prefix = filepath.ToSlash(rel) + "/"
		}
	}
	return t, nil
}

// realPath is p made absolute with its symbolic links resolved.
func realPath(p string) (string, error) {
	real, err := filepath.EvalSymlinks(p)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		return "", errs.Wrap(errs.Invalid, err, "cannot read "+p)
	}
	return real, nil
}

// commonDir is the deepest directory holding every path, each absolute
// and clean; a directory holds itself, a file is held by its directory.
func commonDir(paths []string) string {
	dirOf := func(p string) string {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		return filepath.Dir(p)
	}
	common := dirOf(paths[0])
	for _, p := range paths[1:] {
		d := dirOf(p)
		for common != d && !strings.HasPrefix(d, strings.TrimSuffix(common, string(filepath.Separator))+string(filepath.Separator)) {
			common = filepath.Dir(common)
		}
	}
	return common
}

// importCodeowners imports a repository's CODEOWNERS file: its rules
// replace what was imported for that repository before.
func importCodeowners(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "import codeowners", "--repo OWNER/NAME FILE [--db DSN]")
	repo := fs.String("repo", "", "the repository the file belongs to: owner/name (github.com/owner/name works too)")
	dsn := dbFlag(e, fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *repo == "" {
		fs.Usage()
		return errUsage
	}
	path := fs.Arg(0)
	if st, err := os.Stat(path); err == nil && st.Size() >= importer.MaxCodeownersBytes {
		return errs.E(errs.Invalid, "%s is %d bytes; a CODEOWNERS file must be under %d (GitHub ignores larger ones)", path, st.Size(), importer.MaxCodeownersBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "cannot read "+path)
	}
	file, err := importer.ParseCodeowners(path, data)
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		res, err := a.ImportCodeowners(ctx, operator(), *repo, file)
		if err != nil {
			return err
		}
		printCodeowners(e, res)
		return nil
	})
}

func printCodeowners(e env, r app.CodeownersResult) {
	if r.Unchanged {
		fmt.Fprintf(e.stdout, "CODEOWNERS of %s unchanged: %d rules\n", printable(r.Repo), r.Rules)
		return
	}
	fmt.Fprintf(e.stdout, "imported CODEOWNERS of %s\n  rules:  %d (%d without owners), replacing %d\n  owners: %d named, %d resolved, %d unresolved\n",
		printable(r.Repo), r.Rules, r.Ownerless, r.Replaced, r.Owners, r.Resolved, len(r.Unresolved))
	for _, o := range r.Unresolved {
		fmt.Fprintf(e.stderr, "warning: %s names nobody in the org; kept as written\n", printable(o))
	}
}

// importBatch imports what an importer parsed and prints what changed.
func importBatch(ctx context.Context, e env, dsn string, batch importer.Batch) error {
	return openThen(ctx, e, dsn, func(a *app.App) error {
		res, err := a.Import(ctx, operator(), batch)
		if err != nil {
			return err
		}
		printImport(e, res)
		return nil
	})
}

func printImport(e env, r app.ImportResult) {
	c := func(x app.Counts) string {
		return fmt.Sprintf("%d new, %d updated, %d unchanged", x.Created, x.Updated, x.Unchanged)
	}
	fmt.Fprintf(e.stdout, "imported from %s\n  people:   %s\n  teams:    %s\n  entities: %s\n  relations: %d begun, %d ended, %d re-dated\n",
		printable(r.Source), c(r.People), c(r.Teams), c(r.Entities), r.Opened, r.Closed, r.Corrected)
	const shown = 40
	for i, ch := range r.Changes {
		if i == shown {
			fmt.Fprintf(e.stdout, "  … and %d more changes\n", len(r.Changes)-shown)
			break
		}
		fmt.Fprintf(e.stdout, "  - %s\n", printable(ch))
	}
	if n := len(r.Gone); n > 0 {
		noun := "entities"
		if n == 1 {
			noun = "entity"
		}
		fmt.Fprintf(e.stdout, "%d %s no longer in the catalog: ownership ended\n", n, noun)
		for _, ref := range r.Gone {
			fmt.Fprintf(e.stdout, "  - %s\n", printable(string(ref)))
		}
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", printable(w))
	}
}
