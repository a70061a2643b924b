package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"blameful.dev/blameful/internal/org"
)

// This file reads a Backstage catalog kept as a tree of files: the
// directories and files named, and the files their Location documents
// point at, all inside one root that is never left.

// TreeOptions tune LoadBackstage.
type TreeOptions struct {
	// Prefix goes before every file's path in problems and warnings: the
	// root as the user named it, ending in a slash, or "".
	Prefix string
	// Progress, when not nil, is told after each file how many files have
	// been read of how many are known so far; Locations add to the total.
	Progress func(done, total int)
}

// LoadBackstage reads a Backstage catalog from the tree fsys and parses it
// as ParseBackstage does, following Location documents. paths name files
// and directories inside fsys, slash-separated and relative to its root
// ("." is the whole tree).
//
// A directory is read recursively: every .yaml and .yml file below it, in
// lexical order. Hidden files and directories (their names start with a
// dot, like .github) are left out, and symbolic links are never followed,
// found by the walk or named by a Location, so nothing outside the root is
// read and no file is read under two names (a link found by the walk is
// skipped with a warning).
//
// A Location document (kind Location, as in Backstage) names other files
// in spec.target and spec.targets, relative to the Location's own
// directory. They are read even when they lie outside the paths named, as
// long as they are inside the root. A target may be a pattern, as
// Backstage's file locations are: * ? and [...] match within one path
// segment and ** matches any number of directories; a pattern matches
// regular files only, and, as in Backstage, not hidden ones. Each file is
// read once however often it is reached, so Locations may point at each
// other.
//
// A URL target (with "://", or a Location of spec.type url) cannot be read
// from a tree: it is skipped with a warning. These are errors, reported
// with the parse's own problems and naming the Location's file, line and
// document: a target leading outside the root (../ too far) or given as
// an absolute path; a target that does not exist, or a pattern matching no
// file, unless the Location's spec.presence is optional; a target that is a
// directory or a symbolic link; a file over MaxCatalogFileBytes; paths that
// hold no file to read.
func LoadBackstage(fsys fs.FS, paths []string, opt TreeOptions) (Batch, error) {
	l := &loader{
		fsys: fsys,
		opt:  opt,
		p:    &bsParser{latest: make(map[org.Ref]int), follow: true},
		seen: make(map[string]bool),
	}
	for _, name := range paths {
		l.named(name)
	}
	if len(l.queue) == 0 && len(l.p.probs) == 0 {
		l.problem(strings.Join(paths, ", "+l.opt.Prefix), "no .yaml or .yml file to read")
	}
	for i := 0; i < len(l.queue); i++ { // reading may queue more files
		l.read(l.queue[i])
		if opt.Progress != nil {
			opt.Progress(i+1, len(l.queue))
		}
	}
	if len(l.p.probs) > 0 {
		return Batch{}, problemsError(l.p.probs)
	}
	return l.p.batch(), nil
}

// bsLocation is what one Location document says.
type bsLocation struct {
	r        reader
	typ      string // spec.type, lower-case
	targets  []text
	optional bool
}

// location records a Location document for the loader to follow.
func (p *bsParser) location(r reader, n *yaml.Node) {
	spec := field(n, "spec")
	loc := bsLocation{r: r, typ: strings.ToLower(r.text(field(spec, "type"), "spec.type").s)}
	if t := r.text(field(spec, "target"), "spec.target"); t.s != "" {
		loc.targets = append(loc.targets, t)
	}
	loc.targets = append(loc.targets, r.list(field(spec, "targets"), "spec.targets")...)
	switch pr := r.text(field(spec, "presence"), "spec.presence"); strings.ToLower(pr.s) {
	case "", "required":
	case "optional":
		loc.optional = true
	default:
		r.add(pr.line, "spec.presence: %q is neither required nor optional", pr.s)
	}
	if len(loc.targets) == 0 {
		p.warn(r, n.Line, "the Location has no spec.target or spec.targets; nothing to follow")
	}
	p.locations = append(p.locations, loc)
}

// loader holds the state of one LoadBackstage call.
type loader struct {
	fsys  fs.FS
	opt   TreeOptions
	p     *bsParser
	seen  map[string]bool
	queue []string // files to read, by their paths in fsys
}

func (l *loader) problem(name, format string, args ...any) {
	l.p.probs = append(l.p.probs, problem{file: l.opt.Prefix + name, msg: fmt.Sprintf(format, args...)})
}

func (l *loader) warn(name, format string, args ...any) {
	l.p.warnings = append(l.p.warnings, problem{file: l.opt.Prefix + name, msg: fmt.Sprintf(format, args...)}.String())
}

// named queues a path given by the caller: a file, or a directory's files.
func (l *loader) named(name string) {
	name = path.Clean(name)
	if !fs.ValidPath(name) {
		l.problem(name, "not a path inside the catalog's root")
		return
	}
	info, err := fs.Lstat(l.fsys, name)
	switch {
	case err != nil:
		l.problem(name, "%s", readError(err))
	case info.Mode()&fs.ModeSymlink != 0:
		l.warn(name, "a symbolic link; not followed")
	case info.IsDir():
		l.walk(name)
	default:
		l.add(name)
	}
}

// walk queues the .yaml and .yml files below dir.
func (l *loader) walk(dir string) {
	err := fs.WalkDir(l.fsys, dir, func(name string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			l.problem(name, "%s", readError(err))
			return nil
		case name != dir && strings.HasPrefix(d.Name(), "."):
			if d.IsDir() {
				return fs.SkipDir
			}
		case d.Type()&fs.ModeSymlink != 0:
			l.warn(name, "a symbolic link; not followed")
		case d.Type().IsRegular() && isYAMLName(name):
			l.add(name)
		}
		return nil
	})
	if err != nil {
		l.problem(dir, "%s", readError(err))
	}
}

func isYAMLName(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// add queues a file unless it was queued before.
func (l *loader) add(name string) {
	if !l.seen[name] {
		l.seen[name] = true
		l.queue = append(l.queue, name)
	}
}

// read parses one file and follows its Locations.
func (l *loader) read(name string) {
	info, err := fs.Stat(l.fsys, name)
	if err != nil {
		l.problem(name, "%s", readError(err))
		return
	}
	if info.Size() > MaxCatalogFileBytes {
		l.problem(name, "the file is %d bytes, more than the %d a catalog file may hold: split it", info.Size(), MaxCatalogFileBytes)
		return
	}
	data, err := fs.ReadFile(l.fsys, name)
	if err != nil {
		l.problem(name, "%s", readError(err))
		return
	}
	l.p.file(File{Name: l.opt.Prefix + name, Data: data})
	locs := l.p.locations
	l.p.locations = nil
	for _, loc := range locs {
		for _, t := range loc.targets {
			l.target(path.Dir(name), loc, t)
		}
	}
}

// target queues what one Location target names, dir being the
// Location's directory.
func (l *loader) target(dir string, loc bsLocation, t text) {
	r := loc.r
	switch {
	case loc.typ == "url" || strings.Contains(t.s, "://"):
		l.p.warn(r, t.line, "target %q is a URL; blameful reads only files in the catalog's tree, so it was skipped", t.s)
		return
	case loc.typ != "" && loc.typ != "file":
		l.p.warn(r, t.line, "spec.type %q is not a type blameful follows (file or url); target %q skipped", loc.typ, t.s)
		return
	case strings.HasPrefix(t.s, "/") || strings.Contains(t.s, `\`) || len(t.s) > 1 && t.s[1] == ':':
		r.add(t.line, "target %q: give targets as paths relative to the Location's file, with forward slashes", t.s)
		return
	}
	name := path.Join(dir, t.s)
	if name == ".." || strings.HasPrefix(name, "../") {
		r.add(t.line, "target %q leads outside the catalog's root; blameful reads only files under it", t.s)
		return
	}
	if strings.ContainsAny(name, "*?[") {
		l.glob(name, loc, t)
		return
	}
	info, err := fs.Lstat(l.fsys, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !loc.optional {
			r.add(t.line, "target %q: %s does not exist (mark the Location spec.presence: optional if it may be missing)", t.s, l.opt.Prefix+name)
		}
	case err != nil:
		r.add(t.line, "target %q: %s", t.s, readError(err))
	case info.Mode()&fs.ModeSymlink != 0:
		r.add(t.line, "target %q: %s is a symbolic link, which blameful does not follow", t.s, l.opt.Prefix+name)
	case info.IsDir():
		r.add(t.line, "target %q is a directory; name its files, or a pattern such as %s/*.yaml", t.s, strings.TrimSuffix(t.s, "/"))
	default:
		l.add(name)
	}
}

// glob queues the regular files matching pattern, a cleaned path inside
// the root.
func (l *loader) glob(pattern string, loc bsLocation, t text) {
	segs := strings.Split(pattern, "/")
	for _, s := range segs {
		if _, err := path.Match(s, ""); err != nil {
			loc.r.add(t.line, "target %q is not a valid pattern", t.s)
			return
		}
	}
	// Walk from the longest leading part without pattern characters.
	n := 0
	for n < len(segs)-1 && !strings.ContainsAny(segs[n], "*?[") {
		n++
	}
	base := path.Join(append([]string{"."}, segs[:n]...)...)
	deep := strings.Contains(pattern, "**")
	found := 0
	if info, err := fs.Lstat(l.fsys, base); err == nil && info.IsDir() {
		fs.WalkDir(l.fsys, base, func(name string, d fs.DirEntry, err error) error {
			switch {
			case err != nil || name == base:
				return nil
			case strings.HasPrefix(d.Name(), "."):
				if d.IsDir() {
					return fs.SkipDir
				}
			case d.IsDir():
				if !deep && strings.Count(name, "/")+1 >= len(segs) {
					return fs.SkipDir
				}
			case d.Type().IsRegular() && matchSegments(segs, strings.Split(name, "/")):
				found++
				l.add(name)
			}
			return nil
		})
	}
	if found == 0 && !loc.optional {
		loc.r.add(t.line, "target %q matches no file", t.s)
	}
}

// matchSegments matches a path, split at slashes, against a pattern split
// likewise, where ** stands for any number of segments.
func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := range len(name) + 1 {
				if matchSegments(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// readError says why a file could not be read, without the path the
// error repeats.
func readError(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "does not exist"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return "cannot be read: " + err.Error()
}
