package web

import (
	"net/http"
	"net/url"
	"slices"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/report"
	"blameful.dev/blameful/internal/review"
)

// The org and the catalog as pages: the team tree with its leaders, people,
// and entities with their owners and ownership history. References in the
// URL are written as people write them: /people/user:default/ada works, as
// does /people/ada.

// teamNode is a team in the tree, with the teams under it.
type teamNode struct {
	app.TeamView
	Children []*teamNode
}

func (s *Server) pageTeams(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	teams, err := s.app.Teams(r.Context(), actor, s.app.Now())
	if err != nil {
		return err
	}
	nodes := make(map[org.Ref]*teamNode, len(teams))
	for _, t := range teams {
		nodes[t.Ref] = &teamNode{TeamView: t}
	}
	var roots []*teamNode
	for _, t := range teams {
		n := nodes[t.Ref]
		if p, ok := nodes[t.Parent]; ok && !t.Parent.IsZero() {
			p.Children = append(p.Children, n)
			continue
		}
		roots = append(roots, n)
	}
	return s.render(w, http.StatusOK, "teams", view{Title: "Teams", Actor: actor, Section: "org", Data: roots})
}

// teamPage is one team: who leads it and who is in it, the teams under it,
// what it owns, and its history.
type teamPage struct {
	app.TeamView
	Owns []app.EntityView
	// Trend is incidents per week attributed to the team and to each team
	// right under it.
	Trend report.Chart
}

// teamTrendWeeks is how many weeks a team's trend shows: a quarter.
const teamTrendWeeks = 12

func (s *Server) pageTeam(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	ref, err := pathRef(r, org.KindGroup)
	if err != nil {
		return err
	}
	now := s.app.Now()
	t, err := s.app.Team(r.Context(), actor, ref, now)
	if err != nil {
		return err
	}
	owns, err := s.app.Entities(r.Context(), actor, "", ref, now)
	if err != nil {
		return err
	}
	weeks, counts, err := s.app.TeamWeeks(r.Context(), actor, append([]org.Ref{t.Ref}, t.Children...), review.WeekOf(now), teamTrendWeeks)
	if err != nil {
		return err
	}
	data := teamPage{TeamView: t, Owns: owns, Trend: report.TeamChart("team-trend", weeks, counts)}
	return s.render(w, http.StatusOK, "team", view{Title: t.Name, Actor: actor, Section: "org", Data: data})
}

func (s *Server) pagePerson(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	ref, err := pathRef(r, org.KindUser)
	if err != nil {
		return err
	}
	p, err := s.app.Person(r.Context(), actor, ref, s.app.Now())
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "person", view{Title: p.Name, Actor: actor, Section: "org", Data: p})
}

// entitiesPerPage is how many entities a page of the catalog lists.
const entitiesPerPage = 100

// entitiesPage is one page of the catalog, filtered: by text, kind, and
// ownership gap (nobody's job, or claimed by several), which is where an
// incident would land on a leader by A4.
type entitiesPage struct {
	Query url.Values
	Kinds []catalog.Kind
	// Gaps are the tabs: all entities, nobody's, several owners'.
	Gaps  []gapTab
	Items []app.EntityView
	// Next is the URL of the next page, if there is one; Later says this
	// page is not the first.
	Next  string
	Later bool
}

type gapTab struct {
	Label, Href string
	Current     bool
}

func (s *Server) pageEntities(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	q := r.URL.Query()
	var p errs.Problems
	f := entityFilter(&p, r)
	f.Limit = entitiesPerPage + 1
	if err := p.Err(); err != nil {
		return err
	}
	items, err := s.app.EntityList(r.Context(), actor, f)
	if err != nil {
		return err
	}
	data := entitiesPage{Query: q, Kinds: catalog.Kinds, Later: !f.After.IsZero()}
	if len(items) > entitiesPerPage {
		items = items[:entitiesPerPage]
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("cursor", string(items[len(items)-1].Ref))
		data.Next = "/entities?" + next.Encode()
	}
	data.Items = items
	for _, g := range []struct{ label, owners string }{{"Every entity", ""}, {"Nobody's job", app.OwnedByNone}, {"Several owners", app.OwnedBySeveral}} {
		tab := url.Values{}
		for _, k := range []string{"q", "kind"} {
			if v := q.Get(k); v != "" {
				tab.Set(k, v)
			}
		}
		if g.owners != "" {
			tab.Set("owners", g.owners)
		}
		href := "/entities"
		if len(tab) > 0 {
			href += "?" + tab.Encode()
		}
		data.Gaps = append(data.Gaps, gapTab{Label: g.label, Href: href, Current: f.Owners == g.owners})
	}
	return s.render(w, http.StatusOK, "entities", view{Title: "Catalog", Actor: actor, Section: "org", Data: data})
}

func (s *Server) pageEntity(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	ref, err := pathEntityRef(r)
	if err != nil {
		return err
	}
	e, err := s.app.Entity(r.Context(), actor, ref, s.app.Now())
	if err != nil {
		return err
	}
	slices.SortFunc(e.History, func(a, b org.Edge) int { return b.From.Compare(a.From) })
	return s.render(w, http.StatusOK, "entity", view{Title: e.Title, Actor: actor, Section: "org", Data: e})
}

// pathEntityRef reads the {ref} of an entity page: "component:checkout-api",
// "component:default/checkout-api", or a bare name, which is a component.
func pathEntityRef(r *http.Request) (org.Ref, error) {
	raw := r.PathValue("ref")
	if u, err := url.PathUnescape(raw); err == nil {
		raw = u
	}
	ref, err := catalog.ParseRef(raw)
	if err != nil {
		return "", errs.E(errs.NotFound, "%s", msg(err))
	}
	return ref, nil
}
