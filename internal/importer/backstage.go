package importer

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/org"
)

// File is one file of a Backstage catalog: its name, used in messages (a
// path relative to the catalog's root reads best), and its contents.
type File struct {
	Name string
	Data []byte
}

// Annotations blameful reads from Backstage entities.
const (
	AnnotationLeader     = "blameful.dev/leader"      // Group: a user ref, the team's leader
	AnnotationSince      = "blameful.dev/since"       // User, Group: when its claims took effect
	AnnotationLeft       = "blameful.dev/left"        // User: when the person left
	AnnotationOwnerSince = "blameful.dev/owner-since" // entity: since when spec.owner owns it
	AnnotationProvider   = "blameful.dev/provider"    // Component, Resource: "true" for a third party
)

// ParseBackstage parses Backstage catalog descriptor files into a Batch of
// Source SourceBackstage. Each file may hold several YAML documents
// separated by "---"; empty documents are skipped.
//
// A document is read when its apiVersion starts with "backstage.io/" and
// its kind is User, Group, Component, Resource, System, Domain or API; any
// other apiVersion or kind (Location, Template, …) is skipped with a
// warning; LoadBackstage follows Locations instead. Fields blameful does not use are ignored, as Backstage's own
// ones (links, tags, ancestors, profile.picture, …) are everywhere.
//
// An entity's ref is kind:namespace/name, from metadata.namespace
// (default "default") and metadata.name, lower-cased. References inside an
// entity default to that entity's namespace, and to a kind per field:
// group for spec.owner, spec.memberOf, spec.parent and spec.children; user
// for spec.members; system for spec.system; domain for spec.domain;
// component for spec.dependsOn. A date is "2026-05-01" or an RFC 3339
// time.
//
//   - User → a person: Name from spec.profile.displayName, else
//     metadata.title, else metadata.name; Email from spec.profile.email;
//     Handle is metadata.name; Left from the blameful.dev/left annotation.
//     Each spec.memberOf group gives MemberOf{user, group}, and the
//     document states the user's memberships in full.
//   - Group → a team: Name as for a User; Description from
//     metadata.description. spec.parent gives ChildOf{group, parent}; each
//     of spec.children, ChildOf{child, group}; each of spec.members,
//     MemberOf{user, group}; the blameful.dev/leader annotation (a user
//     ref), Leads{leader, group} and MemberOf{leader, group}. The document
//     states in full the group's parent and leader, and its children and
//     members when it lists them.
//   - On a User or Group, the blameful.dev/since annotation is the Since of
//     every claim the document makes.
//   - Component, Resource, System, Domain, API → an entity of that kind:
//     Title from metadata.title, else metadata.name; Description from
//     metadata.description; Type from spec.type; Lifecycle from
//     spec.lifecycle; code paths from the github.com/project-slug
//     annotation ("github.com/" + slug) and backstage.io/source-location
//     (without its "url:"). spec.owner gives OwnedBy{entity, owner}, with
//     Since from the blameful.dev/owner-since annotation; spec.system,
//     PartOf{entity, system}; a System's spec.domain, PartOf{system,
//     domain}; each of spec.dependsOn, DependsOn{entity, dep}. The document
//     states the entity's owners, system or domain, and dependencies in
//     full.
//   - A Component or Resource whose spec.type is "provider" or
//     "third-party", or that has the annotation blameful.dev/provider:
//     "true", is a provider: its ref is provider:namespace/name, and every
//     claim in the batch that names it under its Backstage kind (say,
//     dependsOn resource:stripe) names the provider instead.
//
// When two documents define the same ref, the later one (in the order of
// files, then documents) wins and a warning names both. References to
// entities no file defines are not reported: the app judges those.
//
// Malformed YAML, a document without kind or metadata.name, an invalid name
// or reference, a bad date, a file over MaxCatalogFileBytes and a document
// whose aliases (*name) repeat more than 10,000 values are errors; all of
// them are reported at once in one errs.Invalid error, as "file:line:
// document N (Kind name): problem".
func ParseBackstage(files []File) (Batch, error) {
	p := &bsParser{latest: make(map[org.Ref]int)}
	for _, f := range files {
		p.file(f)
	}
	if len(p.probs) > 0 {
		return Batch{}, problemsError(p.probs)
	}
	return p.batch(), nil
}

// bsParser holds the state of one ParseBackstage call.
type bsParser struct {
	probs    []problem
	warnings []string
	docs     []bsDoc
	// latest is the index in docs of the definition of each ref that wins.
	latest map[org.Ref]int
	// follow says Location documents are followed (LoadBackstage): each is
	// recorded in locations rather than skipped with a warning.
	follow    bool
	locations []bsLocation
}

// bsDoc is what one entity document says.
type bsDoc struct {
	place string // for messages: "file:line (document N)"
	ref   org.Ref
	// kindRef is the ref under the document's own kind; for a provider it
	// differs from ref.
	kindRef org.Ref
	person  *org.Person
	team    *org.Team
	entity  *catalog.Entity
	claims  []org.Claim
	scopes  []Scope
}

func (p *bsParser) file(f File) {
	if len(f.Data) > MaxCatalogFileBytes {
		p.probs = append(p.probs, problem{file: f.Name,
			msg: fmt.Sprintf("the file is %d bytes, more than the %d a catalog file may hold: split it", len(f.Data), MaxCatalogFileBytes)})
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	for i := 1; ; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			pr := syntaxProblem(f.Name, err)
			pr.where = fmt.Sprintf("document %d", i)
			p.probs = append(p.probs, pr)
			return // the decoder cannot go on after a syntax error
		}
		if pr, ok := tooManyAliases(&doc); !ok {
			pr.file, pr.where = f.Name, fmt.Sprintf("document %d", i)
			p.probs = append(p.probs, pr)
			continue
		}
		p.document(f.Name, i, &doc)
	}
}

func (p *bsParser) document(file string, index int, doc *yaml.Node) {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n = deref(n); n == nil {
		return
	}
	r := reader{file: file, where: fmt.Sprintf("document %d", index), probs: &p.probs}
	if n.Kind != yaml.MappingNode {
		r.add(n.Line, "want a mapping with apiVersion, kind, metadata and spec, found %s", describe(n))
		return
	}
	apiVersion := r.text(field(n, "apiVersion"), "apiVersion")
	kindT := r.text(field(n, "kind"), "kind")
	meta := field(n, "metadata")
	name := r.text(field(meta, "name"), "metadata.name")
	place := fmt.Sprintf("%s:%d (%s)", file, n.Line, r.where)
	if kindT.s != "" {
		r.where += " (" + strings.TrimSpace(kindT.s+" "+name.s) + ")"
	}
	kind := strings.ToLower(kindT.s)
	switch {
	case kind == "":
		if isBlank(field(n, "kind")) {
			r.add(n.Line, "kind is missing")
		}
		return
	case !strings.HasPrefix(strings.ToLower(apiVersion.s), "backstage.io/"):
		p.warn(r, n.Line, "apiVersion %q is not a Backstage one; skipped", apiVersion.s)
		return
	case kind == "location" && p.follow:
		p.location(r, n)
		return
	case kind != org.KindUser && kind != org.KindGroup && !isBackstageEntity(kind):
		p.warn(r, n.Line, "blameful does not import kind %s; skipped", kindT.s)
		return
	case name.s == "":
		if isBlank(field(meta, "name")) {
			r.add(n.Line, "metadata.name is missing")
		}
		return
	}
	d := docReader{reader: r, name: name.s, meta: meta, spec: field(n, "spec")}
	d.ns = strings.ToLower(cmp.Or(d.text(field(meta, "namespace"), "metadata.namespace").s, org.DefaultNamespace))
	if strings.ContainsAny(name.s, ":/") {
		d.add(name.line, "metadata.name: %q is not a name (no : or / in it)", name.s)
		return
	}
	out := bsDoc{place: place, ref: d.ref(name, "metadata", kind, d.ns)}
	if out.ref == "" {
		return
	}
	out.kindRef = out.ref
	switch kind {
	case org.KindUser:
		d.user(&out)
	case org.KindGroup:
		d.group(&out)
	default:
		d.entity(&out, catalog.Kind(kind))
	}
	if prev, ok := p.latest[out.ref]; ok {
		p.warn(r, n.Line, "%s is defined again; this definition replaces the one at %s", out.ref, p.docs[prev].place)
	}
	p.latest[out.ref] = len(p.docs)
	p.docs = append(p.docs, out)
}

func (p *bsParser) warn(r reader, line int, format string, args ...any) {
	w := problem{file: r.file, line: line, where: r.where, msg: fmt.Sprintf(format, args...)}
	p.warnings = append(p.warnings, w.String())
}

// isBackstageEntity reports whether a Backstage kind (lower-case) maps to a
// catalog entity.
func isBackstageEntity(kind string) bool {
	switch catalog.Kind(kind) {
	case catalog.Component, catalog.Resource, catalog.System, catalog.Domain, catalog.API:
		return true
	}
	return false
}

// batch assembles the winning definition of every ref, and points claims
// at providers by their provider refs.
func (p *bsParser) batch() Batch {
	b := Batch{Source: SourceBackstage, Warnings: p.warnings}
	rename := make(map[org.Ref]org.Ref)
	for i, d := range p.docs {
		// Even a replaced provider keeps its Backstage ref pointing at the
		// provider, unless another document defines that ref.
		if _, defined := p.latest[d.kindRef]; d.kindRef != d.ref && !defined {
			rename[d.kindRef] = d.ref
		}
		if p.latest[d.ref] != i {
			continue
		}
		switch {
		case d.person != nil:
			b.People = append(b.People, *d.person)
		case d.team != nil:
			b.Teams = append(b.Teams, *d.team)
		case d.entity != nil:
			b.Entities = append(b.Entities, *d.entity)
		}
		b.Claims = append(b.Claims, d.claims...)
		b.Scopes = append(b.Scopes, d.scopes...)
	}
	to := func(r org.Ref) org.Ref { return cmp.Or(rename[r], r) }
	for i, c := range b.Claims {
		b.Claims[i].Subject, b.Claims[i].Object = to(c.Subject), to(c.Object)
	}
	for _, s := range b.Scopes {
		for i, r := range s.Subjects {
			s.Subjects[i] = to(r)
		}
		for i, r := range s.Objects {
			s.Objects[i] = to(r)
		}
	}
	return finish(b)
}
