package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
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
	fs := flagSet(e, "import backstage", "PATH… [--db DSN]   (files, or directories of .yaml and .yml files)")
	dsn := dbFlag(e, fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	files, err := readYAMLFiles(fs.Args())
	if err != nil {
		return err
	}
	batch, err := importer.ParseBackstage(files)
	if err != nil {
		return err
	}
	return importBatch(ctx, e, *dsn, batch)
}

// codeownersUnavailable is the answer to import codeowners until
// blameful can read CODEOWNERS files. TODO(#9): import CODEOWNERS files.
const codeownersUnavailable = "CODEOWNERS import is not available yet; give owners in an org file (blameful import org) or a Backstage catalog (blameful import backstage)"

// importCodeowners refuses with a usage error (exit 2), so that a script
// relying on it fails rather than imports nothing.
func importCodeowners(_ context.Context, e env, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintf(e.stdout, "Usage: blameful import codeowners FILE\n\n%s.\n", codeownersUnavailable)
		return nil
	}
	fmt.Fprintf(e.stderr, "blameful import codeowners: %s\n", codeownersUnavailable)
	return errUsage
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

// readYAMLFiles reads the files named, and every .yaml or .yml file below
// the directories named, in a stable order.
func readYAMLFiles(paths []string) ([]importer.File, error) {
	var names []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "cannot read "+p)
		}
		if !st.IsDir() {
			names = append(names, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ext := strings.ToLower(filepath.Ext(path)); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
				names = append(names, path)
			}
			return nil
		})
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "cannot read "+p)
		}
	}
	sort.Strings(names)
	files := make([]importer.File, 0, len(names))
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "cannot read "+n)
		}
		files = append(files, importer.File{Name: n, Data: data})
	}
	if len(files) == 0 {
		return nil, errs.E(errs.Invalid, "no .yaml or .yml files found in %s", strings.Join(paths, ", "))
	}
	return files, nil
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
	for _, w := range r.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", printable(w))
	}
}
