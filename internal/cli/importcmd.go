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

func runImport(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || (args[0] != "org" && args[0] != "backstage") {
		fmt.Fprintln(e.stderr, "Usage: blameful import org FILE | blameful import backstage PATH… (files or directories of .yaml)")
		return errUsage
	}
	kind := args[0]
	fset := flagSet(e, "import "+kind, "[--db DSN] PATH…")
	dsn := dbFlag(e, fset)
	if err := parse(fset, args[1:]); err != nil {
		return err
	}
	paths := fset.Args()
	if len(paths) == 0 || (kind == "org" && len(paths) != 1) {
		fset.Usage()
		return errUsage
	}
	var batch importer.Batch
	switch kind {
	case "org":
		data, err := os.ReadFile(paths[0])
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "cannot read "+paths[0])
		}
		if batch, err = importer.ParseOrg(paths[0], data); err != nil {
			return err
		}
	case "backstage":
		files, err := readYAMLFiles(paths)
		if err != nil {
			return err
		}
		if batch, err = importer.ParseBackstage(files); err != nil {
			return err
		}
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	res, err := a.Import(ctx, operator(), batch)
	if err != nil {
		return err
	}
	printImport(e, res)
	return nil
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
		r.Source, c(r.People), c(r.Teams), c(r.Entities), r.Opened, r.Closed, r.Corrected)
	const shown = 40
	for i, ch := range r.Changes {
		if i == shown {
			fmt.Fprintf(e.stdout, "  … and %d more changes\n", len(r.Changes)-shown)
			break
		}
		fmt.Fprintf(e.stdout, "  - %s\n", ch)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
}
