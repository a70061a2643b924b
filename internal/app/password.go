package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"blameful.dev/blameful/internal/errs"
)

// Passwords are hashed with argon2id at the parameters OWASP recommends as
// its baseline (19 MiB, two passes, one lane): about 30 ms of one core
// here. A hash is kept as one string in the PHC format,
//
//	$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH
//
// with the salt and the hash in unpadded base64, so that a hash made with
// other parameters still verifies after they change.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonSaltBytes = 16
	argonKeyBytes  = 32
)

// The length rules of a password, in characters. The maximum bounds the
// work one attempt can ask of the server.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// checkPassword applies the length rules.
func checkPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return errs.Field("password", "the password is not valid text")
	case n < MinPasswordLength:
		return errs.Field("password", "use at least %d characters", MinPasswordLength)
	case n > MaxPasswordLength:
		return errs.Field("password", "use at most %d characters", MaxPasswordLength)
	}
	return nil
}

// hasher runs password hashes, a few at a time: each takes 19 MiB and a
// core for a while, so a burst of login attempts queues instead of
// exhausting the machine.
type hasher struct {
	slots chan struct{}
}

func newHasher() *hasher {
	return &hasher{slots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}
}

// acquire waits for a slot; a request that ends first is Unavailable.
func (h *hasher) acquire(ctx context.Context) (release func(), err error) {
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-ctx.Done():
		return nil, errs.Wrap(errs.Unavailable, ctx.Err(), "the server is busy checking passwords; try again")
	}
}

// hash returns the encoded argon2id hash of pw with a fresh salt.
func (h *hasher) hash(ctx context.Context, pw string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return encodeHash(pw), nil
}

func encodeHash(pw string) string {
	salt := make([]byte, argonSaltBytes)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyBytes)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// verify reports whether pw matches the encoded hash. An empty or
// malformed encoded hash matches nothing, but costs the same work as a
// real one, so the time taken tells nothing.
func (h *hasher) verify(ctx context.Context, encoded, pw string) (bool, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	p, ok := decodeHash(encoded)
	if !ok {
		// No account, or no password yet: hash anyway, at today's
		// parameters, so the answer takes as long as for a real one.
		p = argonHash{memory: argonMemoryKiB, time: argonTime, threads: argonThreads, salt: make([]byte, argonSaltBytes)}
		_, _ = rand.Read(p.salt)
	}
	got := argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, uint32(max(len(p.key), argonKeyBytes)))
	return ok && subtle.ConstantTimeCompare(got, p.key) == 1, nil
}

// argonHash is a decoded hash.
type argonHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// decodeHash reads an encoded hash. It refuses parameters far outside
// what blameful ever wrote, so a tampered row cannot make a login take
// gigabytes.
func decodeHash(s string) (argonHash, bool) {
	var p argonHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, false
	}
	var threads int
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &threads); err != nil {
		return p, false
	}
	b64 := base64.RawStdEncoding
	salt, serr := b64.DecodeString(parts[4])
	key, kerr := b64.DecodeString(parts[5])
	if serr != nil || kerr != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 ||
		p.memory < 8*1024 || p.memory > 256*1024 || p.time < 1 || p.time > 10 || threads < 1 || threads > 8 {
		return p, false
	}
	p.threads, p.salt, p.key = uint8(threads), salt, key
	return p, true
}
