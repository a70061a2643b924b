package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/errs"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// testKey is a fixed key, so signatures (ed25519 is deterministic) are too.
func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// testCheckpoint is a checkpoint of a fixed head: the third event of a
// version 1 chain, as the golden file has it.
func testCheckpoint() Checkpoint {
	return NewCheckpoint(Head{Seq: 3, Hash: "517c284884a799edf423f40018f66a3560fe0bebb36e5e98602d848336ff3d82"}, at)
}

func TestSignedCheckpointVerifies(t *testing.T) {
	key := testKey(1)
	s := Sign(testCheckpoint(), key)
	if s.KeyID != KeyID(pub(key)) || s.Version != CheckpointVersion || len(s.KeyID) != 16 {
		t.Fatalf("signed checkpoint %+v", s.Checkpoint)
	}
	if err := s.Verify(pub(key)); err != nil {
		t.Fatal(err)
	}
}

func TestChangedCheckpointIsRefused(t *testing.T) {
	key, other := testKey(1), testKey(2)
	tests := []struct {
		name   string
		change func(*SignedCheckpoint)
		key    ed25519.PublicKey
		want   string
	}{
		{"another key", func(*SignedCheckpoint) {}, pub(other), "not the trusted key"},
		{"another key claiming the trusted key's ID", func(s *SignedCheckpoint) {
			*s = Sign(s.Checkpoint, other)
			s.KeyID = KeyID(pub(key))
		}, pub(key), "does not verify"},
		{"seq", func(s *SignedCheckpoint) { s.Seq++ }, pub(key), "does not verify"},
		{"hash", func(s *SignedCheckpoint) { s.Hash = strings.Repeat("a", 64) }, pub(key), "does not verify"},
		{"time", func(s *SignedCheckpoint) { s.At = s.At.Add(time.Nanosecond) }, pub(key), "does not verify"},
		{"signature", func(s *SignedCheckpoint) { s.Signature[0] ^= 1 }, pub(key), "does not verify"},
		{"short signature", func(s *SignedCheckpoint) { s.Signature = s.Signature[:10] }, pub(key), "does not verify"},
		{"version", func(s *SignedCheckpoint) { s.Version = 2 }, pub(key), "version 2"},
		{"no key", func(*SignedCheckpoint) {}, nil, "not an ed25519 key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Sign(testCheckpoint(), key)
			tt.change(&s)
			err := s.Verify(tt.key)
			if !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an Invalid error saying %q", err, tt.want)
			}
		})
	}
}

func TestCheckpointEncodingIsNotAnEvent(t *testing.T) {
	cp := testCheckpoint()
	e := Event{Seq: cp.Seq, Version: Version, Entry: Entry{ID: cp.Hash, At: cp.At, Actor: cp.KeyID}}
	if bytes.HasPrefix(EncodeCheckpoint(cp), Encode(e)[:len(magic)]) {
		t.Fatal("a checkpoint encodes with an event's prefix")
	}
	a, b := cp, cp
	a.Hash, a.KeyID = "ab", "c"
	b.Hash, b.KeyID = "a", "bc"
	if bytes.Equal(EncodeCheckpoint(a), EncodeCheckpoint(b)) {
		t.Fatal("field boundaries are not encoded")
	}
}

// TestCheckpointGolden pins the file format and the signed encoding: a
// change here makes every checkpoint ever written unverifiable, so it
// needs a new CheckpointVersion instead.
func TestCheckpointGolden(t *testing.T) {
	got, err := json.Marshal(Sign(testCheckpoint(), testKey(1)))
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const file = "testdata/checkpoint.golden"
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/audit -run TestCheckpointGolden -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Fatalf("checkpoint JSON changed (-want +got):\n%s", diff)
	}
	cps, err := ParseCheckpoints(want)
	if err != nil || len(cps) != 1 {
		t.Fatalf("parse golden: %v %v", cps, err)
	}
	if err := cps[0].Verify(pub(testKey(1))); err != nil {
		t.Fatal(err)
	}
}

func TestParseCheckpointFiles(t *testing.T) {
	key := testKey(1)
	var want []SignedCheckpoint
	var lines []string
	for i := range 3 {
		cp := testCheckpoint()
		cp.Seq += int64(i)
		s := Sign(cp, key)
		want = append(want, s)
		b, _ := json.Marshal(s)
		lines = append(lines, string(b))
	}
	indented, _ := json.MarshalIndent(want, "", "  ")
	tests := map[string]struct {
		file string
		n    int
	}{
		"one object":       {lines[0], 1},
		"one object, CRLF": {lines[0] + "\r\n", 1},
		"json lines":       {strings.Join(lines, "\n") + "\n", 3},
		"blank lines":      {"\n" + strings.Join(lines, "\n\n") + "\n\n", 3},
		"array":            {"[" + strings.Join(lines, ",") + "]", 3},
		"indented array":   {string(indented), 3},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseCheckpoints([]byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want[:tt.n], got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCheckpointsRefusesMalformed(t *testing.T) {
	good, _ := json.Marshal(Sign(testCheckpoint(), testKey(1)))
	edit := func(from, to string) string { return strings.Replace(string(good), from, to, 1) }
	var j map[string]any
	_ = json.Unmarshal(good, &j)
	delete(j, "key_id")
	missing, _ := json.Marshal(j)
	tests := map[string]struct{ file, want string }{
		"empty":            {"  \n", "empty"},
		"empty array":      {"[]", "empty list"},
		"not json":         {"checkpoint", "line 1"},
		"not an object":    {"42", "not a checkpoint object"},
		"unknown field":    {edit(`"version"`, `"extra":1,"version"`), `unknown field "extra"`},
		"missing field":    {string(missing), "key_id"},
		"no signature":     {edit(`"signature":"`, `"signature":"!`), "signature"},
		"zero seq":         {edit(`"seq":3`, `"seq":0`), "seq: 0"},
		"upper-case hash":  {edit(`"hash":"`, `"hash":"A`), "hash"},
		"local time":       {edit(`Z"`, `+01:00"`), "in UTC"},
		"future version":   {edit(`"version":1`, `"version":2`), "version: 2"},
		"bad second line":  {string(good) + "\n" + edit(`"seq":3`, `"seq":-1`), "line 2: checkpoint 2"},
		"bad third line":   {string(good) + "\n\n" + "{", "line 3"},
		"unclosed array":   {"[" + string(good), "does not end"},
		"data after array": {"[" + string(good) + "] {}", "after the list"},
		"array of numbers": {"[1]", "checkpoint 1"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseCheckpoints([]byte(tt.file))
			if !errors.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, %v; want an Invalid error saying %q", got, err, tt.want)
			}
		})
	}
}

// A key made by openssl genpkey -algorithm ed25519, and its public half
// from openssl pkey -pubout: the formats are the standard ones.
const (
	opensslPrivate = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIBblOvL72FPgR1s3WT9jAiLGOzNJeA6faaZziBlcqZEm
-----END PRIVATE KEY-----
`
	opensslPublic = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAGbD9XO3Saedhf8C9iaX9OtIhJVYN07cu4vV4bEN6Rq0=
-----END PUBLIC KEY-----
`
)

func TestKeys(t *testing.T) {
	priv, err := ParsePrivateKey([]byte(opensslPrivate))
	if err != nil {
		t.Fatal(err)
	}
	public, err := ParsePublicKey([]byte(opensslPublic))
	if err != nil {
		t.Fatal(err)
	}
	if !public.Equal(priv.Public()) {
		t.Fatal("openssl's public key is not the private key's")
	}
	derived, err := ParsePublicKey([]byte(opensslPrivate))
	if err != nil || !derived.Equal(public) {
		t.Fatalf("public key derived from the private key file: %v", err)
	}
	pemPriv, err := MarshalPrivateKey(priv)
	if err != nil || string(pemPriv) != opensslPrivate {
		t.Fatalf("private key PEM differs from openssl's: %v\n%s", err, pemPriv)
	}
	pemPub, err := MarshalPublicKey(public)
	if err != nil || string(pemPub) != opensslPublic {
		t.Fatalf("public key PEM differs from openssl's: %v\n%s", err, pemPub)
	}
	seed := base64.StdEncoding.EncodeToString(priv.Seed())
	for _, text := range []string{seed, seed + "\n", strings.TrimRight(seed, "=")} {
		k, err := ParsePrivateKey([]byte(text))
		if err != nil || !k.Equal(priv) {
			t.Fatalf("base64 seed %q: %v", text, err)
		}
	}
	raw := base64.StdEncoding.EncodeToString(public)
	if k, err := ParsePublicKey([]byte(raw)); err != nil || !k.Equal(public) {
		t.Fatalf("base64 public key: %v", err)
	}
}

func TestBadKeysAreRefused(t *testing.T) {
	for name, text := range map[string]string{
		"empty":              "",
		"short seed":         base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"public as private":  opensslPublic,
		"certificate":        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"broken private PEM": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	} {
		if _, err := ParsePrivateKey([]byte(text)); !errors.Is(err, errs.Invalid) {
			t.Errorf("private key %s: got %v, want Invalid", name, err)
		}
	}
	for name, text := range map[string]string{
		"empty":             "",
		"long":              base64.StdEncoding.EncodeToString(make([]byte, 64)),
		"certificate":       "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"broken public PEM": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
	} {
		if _, err := ParsePublicKey([]byte(text)); !errors.Is(err, errs.Invalid) {
			t.Errorf("public key %s: got %v, want Invalid", name, err)
		}
	}
}

// FuzzParseCheckpoints checks that any file either fails with an Invalid
// error or yields checkpoints that survive a round trip unchanged.
func FuzzParseCheckpoints(f *testing.F) {
	s := Sign(testCheckpoint(), testKey(1))
	one, _ := json.Marshal(s)
	list, _ := json.Marshal([]SignedCheckpoint{s, s})
	f.Add(one)
	f.Add(list)
	f.Add(append(append(append([]byte{}, one...), '\n'), one...))
	f.Add([]byte(`{"version":1,"seq":1,"hash":"","at":"","key_id":"","signature":""}`))
	f.Add([]byte("[{}, 1, null]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cps, err := ParseCheckpoints(data)
		if err != nil {
			if !errors.Is(err, errs.Invalid) {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		again, err := json.Marshal(cps)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseCheckpoints(again)
		if err != nil {
			t.Fatalf("re-reading %s: %v", again, err)
		}
		for i := range cps {
			if !bytes.Equal(EncodeCheckpoint(cps[i].Checkpoint), EncodeCheckpoint(back[i].Checkpoint)) || !bytes.Equal(cps[i].Signature, back[i].Signature) {
				t.Fatalf("checkpoint %d changed in a round trip: %+v then %+v", i, cps[i], back[i])
			}
		}
		_ = cps[0].Verify(pub(testKey(1))) // must not panic, whatever it holds
	})
}
