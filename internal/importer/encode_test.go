package importer

import (
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/org"
)

// Encoders for the fuzz tests' round trips: a Batch written back as the
// file a parser reads, saying the same thing. Every value is one the
// parser accepted, so yaml.v3 quotes it as needed and the parser reads it
// back unchanged.

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func refStrings(refs []org.Ref) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = string(r)
	}
	return out
}

// earliest is the earliest non-zero time among ts, or zero: what a parser
// keeps when several claims state one fact.
func earliest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if !t.IsZero() && (out.IsZero() || t.Before(out)) {
			out = t
		}
	}
	return out
}

type orgFileOut struct {
	Version  int            `yaml:"version"`
	People   []orgPersonOut `yaml:"people,omitempty"`
	Teams    []orgTeamOut   `yaml:"teams,omitempty"`
	Entities []orgEntityOut `yaml:"entities,omitempty"`
}

type orgPersonOut struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name,omitempty"`
	Email  string `yaml:"email,omitempty"`
	Handle string `yaml:"handle,omitempty"`
	Left   string `yaml:"left,omitempty"`
}

type orgTeamOut struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name,omitempty"`
	Description string   `yaml:"description,omitempty"`
	Parent      string   `yaml:"parent,omitempty"`
	Leader      string   `yaml:"leader,omitempty"`
	Members     []string `yaml:"members,omitempty"`
	Since       string   `yaml:"since,omitempty"`
}

type orgEntityOut struct {
	ID          string   `yaml:"id"`
	Title       string   `yaml:"title,omitempty"`
	Description string   `yaml:"description,omitempty"`
	Type        string   `yaml:"type,omitempty"`
	Lifecycle   string   `yaml:"lifecycle,omitempty"`
	Owners      []string `yaml:"owners,omitempty"`
	OwnerSince  string   `yaml:"owner_since,omitempty"`
	System      string   `yaml:"system,omitempty"`
	Domain      string   `yaml:"domain,omitempty"`
	DependsOn   []string `yaml:"depends_on,omitempty"`
	Code        []string `yaml:"code,omitempty"`
}

// encodeOrg writes an org file stating b. In an org file every claim
// comes from one team or one entity, with that item's since-date, so the
// file states b exactly.
func encodeOrg(b Batch) []byte {
	out := orgFileOut{Version: 1}
	for _, p := range b.People {
		out.People = append(out.People, orgPersonOut{ID: string(p.Ref), Name: p.Name, Email: p.Email, Handle: p.Handle, Left: stamp(p.Left)})
	}
	for _, t := range b.Teams {
		team := orgTeamOut{ID: string(t.Ref), Name: t.Name, Description: t.Description}
		var since []time.Time
		for _, c := range b.Claims {
			switch {
			case c.Relation == org.ChildOf && c.Subject == t.Ref:
				team.Parent = string(c.Object)
			case c.Relation == org.Leads && c.Object == t.Ref:
				team.Leader = string(c.Subject)
			case c.Relation == org.MemberOf && c.Object == t.Ref:
				team.Members = append(team.Members, string(c.Subject))
			default:
				continue
			}
			since = append(since, c.Since)
		}
		team.Since = stamp(earliest(since...))
		out.Teams = append(out.Teams, team)
	}
	for _, e := range b.Entities {
		ent := orgEntityOut{ID: string(e.Ref), Title: e.Title, Description: e.Description, Type: e.Type,
			Lifecycle: e.Lifecycle, Code: e.CodePaths}
		var since []time.Time
		for _, c := range b.Claims {
			if c.Subject != e.Ref {
				continue
			}
			switch {
			case c.Relation == org.OwnedBy:
				ent.Owners = append(ent.Owners, string(c.Object))
				since = append(since, c.Since)
			case c.Relation == org.PartOf && e.Kind == catalog.System:
				ent.Domain = string(c.Object)
			case c.Relation == org.PartOf:
				ent.System = string(c.Object)
			case c.Relation == org.DependsOn:
				ent.DependsOn = append(ent.DependsOn, string(c.Object))
			}
		}
		ent.OwnerSince = stamp(earliest(since...))
		out.Entities = append(out.Entities, ent)
	}
	data, err := yaml.Marshal(out)
	if err != nil {
		panic(err) // plain structs of strings always marshal
	}
	return data
}

// bsDocOut is one Backstage document.
type bsDocOut struct {
	APIVersion string    `yaml:"apiVersion"`
	Kind       string    `yaml:"kind"`
	Metadata   bsMetaOut `yaml:"metadata"`
	Spec       bsSpecOut `yaml:"spec,omitempty"`
}

type bsMetaOut struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace,omitempty"`
	Title       string            `yaml:"title,omitempty"`
	Description string            `yaml:"description,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type bsSpecOut struct {
	Type      string        `yaml:"type,omitempty"`
	Lifecycle string        `yaml:"lifecycle,omitempty"`
	Owner     string        `yaml:"owner,omitempty"`
	System    string        `yaml:"system,omitempty"`
	Domain    string        `yaml:"domain,omitempty"`
	DependsOn []string      `yaml:"dependsOn,omitempty"`
	Profile   *bsProfileOut `yaml:"profile,omitempty"`
	MemberOf  []string      `yaml:"memberOf,omitempty"`
	Parent    string        `yaml:"parent,omitempty"`
	Children  *[]string     `yaml:"children,omitempty"` // present, even empty, when the group states its children
	Members   *[]string     `yaml:"members,omitempty"`
}

type bsProfileOut struct {
	DisplayName string `yaml:"displayName,omitempty"`
	Email       string `yaml:"email,omitempty"`
}

func annotate(m *bsMetaOut, key, value string) {
	if value == "" {
		return
	}
	if m.Annotations == nil {
		m.Annotations = make(map[string]string)
	}
	m.Annotations[key] = value
}

// encodeBackstage writes Backstage documents stating b's people, teams,
// entities, scopes and claims.
//
// Entity claims come from the entity's own document, so they are exact.
// A membership or team parent may be stated by either end (a Group's
// members or a User's memberOf; a Group's children or its child's parent),
// and each document has one since-date for all its claims, so when b's
// claims of one document differ in since, the encoding gives them the
// earliest: the relations are the same, their since-dates may not be. The
// encoding of what it parses states exactly that again.
func encodeBackstage(b Batch) []byte {
	scope := func(rel org.Relation) Scope {
		for _, s := range b.Scopes {
			if s.Relation == rel {
				return s
			}
		}
		return Scope{}
	}
	statesChildren, statesMembers := scope(org.ChildOf).Objects, scope(org.MemberOf).Objects
	leads := make(map[[2]org.Ref]bool)
	for _, c := range b.Claims {
		if c.Relation == org.Leads {
			leads[[2]org.Ref{c.Subject, c.Object}] = true
		}
	}
	// The document (its ref) each org claim is written in.
	home := func(c org.Claim) org.Ref {
		switch c.Relation {
		case org.ChildOf:
			if slices.Contains(statesChildren, c.Object) {
				return c.Object
			}
			return c.Subject
		case org.MemberOf:
			if leads[[2]org.Ref{c.Subject, c.Object}] || slices.Contains(statesMembers, c.Object) {
				return c.Object
			}
			return c.Subject
		case org.Leads:
			return c.Object
		}
		return c.Subject
	}
	claimsOf := make(map[org.Ref][]org.Claim)
	for _, c := range b.Claims {
		claimsOf[home(c)] = append(claimsOf[home(c)], c)
	}
	since := func(ref org.Ref) string {
		var ts []time.Time
		for _, c := range claimsOf[ref] {
			ts = append(ts, c.Since)
		}
		return stamp(earliest(ts...))
	}
	const api = "backstage.io/v1alpha1"
	var docs []bsDocOut
	for _, p := range b.People {
		d := bsDocOut{APIVersion: api, Kind: "User", Metadata: bsMetaOut{Name: p.Handle, Namespace: p.Ref.Namespace()}}
		d.Spec.Profile = &bsProfileOut{DisplayName: p.Name, Email: p.Email}
		annotate(&d.Metadata, AnnotationLeft, stamp(p.Left))
		annotate(&d.Metadata, AnnotationSince, since(p.Ref))
		for _, c := range claimsOf[p.Ref] {
			d.Spec.MemberOf = append(d.Spec.MemberOf, string(c.Object))
		}
		docs = append(docs, d)
	}
	for _, t := range b.Teams {
		d := bsDocOut{APIVersion: api, Kind: "Group",
			Metadata: bsMetaOut{Name: t.Ref.Name(), Namespace: t.Ref.Namespace(), Description: t.Description}}
		d.Spec.Profile = &bsProfileOut{DisplayName: t.Name}
		annotate(&d.Metadata, AnnotationSince, since(t.Ref))
		if slices.Contains(statesChildren, t.Ref) {
			d.Spec.Children = &[]string{}
		}
		if slices.Contains(statesMembers, t.Ref) {
			d.Spec.Members = &[]string{}
		}
		for _, c := range claimsOf[t.Ref] {
			switch {
			case c.Relation == org.Leads:
				annotate(&d.Metadata, AnnotationLeader, string(c.Subject))
			case c.Relation == org.ChildOf && c.Subject == t.Ref:
				d.Spec.Parent = string(c.Object)
			case c.Relation == org.ChildOf:
				*d.Spec.Children = append(*d.Spec.Children, string(c.Subject))
			case c.Relation == org.MemberOf && !leads[[2]org.Ref{c.Subject, c.Object}]:
				*d.Spec.Members = append(*d.Spec.Members, string(c.Subject))
			}
		}
		docs = append(docs, d)
	}
	for _, e := range b.Entities {
		docs = append(docs, encodeEntity(b, e, claimsOf[e.Ref]))
	}
	var out []byte
	for _, d := range docs {
		data, err := yaml.Marshal(d)
		if err != nil {
			panic(err)
		}
		out = append(append(out, "---\n"...), data...)
	}
	return out
}

func encodeEntity(b Batch, e catalog.Entity, claims []org.Claim) bsDocOut {
	kinds := map[catalog.Kind]string{catalog.Component: "Component", catalog.Resource: "Resource",
		catalog.System: "System", catalog.Domain: "Domain", catalog.API: "API"}
	d := bsDocOut{APIVersion: "backstage.io/v1alpha1", Kind: kinds[e.Kind],
		Metadata: bsMetaOut{Name: e.Ref.Name(), Namespace: e.Ref.Namespace(), Title: e.Title, Description: e.Description},
		Spec:     bsSpecOut{Type: e.Type, Lifecycle: e.Lifecycle}}
	if e.Kind == catalog.Provider {
		// Written under the Backstage kind no claim of b names, so that
		// reading it back renames nothing b did not rename.
		d.Kind = "Component"
		if comp := org.Ref("component:" + e.Ref.Namespace() + "/" + e.Ref.Name()); named(b, comp) && !defined(b, comp) {
			d.Kind = "Resource"
		}
		annotate(&d.Metadata, AnnotationProvider, "true")
	}
	for i, p := range e.CodePaths {
		if slug, ok := cutGitHub(p); ok && i == 0 {
			annotate(&d.Metadata, "github.com/project-slug", slug)
			continue
		}
		annotate(&d.Metadata, "backstage.io/source-location", "url:"+p)
	}
	for _, c := range claims {
		switch c.Relation {
		case org.OwnedBy:
			d.Spec.Owner = string(c.Object)
			annotate(&d.Metadata, AnnotationOwnerSince, stamp(c.Since))
		case org.PartOf:
			if e.Kind == catalog.System {
				d.Spec.Domain = string(c.Object)
			} else {
				d.Spec.System = string(c.Object)
			}
		case org.DependsOn:
			d.Spec.DependsOn = append(d.Spec.DependsOn, string(c.Object))
		}
	}
	return d
}

func cutGitHub(p string) (string, bool) {
	const prefix = "github.com/"
	if len(p) > len(prefix) && p[:len(prefix)] == prefix {
		return p[len(prefix):], true
	}
	return "", false
}

// named reports whether a claim of b names ref.
func named(b Batch, ref org.Ref) bool {
	for _, c := range b.Claims {
		if c.Subject == ref || c.Object == ref {
			return true
		}
	}
	return false
}

// defined reports whether b defines the entity ref.
func defined(b Batch, ref org.Ref) bool {
	return slices.ContainsFunc(b.Entities, func(e catalog.Entity) bool { return e.Ref == ref })
}
