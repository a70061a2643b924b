package importer

import (
	"cmp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/org"
)

// This file maps one Backstage document of a kind blameful imports to a
// person, team or entity and the claims it makes; see ParseBackstage.

// docReader reads one entity document.
type docReader struct {
	reader
	ns         string // the entity's namespace, lower-case
	name       string // metadata.name as written
	meta, spec *yaml.Node
}

func (d docReader) annotation(key string) text {
	return d.text(field(field(d.meta, "annotations"), key), "annotation "+key)
}

func (d docReader) annotationTime(key string) time.Time {
	return d.time(d.annotation(key), "annotation "+key)
}

func (d docReader) specText(key string) text {
	return d.text(field(d.spec, key), "spec."+key)
}

func (d docReader) specRef(key, defaultKind string, kinds ...string) org.Ref {
	return d.ref(d.specText(key), "spec."+key, defaultKind, d.ns, kinds...)
}

func (d docReader) specRefs(key, defaultKind string, kinds ...string) []org.Ref {
	return d.refs(d.list(field(d.spec, key), "spec."+key), "spec."+key, defaultKind, d.ns, kinds...)
}

// displayName is a User's or Group's name for people.
func (d docReader) displayName() string {
	profile := field(d.spec, "profile")
	return cmp.Or(
		d.text(field(profile, "displayName"), "spec.profile.displayName").s,
		d.text(field(d.meta, "title"), "metadata.title").s,
		d.name,
	)
}

func (d docReader) user(out *bsDoc) {
	since := d.annotationTime(AnnotationSince)
	out.person = &org.Person{
		Ref:    out.ref,
		Name:   d.displayName(),
		Email:  d.text(field(field(d.spec, "profile"), "email"), "spec.profile.email").s,
		Handle: d.name,
		Left:   d.annotationTime(AnnotationLeft),
	}
	for _, g := range d.specRefs("memberOf", org.KindGroup, org.KindGroup) {
		out.claims = append(out.claims, org.Claim{Relation: org.MemberOf, Subject: out.ref, Object: g, Since: since})
	}
	out.scopes = []Scope{{Relation: org.MemberOf, Subjects: []org.Ref{out.ref}}}
}

func (d docReader) group(out *bsDoc) {
	g := out.ref
	since := d.annotationTime(AnnotationSince)
	out.team = &org.Team{
		Ref:         g,
		Name:        d.displayName(),
		Description: d.text(field(d.meta, "description"), "metadata.description").s,
	}
	claim := func(rel org.Relation, subject, object org.Ref) {
		out.claims = append(out.claims, org.Claim{Relation: rel, Subject: subject, Object: object, Since: since})
	}
	if parent := d.specRef("parent", org.KindGroup, org.KindGroup); parent != "" {
		claim(org.ChildOf, g, parent)
	}
	for _, c := range d.specRefs("children", org.KindGroup, org.KindGroup) {
		claim(org.ChildOf, c, g)
	}
	for _, m := range d.specRefs("members", org.KindUser, org.KindUser) {
		claim(org.MemberOf, m, g)
	}
	leader := d.ref(d.annotation(AnnotationLeader), "annotation "+AnnotationLeader, org.KindUser, d.ns, org.KindUser)
	if leader != "" {
		claim(org.Leads, leader, g)
		claim(org.MemberOf, leader, g)
	}
	out.scopes = []Scope{
		{Relation: org.ChildOf, Subjects: []org.Ref{g}},
		{Relation: org.Leads, Objects: []org.Ref{g}},
	}
	if field(d.spec, "children") != nil {
		out.scopes = append(out.scopes, Scope{Relation: org.ChildOf, Objects: []org.Ref{g}})
	}
	if field(d.spec, "members") != nil {
		out.scopes = append(out.scopes, Scope{Relation: org.MemberOf, Objects: []org.Ref{g}})
	}
}

func (d docReader) entity(out *bsDoc, kind catalog.Kind) {
	e := &catalog.Entity{
		Ref:         out.ref,
		Kind:        kind,
		Title:       cmp.Or(d.text(field(d.meta, "title"), "metadata.title").s, d.name),
		Description: d.text(field(d.meta, "description"), "metadata.description").s,
		Type:        d.specText("type").s,
		Lifecycle:   d.specText("lifecycle").s,
	}
	if d.isProvider(kind, e.Type) {
		e.Kind = catalog.Provider
		e.Ref = org.Ref(string(catalog.Provider) + ":" + out.ref.Namespace() + "/" + out.ref.Name())
		out.ref = e.Ref
	}
	if slug := d.annotation("github.com/project-slug").s; slug != "" {
		e.CodePaths = appendNew(e.CodePaths, "github.com/"+slug)
	}
	loc := d.annotation("backstage.io/source-location").s
	e.CodePaths = appendNew(e.CodePaths, strings.TrimPrefix(loc, "url:"))
	out.entity = e

	since := d.annotationTime(AnnotationOwnerSince)
	if owner := d.specRef("owner", org.KindGroup, org.KindUser, org.KindGroup); owner != "" {
		out.claims = append(out.claims, org.Claim{Relation: org.OwnedBy, Subject: e.Ref, Object: owner, Since: since})
	}
	var parent org.Ref
	switch kind {
	case catalog.System:
		parent = d.specRef("domain", string(catalog.Domain), string(catalog.Domain))
	case catalog.Domain:
	default:
		parent = d.specRef("system", string(catalog.System), string(catalog.System))
	}
	if parent != "" {
		out.claims = append(out.claims, org.Claim{Relation: org.PartOf, Subject: e.Ref, Object: parent})
	}
	for _, dep := range d.specRefs("dependsOn", string(catalog.Component), entityKinds()...) {
		out.claims = append(out.claims, org.Claim{Relation: org.DependsOn, Subject: e.Ref, Object: dep})
	}
	out.scopes = entityScopes(e.Ref)
}

// isProvider reports whether a Component or Resource stands for a third
// party.
func (d docReader) isProvider(kind catalog.Kind, typ string) bool {
	if kind != catalog.Component && kind != catalog.Resource {
		return false
	}
	return strings.EqualFold(typ, "provider") || strings.EqualFold(typ, "third-party") ||
		strings.EqualFold(d.annotation(AnnotationProvider).s, "true")
}
