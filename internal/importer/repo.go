package importer

import (
	"strings"

	"blameful.dev/blameful/internal/errs"
)

// CanonicalRepo returns the name blameful keeps a repository under:
// "owner/name", lower-case (GitHub's names ignore case), from any of
// "owner/name", "github.com/owner/name", "https://github.com/owner/name"
// (with or without ".git"). A bare "name" is kept as it is. Anything else
// is an errs.Invalid error on field "repo".
func CanonicalRepo(s string) (string, error) {
	r := strings.ToLower(strings.TrimSpace(s))
	for _, p := range []string{"https://", "http://", "ssh://", "git@github.com:", "git@"} {
		r = strings.TrimPrefix(r, p)
	}
	r = strings.TrimPrefix(r, "github.com/")
	r = strings.TrimSuffix(strings.TrimSuffix(r, "/"), ".git")
	parts := strings.Split(r, "/")
	if r == "" || len(parts) > 2 {
		return "", errs.Field("repo", "%q is not a repository: write owner/name (github.com/owner/name works too)", s)
	}
	for _, p := range parts {
		if !isRepoPart(p) {
			return "", errs.Field("repo", "%q is not a repository: owner and name are letters, digits, - _ and . (at most 100)", s)
		}
	}
	return r, nil
}

func isRepoPart(s string) bool {
	return isSlug(s) && s != "." && s != ".."
}

// RepoOfCodePath reads an entity's code path as a place in a GitHub
// repository: "github.com/owner/name" (from Backstage's
// github.com/project-slug annotation) is the whole repository (path ""),
// and ".../owner/name/tree/BRANCH/some/dir" (path "some/dir/": a
// directory) or ".../blob/BRANCH/file" (a source-location) a path in it.
// ok is false for anything else.
func RepoOfCodePath(codePath string) (repo, path string, ok bool) {
	s := strings.ToLower(strings.TrimSpace(codePath))
	for _, p := range []string{"url:", "https://", "http://"} {
		s = strings.TrimPrefix(s, p)
	}
	rest, found := strings.CutPrefix(s, "github.com/")
	if !found {
		return "", "", false
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if len(parts) < 2 {
		return "", "", false
	}
	repo, err := CanonicalRepo(parts[0] + "/" + strings.TrimSuffix(parts[1], ".git"))
	if err != nil {
		return "", "", false
	}
	if len(parts) > 4 && (parts[2] == "tree" || parts[2] == "blob") {
		path = strings.Join(parts[4:], "/")
		if parts[2] == "tree" {
			path += "/" // a directory
		}
	}
	return repo, path, true
}
