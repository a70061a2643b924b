package web

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
)

// maxImportBytes limits an import body: a large catalog is a few MiB.
const maxImportBytes = 16 << 20

type periodJSON struct {
	Relation string  `json:"relation"`
	Subject  string  `json:"subject"`
	Object   string  `json:"object"`
	Source   string  `json:"source"`
	From     *string `json:"from"`
	To       *string `json:"to"`
}

func toPeriods(edges []org.Edge) []periodJSON {
	out := []periodJSON{}
	for _, e := range edges {
		out = append(out, periodJSON{Relation: string(e.Relation), Subject: string(e.Subject), Object: string(e.Object),
			Source: e.Source, From: rfc3339(e.From), To: rfc3339(e.To)})
	}
	return out
}

func refStrings(refs []org.Ref) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = string(r)
	}
	return out
}

// atParam reads ?at= (an RFC 3339 time) for "as of" views.
func atParam(r *http.Request) (time.Time, error) {
	var p errs.Problems
	t := parseTime(&p, "at", r.URL.Query().Get("at"))
	return t, p.Err()
}

// pathRef reads a {ref} path segment of the given kind ("" for any).
func pathRef(r *http.Request, kind string) (org.Ref, error) {
	raw := r.PathValue("ref")
	if u, err := url.PathUnescape(raw); err == nil {
		raw = u
	}
	ref, err := org.ParseRef(raw, kind)
	if err != nil {
		return "", errs.E(errs.NotFound, "%s", msg(err))
	}
	if kind != "" && ref.Kind() != kind {
		return "", errs.E(errs.NotFound, "%s is not a %s", ref, kind)
	}
	return ref, nil
}

type personJSON struct {
	Ref     string       `json:"ref"`
	Name    string       `json:"name"`
	Email   string       `json:"email"`
	Handle  string       `json:"handle"`
	Active  bool         `json:"active"`
	LeftAt  *string      `json:"left_at"`
	Teams   []string     `json:"teams"`
	Leads   []string     `json:"leads"`
	History []periodJSON `json:"history,omitempty"`
}

func toPersonJSON(v app.PersonView) personJSON {
	return personJSON{Ref: string(v.Ref), Name: v.Name, Email: v.Email, Handle: v.Handle, Active: v.IsActiveAt(v.At),
		LeftAt: rfc3339(v.Left), Teams: refStrings(v.Teams), Leads: refStrings(v.Leads)}
}

func (s *Server) listPeople(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	at, err := atParam(r)
	if err != nil {
		return err
	}
	people, err := s.app.People(r.Context(), actor, at)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(people, toPersonJSON))
	return nil
}

func (s *Server) getPerson(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	ref, err := pathRef(r, org.KindUser)
	if err != nil {
		return err
	}
	at, err := atParam(r)
	if err != nil {
		return err
	}
	v, err := s.app.Person(r.Context(), actor, ref, at)
	if err != nil {
		return err
	}
	j := toPersonJSON(v)
	j.History = toPeriods(v.History)
	writeJSON(w, http.StatusOK, j)
	return nil
}

type teamJSON struct {
	Ref         string       `json:"ref"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Parent      *string      `json:"parent"`
	Leader      *string      `json:"leader"`
	Leaders     []string     `json:"leaders"`
	Members     []string     `json:"members"`
	Children    []string     `json:"children"`
	Defunct     bool         `json:"defunct"`
	At          *string      `json:"at"`
	History     []periodJSON `json:"history,omitempty"`
}

func optRef(r org.Ref) *string {
	if r.IsZero() {
		return nil
	}
	s := string(r)
	return &s
}

func toTeamJSON(v app.TeamView) teamJSON {
	return teamJSON{Ref: string(v.Ref), Name: v.Name, Description: v.Description, Parent: optRef(v.Parent), Leader: optRef(v.Leader()),
		Leaders: refStrings(v.Leaders), Members: refStrings(v.Members), Children: refStrings(v.Children), Defunct: v.IsDefunct(), At: rfc3339(v.At)}
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	at, err := atParam(r)
	if err != nil {
		return err
	}
	teams, err := s.app.Teams(r.Context(), actor, at)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(teams, toTeamJSON))
	return nil
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	ref, err := pathRef(r, org.KindGroup)
	if err != nil {
		return err
	}
	at, err := atParam(r)
	if err != nil {
		return err
	}
	v, err := s.app.Team(r.Context(), actor, ref, at)
	if err != nil {
		return err
	}
	j := toTeamJSON(v)
	j.History = toPeriods(v.History)
	writeJSON(w, http.StatusOK, j)
	return nil
}

type ownerJSON struct {
	Owner string  `json:"owner"`
	Since *string `json:"since"`
}

type entityJSON struct {
	Ref         string       `json:"ref"`
	Kind        string       `json:"kind"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Type        string       `json:"type"`
	Lifecycle   string       `json:"lifecycle"`
	CodePaths   []string     `json:"code_paths"`
	Owners      []ownerJSON  `json:"owners"`
	System      *string      `json:"system"`
	DependsOn   []string     `json:"depends_on"`
	At          *string      `json:"at"`
	History     []periodJSON `json:"history,omitempty"`
}

func toEntityJSON(v app.EntityView) entityJSON {
	j := entityJSON{Ref: string(v.Ref), Kind: string(v.Kind), Title: v.Title, Description: v.Description, Type: v.Type,
		Lifecycle: v.Lifecycle, CodePaths: append([]string{}, v.CodePaths...), Owners: []ownerJSON{}, System: optRef(v.System),
		DependsOn: refStrings(v.DependsOn), At: rfc3339(v.At)}
	for _, c := range v.Owners {
		j.Owners = append(j.Owners, ownerJSON{Owner: string(c.Owner), Since: rfc3339(c.Since)})
	}
	return j
}

func (s *Server) listEntities(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	var p errs.Problems
	f := entityFilter(&p, r)
	f.Limit = limitParam(&p, r)
	if err := p.Err(); err != nil {
		return err
	}
	ents, err := s.app.EntityList(r.Context(), actor, f)
	if err != nil {
		return err
	}
	out, err := pageOf(ents, toEntityJSON, func(e app.EntityView) string { return string(e.Ref) }, len(ents) == f.Limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// entityFilter reads a catalog list's filters from the query, for the API
// and the page alike: q (text in the reference or title), kind, owner,
// owners (none or several: the ownership gaps), at, and the cursor (the
// last reference of the previous page).
func entityFilter(p *errs.Problems, r *http.Request) app.EntityFilter {
	q := r.URL.Query()
	f := app.EntityFilter{Text: strings.TrimSpace(q.Get("q")), Kind: catalog.Kind(q.Get("kind")), Owners: q.Get("owners")}
	f.At = parseTime(p, "at", q.Get("at"))
	freetext.Add(p, "q", f.Text, freetext.Ref)
	if f.Kind != "" && !f.Kind.IsValid() {
		p.Add("kind", "%q is not an entity kind: use component, system, resource, provider, domain or api", f.Kind)
	}
	if f.Owners != "" && f.Owners != app.OwnedByNone && f.Owners != app.OwnedBySeveral {
		p.Add("owners", "%q is not an ownership gap: use none or several", f.Owners)
	}
	if v := q.Get("owner"); v != "" {
		f.Owner = ownerRef(p, v)
	}
	if v := q.Get("cursor"); v != "" {
		ref, err := catalog.ParseRef(v)
		if err != nil {
			p.Add("cursor", "is not a cursor this server gave out")
		}
		f.After = ref
	}
	return f
}

func (s *Server) getEntity(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	ref, err := pathRef(r, "")
	if err != nil {
		return err
	}
	if _, err := catalog.ParseRef(string(ref)); err != nil {
		return errs.E(errs.NotFound, "%s", msg(err))
	}
	at, err := atParam(r)
	if err != nil {
		return err
	}
	v, err := s.app.Entity(r.Context(), actor, ref, at)
	if err != nil {
		return err
	}
	j := toEntityJSON(v)
	j.History = toPeriods(v.History)
	writeJSON(w, http.StatusOK, j)
	return nil
}

// readImport reads an import body: YAML, at most maxImportBytes.
func readImport(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxImportBytes))
	if err != nil {
		if isTooLarge(err) {
			return nil, errs.E(errs.TooLarge, "the import is larger than %d bytes", maxImportBytes)
		}
		return nil, errs.Wrap(errs.Invalid, err, "could not read the body")
	}
	if len(body) == 0 {
		return nil, errs.E(errs.Invalid, "the body is empty: send the YAML to import")
	}
	return body, nil
}

func (s *Server) importOrg(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	body, err := readImport(w, r)
	if err != nil {
		return err
	}
	b, err := importer.ParseOrg("request body", body)
	if err != nil {
		return err
	}
	res, err := s.app.Import(r.Context(), actor, b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) importBackstage(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	body, err := readImport(w, r)
	if err != nil {
		return err
	}
	b, err := importer.ParseBackstage([]importer.File{{Name: "request body", Data: body}})
	if err != nil {
		return err
	}
	res, err := s.app.Import(r.Context(), actor, b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

type meJSON struct {
	Ref   string   `json:"ref"`
	Roles []string `json:"roles"`
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	j := meJSON{Ref: string(actor.Ref), Roles: []string{}}
	for _, role := range actor.Roles {
		j.Roles = append(j.Roles, string(role))
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}
