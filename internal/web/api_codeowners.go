package web

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
)

// importCodeowners imports the CODEOWNERS file in the body as the rules
// of ?repo= (admins only; see app.ImportCodeowners), as text/plain. An
// empty body is refused as a mistake; a file of comments only clears the
// repository's rules.
func (s *Server) importCodeowners(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	repo := r.URL.Query().Get("repo")
	if repo == "" {
		return errs.Field("repo", "give the repository the file belongs to, as owner/name")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "text/plain") {
		return errs.E(errs.Invalid, "the body must be the CODEOWNERS file as text (Content-Type: text/plain), not %s", ct)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, importer.MaxCodeownersBytes))
	if err != nil {
		if isTooLarge(err) {
			return errs.E(errs.TooLarge, "a CODEOWNERS file must be under %d bytes (GitHub ignores larger ones)", importer.MaxCodeownersBytes)
		}
		return errs.Wrap(errs.Invalid, err, "could not read the body")
	}
	if len(body) == 0 {
		return errs.E(errs.Invalid, "the body is empty: send the CODEOWNERS file (a file of comments only clears the repository's rules)")
	}
	file, err := importer.ParseCodeowners("CODEOWNERS", body)
	if err != nil {
		return err
	}
	res, err := s.app.ImportCodeowners(r.Context(), actor, repo, file)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// ownersJSON answers GET /api/v1/owners: the owners of a path by the
// repository's CODEOWNERS, and the line that decided it. Owners are the
// people and teams the line names that blameful knows; Written are the
// owners as the line writes them. A line without owners leaves the path
// unowned (owners empty, rule set); no line at all gives rule "" and line 0.
type ownersJSON struct {
	Repo    string   `json:"repo"`
	Path    string   `json:"path"`
	Owners  []string `json:"owners"`
	Written []string `json:"written"`
	Rule    string   `json:"rule"`
	Line    int      `json:"line"`
}

func toOwnersJSON(o app.Ownership) ownersJSON {
	j := ownersJSON{Repo: o.Repo, Path: o.Path, Owners: refStrings(o.Rule.Refs), Written: []string{}}
	if o.Matched {
		j.Rule, j.Line = o.Rule.Text, o.Rule.Line
		j.Written = append(j.Written, o.Rule.Owners...)
	}
	return j
}

func (s *Server) getOwners(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	q := r.URL.Query()
	var p errs.Problems
	if q.Get("repo") == "" {
		p.Add("repo", "give the repository, as owner/name")
	}
	if q.Get("path") == "" {
		p.Add("path", "give the path to look up, for example src/main.go, or / for the repository's default owners")
	}
	if err := p.Err(); err != nil {
		return err
	}
	o, err := s.app.OwnersOf(r.Context(), actor, q.Get("repo"), q.Get("path"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toOwnersJSON(o))
	return nil
}

// driftJSON is one ownership drift finding.
type driftJSON struct {
	Kind     string   `json:"kind"`
	Entity   *string  `json:"entity"`
	Detail   string   `json:"detail"`
	Evidence []string `json:"evidence"`
}

func driftList(fs []review.Finding) []driftJSON {
	out := []driftJSON{}
	for _, f := range fs {
		ev := f.Evidence
		if ev == nil {
			ev = []string{}
		}
		out = append(out, driftJSON{Kind: string(f.Kind), Entity: optRef(f.Entity), Detail: f.Detail, Evidence: ev})
	}
	return out
}

// daysParam reads ?days=, 0 when absent.
func daysParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("days")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 366 {
		return 0, errs.Field("days", "must be a whole number of days from 1 to 366")
	}
	return n, nil
}

func (s *Server) getOwnershipDrift(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	days, err := daysParam(r)
	if err != nil {
		return err
	}
	fs, err := s.app.OwnershipDrift(r.Context(), actor, days)
	if err != nil {
		return err
	}
	if days == 0 {
		days = review.DefaultDriftDays
	}
	writeJSON(w, http.StatusOK, struct {
		Days     int         `json:"days"`
		Findings []driftJSON `json:"findings"`
	}{days, driftList(fs)})
	return nil
}
