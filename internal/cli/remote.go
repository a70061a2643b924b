package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
)

// A deploy script often runs where the database is not: change record
// --server posts the change to a running server's API with an API token,
// as any other client would, and the server applies the same checks.

// remoteTimeout bounds a call to the server.
const remoteTimeout = 30 * time.Second

// postChange records a change through the API at server and returns its id.
func postChange(ctx context.Context, server, token string, in app.ChangeInput) (string, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errs.Field("server", "%q is not a server URL like https://blameful.example.com", server)
	}
	if token == "" {
		return "", errs.Field("server", "set BLAMEFUL_TOKEN to an API token (blameful token create) to record through a server")
	}
	body := map[string]any{"entity": string(in.Entity), "ref": in.Ref, "actor": string(in.Actor)}
	if !in.At.IsZero() {
		body["at"] = in.At.UTC().Format(time.RFC3339Nano)
	}
	if in.Source != "" {
		body["source"] = in.Source
	}
	if !in.ExceptionApprovedBy.IsZero() {
		body["exception_approved_by"] = string(in.ExceptionApprovedBy)
	}
	b, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(ctx, remoteTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(u.String(), "/")+"/api/v1/changes", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("record the change at %s: %w", u.Host, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusCreated {
		return "", remoteError(res.StatusCode, raw)
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("the server answered 201 without a change id")
	}
	return out.ID, nil
}

// remoteError turns the API's error body into an error that reads as the
// local one would: its message, the rule it names and the fields.
func remoteError(status int, raw []byte) error {
	var body struct {
		Error struct {
			Message string            `json:"message"`
			Rule    string            `json:"rule"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &body) != nil || body.Error.Message == "" {
		return fmt.Errorf("the server answered %d", status)
	}
	msg := body.Error.Message
	if body.Error.Rule != "" && !strings.Contains(msg, body.Error.Rule) {
		msg = body.Error.Rule + ": " + msg
	}
	for f, m := range body.Error.Fields {
		msg += fmt.Sprintf("\n  %s: %s", f, m)
	}
	return fmt.Errorf("the server refused the change (%d): %s", status, msg)
}
