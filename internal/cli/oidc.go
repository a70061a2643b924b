package cli

import (
	"context"
	"fmt"
	"net/url"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/web"
)

// oidcFlags are serve's settings for login through an OpenID provider.
type oidcFlags struct {
	issuer, clientID, secretFile *string
}

func addOIDCFlags(e env, fs *flags) oidcFlags {
	return oidcFlags{
		issuer: fs.String("oidc-issuer", e.getenv("BLAMEFUL_OIDC_ISSUER"),
			"issuer URL of an OpenID provider to log in through (env BLAMEFUL_OIDC_ISSUER); register BASE-URL/auth/oidc/callback with it"),
		clientID: fs.String("oidc-client-id", e.getenv("BLAMEFUL_OIDC_CLIENT_ID"),
			"client id blameful has at the provider (env BLAMEFUL_OIDC_CLIENT_ID)"),
		secretFile: fs.String("oidc-client-secret-file", e.getenv("BLAMEFUL_OIDC_CLIENT_SECRET_FILE"),
			"file whose first line is the client secret (env BLAMEFUL_OIDC_CLIENT_SECRET_FILE)"),
	}
}

// config returns the provider to log in through, or false when none is
// set; setting some of the three and not all is an error.
func (f oidcFlags) config() (web.OIDCConfig, bool, error) {
	if *f.issuer == "" && *f.clientID == "" && *f.secretFile == "" {
		return web.OIDCConfig{}, false, nil
	}
	var p errs.Problems
	if u, err := url.Parse(*f.issuer); *f.issuer == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.Add("oidc-issuer", "--oidc-issuer %q is not an issuer URL such as https://login.example.com/", *f.issuer)
	}
	if *f.clientID == "" {
		p.Add("oidc-client-id", "--oidc-client-id is required with --oidc-issuer")
	}
	var secret string
	if *f.secretFile == "" {
		p.Add("oidc-client-secret-file", "--oidc-client-secret-file is required with --oidc-issuer")
	} else {
		s, err := readPasswordFile(*f.secretFile)
		if e, ok := errs.As(err); ok {
			p.Add("oidc-client-secret-file", "%s", e.Message)
		}
		secret = s
	}
	if err := p.Err(); err != nil {
		return web.OIDCConfig{}, false, err
	}
	return web.OIDCConfig{Issuer: *f.issuer, ClientID: *f.clientID, ClientSecret: secret}, true, nil
}

// issuerFlag adds --oidc-issuer to the user verbs that link identities,
// defaulting as serve does.
func issuerFlag(e env, fs *flags) *string {
	return fs.String("oidc-issuer", e.getenv("BLAMEFUL_OIDC_ISSUER"), "issuer URL of the OpenID provider (env BLAMEFUL_OIDC_ISSUER)")
}

// userLink is user link: the explicit mapping from a provider's subject to
// an account, for a person whose email the provider does not verify.
func userLink(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "user link", "EMAIL --oidc-subject SUB [--oidc-issuer URL] [--db DSN]")
	dsn := dbFlag(e, fs)
	issuer := issuerFlag(e, fs)
	subject := fs.String("oidc-subject", "", "the provider's id for the person: the sub claim of their ID token")
	email, err := oneArg(fs, args)
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		if err := a.LinkIdentity(ctx, operator(), email, *issuer, *subject); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "linked %s to subject %s of %s\n", printable(email), printable(*subject), printable(*issuer))
		return nil
	})
}

// userUnlink is user unlink: the provider's logins no longer reach the
// account, and its sessions end.
func userUnlink(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "user unlink", "EMAIL [--oidc-issuer URL] [--db DSN]")
	dsn := dbFlag(e, fs)
	issuer := issuerFlag(e, fs)
	email, err := oneArg(fs, args)
	if err != nil {
		return err
	}
	return openThen(ctx, e, *dsn, func(a *app.App) error {
		n, err := a.UnlinkIdentities(ctx, operator(), email, *issuer)
		if err != nil {
			return err
		}
		if n == 0 {
			fmt.Fprintf(e.stdout, "%s had no login of %s linked\n", printable(email), printable(*issuer))
			return nil
		}
		fmt.Fprintf(e.stdout, "unlinked %d login(s) of %s from %s and ended its sessions\n", n, printable(*issuer), printable(email))
		return nil
	})
}
