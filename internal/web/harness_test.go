package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/web"
)

// harness is a blameful server over a real database, and a client whose
// every exchange is checked against the OpenAPI document.
type harness struct {
	t      *testing.T
	app    *app.App
	clock  *apptest.Clock
	db     *store.DB
	srv    *httptest.Server
	token  string
	router routers.Router
}

func newHarness(t *testing.T, db *store.DB) *harness {
	t.Helper()
	a, clock := apptest.New(t, db)
	s := web.New(a, slog.New(slog.DiscardHandler), "test")
	s.MarkReady()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	_, secret, err := a.CreateToken(context.Background(), apptest.Admin(), app.NewToken{Name: "tour", Roles: []org.Role{org.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, app: a, clock: clock, db: db, srv: srv, token: secret, router: openAPIRouter(t, srv.URL)}
}

func init() {
	// The weekly review's Markdown and the imports' YAML are text as far
	// as the document's schemas go.
	openapi3filter.RegisterBodyDecoder("text/markdown", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/yaml", openapi3filter.PlainBodyDecoder)
}

// openAPIRouter loads the served document, validates it, and routes
// requests against it.
func openAPIRouter(t *testing.T, base string) routers.Router {
	t.Helper()
	res, err := http.Get(base + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(body)
	if err != nil {
		t.Fatalf("load OpenAPI document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	doc.Servers = nil // route on paths alone
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// response is what a call returned.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value for assertions.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return v
}

// errorRule returns the error's code and rule.
func (r response) errorRule(t *testing.T) (code, rule string) {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	if e == nil {
		t.Fatalf("no error in %s", r.body)
	}
	code, _ = e["code"].(string)
	rule, _ = e["rule"].(string)
	return code, rule
}

type call struct {
	method, path string
	body         any // marshalled to JSON unless it is a string or []byte
	contentType  string
	token        *string // nil: the harness's admin token
	// invalid skips request validation: the request is bad on purpose.
	invalid bool
}

// do sends a call and checks both sides of it against the OpenAPI document.
func (h *harness) do(c call) response {
	h.t.Helper()
	var raw []byte
	switch b := c.body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			h.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(c.method, h.srv.URL+c.path, bytes.NewReader(raw))
	if err != nil {
		h.t.Fatal(err)
	}
	if c.body != nil {
		ct := c.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	token := h.token
	if c.token != nil {
		token = *c.token
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, body: body}
	h.validate(c, req, raw, out)
	return out
}

func (h *harness) validate(c call, req *http.Request, raw []byte, out response) {
	h.t.Helper()
	if !strings.HasPrefix(c.path, "/api/v1/") {
		return
	}
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(raw))
	route, params, err := h.router.FindRoute(vreq)
	if err != nil {
		if out.status != http.StatusNotFound && out.status != http.StatusMethodNotAllowed {
			h.t.Errorf("%s %s is not in the OpenAPI document: %v", c.method, c.path, err)
		}
		return
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	if !c.invalid && out.status < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			h.t.Errorf("%s %s: the request does not match the OpenAPI document: %v", c.method, c.path, err)
		}
	}
	resIn := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: out.status, Header: out.header,
		Body: io.NopCloser(bytes.NewReader(out.body)), Options: opts}
	if err := openapi3filter.ValidateResponse(context.Background(), resIn); err != nil {
		h.t.Errorf("%s %s -> %d: the response does not match the OpenAPI document: %v\n%s", c.method, c.path, out.status, err, out.body)
	}
}

// want fails the test unless the response has the status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

func adminActor() org.Actor { return apptest.Admin() }
