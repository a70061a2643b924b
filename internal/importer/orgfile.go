package importer

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/org"
)

// ParseOrg parses blameful's own org file, named name (used in messages
// only), into a Batch of Source SourceOrg. testdata/org.example.yaml is a
// commented example. The file is YAML:
//
//	version: 1                   # required, must be 1
//	people:
//	  - id: ada                  # user ref: "ada" is user:default/ada; "user:ops/ada" works too
//	    name: Ada Lovelace       # optional; defaults to the ref's name
//	    email: ada@example.com   # optional
//	    handle: ada              # optional; defaults to the ref's name
//	    left: 2026-05-01         # optional: the day they left (date or RFC 3339)
//	teams:
//	  - id: payments             # group ref: "payments" is group:default/payments
//	    name: Payments           # optional; defaults to the ref's name
//	    description: Takes the money
//	    parent: product          # optional group ref; leave it out for a root team
//	    leader: ada              # optional user ref; the leader is a member too
//	    members: [bob, cy]       # user refs
//	    since: 2025-01-01        # optional: when parent, leader and members took effect
//	entities:
//	  - id: component:checkout   # entity ref; without a kind it is a component
//	    kind: component          # optional; must agree with the id's kind if both are given
//	    title: Checkout          # optional; defaults to the ref's name
//	    description: Takes orders
//	    type: service
//	    lifecycle: production
//	    owner: payments          # group ref by default; user:ada for a person
//	    owners: [payments, shop] # or several claimed owners (ambiguous ownership); not with owner
//	    owner_since: 2026-09-01  # optional: since when the owner(s) hold it
//	    system: shop             # optional system ref (not on a system or domain)
//	    domain: commerce         # optional domain ref, on a system only
//	    depends_on: [resource:orders-db, provider:stripe]  # entity refs, component by default
//	    code: [github.com/acme/checkout]                   # optional code paths
//
// Entity kinds are component, system, resource, provider, domain and api.
// Dates are "2026-05-01" (midnight UTC) or RFC 3339 times. Lists may be
// written in either YAML style, and one value alone counts as a list of one.
//
// The file makes these claims: a team's parent, ChildOf{team, parent}; its
// leader, Leads{leader, team} and MemberOf{leader, team}; each member,
// MemberOf{member, team} — all with Since from the team's since. An
// entity's owners, OwnedBy{entity, owner} with Since from owner_since; its
// system, PartOf{entity, system}; a system's domain, PartOf{system,
// domain}; each dependency, DependsOn{entity, dep}.
//
// The file states in full the parent, leader and members of every team it
// lists, and the owners, system or domain, and dependencies of every entity
// it lists: Batch.Scopes says so, and the app closes what the file no
// longer claims. People's memberships are stated by their teams.
//
// The file is strict: unknown fields, a missing or unsupported version,
// missing or duplicate ids within a section, malformed references, a
// reference of the wrong kind, a kind that disagrees with the id, owner
// together with owners, domain on anything but a system, and bad dates are
// errors. All of them are reported at once, in one errs.Invalid error
// listing each as "file:line: item: problem". References to people, teams
// or entities the file does not define are not errors: they may come from
// another import, and the app checks them. A file over MaxOrgFileBytes, or
// whose aliases (*name) repeat more than 10,000 values, is refused too.
func ParseOrg(name string, data []byte) (Batch, error) {
	if len(data) > MaxOrgFileBytes {
		return Batch{}, problemsError([]problem{{file: name,
			msg: fmt.Sprintf("the file is %d bytes, more than the %d an org file may hold", len(data), MaxOrgFileBytes)}})
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Batch{}, problemsError([]problem{syntaxProblem(name, err)})
	}
	if pr, ok := tooManyAliases(&root); !ok {
		pr.file = name
		return Batch{}, problemsError([]problem{pr})
	}
	p := &orgParser{file: name, b: Batch{Source: SourceOrg}}
	p.parse(&root)
	if len(p.probs) > 0 {
		slices.SortStableFunc(p.probs, func(x, y problem) int { return cmp.Compare(x.line, y.line) })
		return Batch{}, problemsError(p.probs)
	}
	return finish(p.b), nil
}

// orgParser holds the state of one ParseOrg call.
type orgParser struct {
	file  string
	probs []problem
	b     Batch
}

func (p *orgParser) parse(root *yaml.Node) {
	r := reader{file: p.file, probs: &p.probs}
	top := root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = deref(top.Content[0])
	}
	if top == nil || top.Kind != yaml.MappingNode {
		r.add(root.Line, "want a mapping with version, people, teams and entities")
		return
	}
	r.onlyKeys(top, "version", "people", "teams", "entities")
	switch v := r.text(field(top, "version"), "version"); {
	case v.s == "1":
	case v.s == "":
		if isBlank(field(top, "version")) {
			r.add(top.Line, "version is missing (write version: 1 at the top)")
		}
	default:
		r.add(v.line, "version: %q is not supported (this blameful reads version 1)", v.s)
	}
	p.section(top, "people", p.person)
	p.section(top, "teams", p.team)
	p.section(top, "entities", p.entity)
}

// section reads each item of the list under key with item, which returns
// the item's ref, and reports ids given twice.
func (p *orgParser) section(top *yaml.Node, key string, item func(reader, *yaml.Node) org.Ref) {
	list := field(top, key)
	if list == nil {
		return
	}
	if list.Kind != yaml.SequenceNode {
		reader{file: p.file, probs: &p.probs}.add(list.Line, "%s: want a list, found %s", key, describe(list))
		return
	}
	first := make(map[org.Ref]int)
	for i, n := range list.Content {
		r := reader{file: p.file, where: fmt.Sprintf("%s[%d]", key, i), probs: &p.probs}
		line := n.Line
		if n = deref(n); n == nil || n.Kind != yaml.MappingNode {
			r.add(line, "want a mapping with an id")
			continue
		}
		if id := field(n, "id"); id != nil && id.Kind == yaml.ScalarNode && strings.TrimSpace(id.Value) != "" {
			r.where += " (" + strings.TrimSpace(id.Value) + ")"
		}
		ref := item(r, n)
		if ref == "" {
			continue
		}
		if l, dup := first[ref]; dup {
			r.add(n.Line, "duplicate id %s (first at line %d)", ref, l)
			continue
		}
		first[ref] = n.Line
	}
}

// id reads an item's required id as a ref of a default kind.
func id(r reader, n *yaml.Node, defaultKind string, kinds ...string) org.Ref {
	t := r.text(field(n, "id"), "id")
	if t.s == "" {
		if isBlank(field(n, "id")) {
			r.add(n.Line, "id is missing")
		}
		return ""
	}
	return r.ref(t, "id", defaultKind, org.DefaultNamespace, kinds...)
}

func (p *orgParser) person(r reader, n *yaml.Node) org.Ref {
	r.onlyKeys(n, "id", "name", "email", "handle", "left")
	ref := id(r, n, org.KindUser, org.KindUser)
	email := r.text(field(n, "email"), "email")
	if email.s != "" && !isEmail(email.s) {
		r.add(email.line, "email: %q is not an email address", email.s)
	}
	person := org.Person{
		Ref:    ref,
		Name:   r.text(field(n, "name"), "name").s,
		Email:  email.s,
		Handle: r.text(field(n, "handle"), "handle").s,
		Left:   r.time(r.text(field(n, "left"), "left"), "left"),
	}
	if ref == "" {
		return ""
	}
	person.Name = cmp.Or(person.Name, ref.Name())
	person.Handle = cmp.Or(person.Handle, ref.Name())
	p.b.People = append(p.b.People, person)
	return ref
}

func (p *orgParser) team(r reader, n *yaml.Node) org.Ref {
	r.onlyKeys(n, "id", "name", "description", "parent", "leader", "members", "since")
	ref := id(r, n, org.KindGroup, org.KindGroup)
	ns := org.DefaultNamespace
	parentT := r.text(field(n, "parent"), "parent")
	parent := r.ref(parentT, "parent", org.KindGroup, ns, org.KindGroup)
	leader := r.ref(r.text(field(n, "leader"), "leader"), "leader", org.KindUser, ns, org.KindUser)
	members := r.refs(r.list(field(n, "members"), "members"), "members", org.KindUser, ns, org.KindUser)
	since := r.time(r.text(field(n, "since"), "since"), "since")
	team := org.Team{
		Ref:         ref,
		Name:        r.text(field(n, "name"), "name").s,
		Description: r.text(field(n, "description"), "description").s,
	}
	if ref == "" {
		return ""
	}
	if parent == ref {
		r.add(parentT.line, "parent: a team cannot be its own parent")
	}
	team.Name = cmp.Or(team.Name, ref.Name())
	p.b.Teams = append(p.b.Teams, team)
	if parent != "" {
		p.claim(org.ChildOf, ref, parent, since)
	}
	if leader != "" {
		p.claim(org.Leads, leader, ref, since)
		p.claim(org.MemberOf, leader, ref, since)
	}
	for _, m := range members {
		p.claim(org.MemberOf, m, ref, since)
	}
	p.b.Scopes = append(p.b.Scopes,
		Scope{Relation: org.ChildOf, Subjects: []org.Ref{ref}},
		Scope{Relation: org.Leads, Objects: []org.Ref{ref}},
		Scope{Relation: org.MemberOf, Objects: []org.Ref{ref}},
	)
	return ref
}

func (p *orgParser) entity(r reader, n *yaml.Node) org.Ref {
	r.onlyKeys(n, "id", "kind", "title", "description", "type", "lifecycle",
		"owner", "owners", "owner_since", "system", "domain", "depends_on", "code")
	ref := entityID(r, n)
	ns := org.DefaultNamespace
	ownerT := r.text(field(n, "owner"), "owner")
	owners := r.refs([]text{ownerT}, "owner", org.KindGroup, ns, org.KindUser, org.KindGroup)
	if list := field(n, "owners"); list != nil {
		if ownerT.s != "" {
			r.add(ownerT.line, "owner: give either owner or owners, not both")
		}
		owners = r.refs(r.list(list, "owners"), "owners", org.KindGroup, ns, org.KindUser, org.KindGroup)
	}
	sinceT := r.text(field(n, "owner_since"), "owner_since")
	since := r.time(sinceT, "owner_since")
	if sinceT.s != "" && ownerT.s == "" && field(n, "owners") == nil {
		r.add(sinceT.line, "owner_since: give owner or owners too")
	}
	systemT := r.text(field(n, "system"), "system")
	system := r.ref(systemT, "system", string(catalog.System), ns, string(catalog.System))
	domainT := r.text(field(n, "domain"), "domain")
	domain := r.ref(domainT, "domain", string(catalog.Domain), ns, string(catalog.Domain))
	deps := r.refs(r.list(field(n, "depends_on"), "depends_on"), "depends_on", string(catalog.Component), ns, entityKinds()...)
	e := catalog.Entity{
		Ref:         ref,
		Kind:        catalog.Kind(ref.Kind()),
		Title:       r.text(field(n, "title"), "title").s,
		Description: r.text(field(n, "description"), "description").s,
		Type:        r.text(field(n, "type"), "type").s,
		Lifecycle:   r.text(field(n, "lifecycle"), "lifecycle").s,
	}
	for _, c := range r.list(field(n, "code"), "code") {
		e.CodePaths = appendNew(e.CodePaths, c.s)
	}
	if ref == "" {
		return ""
	}
	if system != "" && (e.Kind == catalog.System || e.Kind == catalog.Domain) {
		r.add(systemT.line, "system: a %s cannot be part of a system", e.Kind)
	}
	if domain != "" && e.Kind != catalog.System {
		r.add(domainT.line, "domain: only a system belongs to a domain, and this is a %s", e.Kind)
	}
	if slices.Contains(deps, ref) {
		r.add(n.Line, "depends_on: an entity cannot depend on itself")
	}
	e.Title = cmp.Or(e.Title, ref.Name())
	p.b.Entities = append(p.b.Entities, e)
	for _, o := range owners {
		p.claim(org.OwnedBy, ref, o, since)
	}
	for _, parent := range []org.Ref{system, domain} {
		if parent != "" {
			p.claim(org.PartOf, ref, parent, time.Time{})
		}
	}
	for _, d := range deps {
		p.claim(org.DependsOn, ref, d, time.Time{})
	}
	p.b.Scopes = append(p.b.Scopes, entityScopes(ref)...)
	return ref
}

// entityID reads an entity's id and kind, which must agree when the id
// names a kind too.
func entityID(r reader, n *yaml.Node) org.Ref {
	kindT := r.text(field(n, "kind"), "kind")
	kind := strings.ToLower(kindT.s)
	if kind != "" && !catalog.Kind(kind).IsValid() {
		r.add(kindT.line, "kind: %q is not an entity kind (%s)", kindT.s, oneOf(entityKinds()))
		return ""
	}
	ref := id(r, n, cmp.Or(kind, string(catalog.Component)), entityKinds()...)
	if ref != "" && kind != "" && ref.Kind() != kind {
		r.add(kindT.line, "kind: %q disagrees with the id %s", kindT.s, ref)
		return ""
	}
	return ref
}

func (p *orgParser) claim(rel org.Relation, subject, object org.Ref, since time.Time) {
	p.b.Claims = append(p.b.Claims, org.Claim{Relation: rel, Subject: subject, Object: object, Since: since})
}

// isEmail is a sanity check, not validation: one @ with text either side
// and no spaces.
func isEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(s, " \t<>") && !strings.Contains(domain, "@")
}
