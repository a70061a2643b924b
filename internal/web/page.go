package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
)

// Pages are server-rendered: each page is templates/pages/NAME.html,
// parsed once at start-up together with the layout and the partials
// (templates/*.html), so every page defines only its "content" (and may
// define "title"). Scripts only enhance pages that work without them.

// pageHandler is an HTML handler for a signed-in actor. It returns an
// error only when it has not written a response.
type pageHandler func(w http.ResponseWriter, r *http.Request, actor org.Actor) error

// page runs h for the actor of the request's session. Without one, a GET
// is sent to the login page and back; anything else is refused. An error
// becomes an error page with the status of its kind.
func (s *Server) page(h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		actor, err := s.sessionActor(r)
		if errors.Is(err, errs.Unauthenticated) && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err == nil {
			err = h(w, r, actor)
		}
		if err != nil {
			s.pageError(w, r, actor, err)
		}
	})
}

// view is what every page template receives: the page's own data, and
// what the layout needs.
type view struct {
	Title string
	// Actor is who is signed in; zero on the login page.
	Actor org.Actor
	// Section names the navigation entry to mark as current.
	Section string
	Version string
	Data    any
	// Inline holds the stylesheets of a page written to a file, which has
	// no server to fetch them from.
	Inline template.CSS
}

// render writes page name with status. The page is rendered to a buffer
// first, so a template error is a clean 500, never half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, v view) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	v.Version = s.version
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
	return nil
}

// errorPage is the data of the error page.
type errorPage struct {
	Status    int
	Message   string
	Rule      string
	RequestID string
}

// pageError renders err as a page. An error that is not an *errs.Error is
// internal: logged, and shown only as a request ID to quote.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, actor org.Actor, err error) {
	id := requestID(r)
	e, ok := errs.As(err)
	if !ok || e.Kind == errs.Internal {
		s.log.Error("page failed", append(logAttrs(r), "err", err)...)
		e = &errs.Error{Kind: errs.Internal, Message: "Something went wrong on our side. Quote request " + id + " when reporting it."}
	}
	status := statusOf(e)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfter)
	}
	data := errorPage{Status: status, Message: e.Message, Rule: e.Rule, RequestID: id}
	if rerr := s.render(w, status, "error", view{Title: http.StatusText(status), Actor: actor, Data: data}); rerr != nil {
		s.log.Error("render error page", append(logAttrs(r), "err", rerr)...)
		http.Error(w, e.Message, status)
	}
}

// parsePages parses every page with the layout and partials.
func parsePages(funcs template.FuncMap) map[string]*template.Template {
	shared := template.Must(template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/*.html"))
	names, err := fs.Glob(templateFiles, "templates/pages/*.html")
	if err != nil {
		panic(err)
	}
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		t := template.Must(shared.Clone())
		out[strings.TrimSuffix(path.Base(n), ".html")] = template.Must(t.ParseFS(templateFiles, n))
	}
	return out
}

// section is one editable section of a postmortem.
type section struct{ Name, Label, Text string }

// pageFuncs are the helpers every template may use.
var pageFuncs = template.FuncMap{
	// day is a date as people read it in a review: 2026-11-20.
	"day": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	// when is a moment to the minute, in UTC.
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	// iso is a machine-readable time for <time datetime>.
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// lower is a value as a CSS class: "SEV1" -> "sev1".
	"lower": func(s any) string { return strings.ToLower(fmt.Sprint(s)) },
	// short is a reference without its default namespace.
	"short": func(r org.Ref) string { return r.Short() },
	// state is an enumerated value in words: "in_review" -> "in review".
	"state": func(s any) string { return strings.ReplaceAll(fmt.Sprint(s), "_", " ") },
	// more says how many a capped list left out.
	"more": func(shown, total int) template.HTML {
		if total <= shown {
			return ""
		}
		return template.HTML(fmt.Sprintf(`<p class="more">… and %d more</p>`, total-shown))
	},
	"overdueDays": func(f followup.FollowUp, asOf time.Time) int { return f.DaysOverdue(asOf) },
	// int is a number type's value, for levels.
	"int": func(v any) int { return int(reflect.ValueOf(v).Int()) },
	// pct is a share as a percentage.
	"pct": func(f float64) float64 { return f * 100 },
	// list makes a list of strings, for options.
	"list": func(xs ...string) []string { return xs },
	// markdown renders stored Markdown, sanitized.
	"markdown": renderMarkdown,
	// sectionOf is one textarea of the postmortem editor: the stored text,
	// or what was typed when the form was refused.
	"sectionOf": func(name, label, stored string, p *postmortemPage) section {
		if v, ok := p.Values[name]; ok && p.Form == "document" {
			stored = v
		}
		return section{Name: name, Label: label, Text: stored}
	},
}
