package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"blameful.dev/blameful/internal/errs"
)

// A chain kept only in the database proves nothing to someone who can
// rewrite every row after the one they change, and the head with them. A
// Checkpoint commits to the chain from outside: the head's sequence number
// and hash at a moment, signed with an ed25519 key the database does not
// hold, and copied somewhere else (the log, the outbox). Later, the chain
// must still reach that many events, and its event Seq must still have that
// hash. A checkpoint vouches for everything up to its Seq, because each
// hash covers every event before it.

// CheckpointVersion is the encoding version of new checkpoints. A change to
// EncodeCheckpoint gets a new version.
const CheckpointVersion = 1

// Checkpoint is the chain's head as it stood at At: Seq events, the last
// with hash Hash. KeyID names the key that signs it.
type Checkpoint struct {
	Version int
	// Seq is the number of events, which is the head's sequence number.
	Seq   int64
	Hash  string
	At    time.Time
	KeyID string
}

// SignedCheckpoint is a Checkpoint with the ed25519 signature of its
// canonical encoding.
type SignedCheckpoint struct {
	Checkpoint
	Signature []byte
}

// NewCheckpoint returns the checkpoint of head at time at, with the current
// version. Sign fills in the key.
func NewCheckpoint(head Head, at time.Time) Checkpoint {
	return Checkpoint{Version: CheckpointVersion, Seq: head.Seq, Hash: head.Hash, At: at.UTC()}
}

const checkpointMagic = "blameful-checkpoint\x00"

// EncodeCheckpoint returns the bytes a checkpoint's signature covers: a
// magic prefix (distinct from events', so one can never pass for the
// other) and the version, then seq in decimal, hash, the time in RFC 3339
// UTC with nanoseconds and the key ID, each as a uvarint length followed by
// its bytes.
func EncodeCheckpoint(cp Checkpoint) []byte {
	fields := []string{
		strconv.FormatInt(cp.Seq, 10),
		cp.Hash,
		cp.At.UTC().Format(time.RFC3339Nano),
		cp.KeyID,
	}
	buf := make([]byte, 0, 128)
	buf = append(buf, checkpointMagic...)
	buf = append(buf, byte(cp.Version))
	for _, f := range fields {
		buf = binary.AppendUvarint(buf, uint64(len(f)))
		buf = append(buf, f...)
	}
	return buf
}

// KeyID returns a short fingerprint of a public key: the first 8 bytes of
// its SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Sign stamps cp with the current version and the ID of key's public key,
// and signs it. key must be a whole ed25519 private key (from
// ParsePrivateKey or ed25519.GenerateKey).
func Sign(cp Checkpoint, key ed25519.PrivateKey) SignedCheckpoint {
	cp.Version = CheckpointVersion
	cp.KeyID = KeyID(key.Public().(ed25519.PublicKey))
	cp.At = cp.At.UTC()
	return SignedCheckpoint{Checkpoint: cp, Signature: ed25519.Sign(key, EncodeCheckpoint(cp))}
}

// Verify checks that s was signed by pub's private key and not changed
// since. Any failure is an errs.Invalid error saying why.
func (s SignedCheckpoint) Verify(pub ed25519.PublicKey) error {
	switch {
	case len(pub) != ed25519.PublicKeySize:
		return errs.E(errs.Invalid, "the trusted public key is not an ed25519 key")
	case s.Version != CheckpointVersion:
		return errs.E(errs.Invalid, "unknown checkpoint version %d", s.Version)
	case s.KeyID != KeyID(pub):
		return errs.E(errs.Invalid, "it was signed with key %s, not the trusted key %s", s.KeyID, KeyID(pub))
	case len(s.Signature) != ed25519.SignatureSize || !ed25519.Verify(pub, EncodeCheckpoint(s.Checkpoint), s.Signature):
		return errs.E(errs.Invalid, "its signature does not verify: it was changed after it was signed")
	}
	return nil
}

// checkpointJSON is a checkpoint in a file or a log line.
type checkpointJSON struct {
	Version   int    `json:"version"`
	Seq       int64  `json:"seq"`
	Hash      string `json:"hash"`
	At        string `json:"at"`
	KeyID     string `json:"key_id"`
	Signature string `json:"signature"`
}

// MarshalJSON writes the checkpoint file format, one object:
//
//	{"version":1,"seq":1234,"hash":"<64 hex>","at":"2026-11-20T14:00:00.123456Z",
//	 "key_id":"<16 hex>","signature":"<base64 of 64 bytes>"}
//
// The signature covers EncodeCheckpoint of the fields, not these bytes, so
// a file may be re-indented freely.
func (s SignedCheckpoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(checkpointJSON{
		Version:   s.Version,
		Seq:       s.Seq,
		Hash:      s.Hash,
		At:        s.At.UTC().Format(time.RFC3339Nano),
		KeyID:     s.KeyID,
		Signature: base64.StdEncoding.EncodeToString(s.Signature),
	})
}

// UnmarshalJSON reads one checkpoint object strictly: every field is
// required and checked for form, and unknown fields are refused. It does
// not check the signature; Verify does.
func (s *SignedCheckpoint) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j checkpointJSON
	if err := dec.Decode(&j); err != nil {
		return errs.E(errs.Invalid, "not a checkpoint object: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, "not a checkpoint object: data after the object")
	}
	at, err := time.Parse(time.RFC3339Nano, j.At)
	if _, offset := at.Zone(); err != nil || offset != 0 {
		return errs.E(errs.Invalid, "at: %q is not an RFC 3339 time in UTC", j.At)
	}
	sig, err := base64.StdEncoding.DecodeString(j.Signature)
	switch {
	case j.Version != CheckpointVersion:
		return errs.E(errs.Invalid, "version: %d is not a known checkpoint version (want %d)", j.Version, CheckpointVersion)
	case j.Seq < 1:
		return errs.E(errs.Invalid, "seq: %d is not an event number", j.Seq)
	case !isHex(j.Hash, sha256.Size):
		return errs.E(errs.Invalid, "hash: %q is not a SHA-256 in lower-case hex", j.Hash)
	case !isHex(j.KeyID, 8):
		return errs.E(errs.Invalid, "key_id: %q is not a key ID (16 lower-case hex digits)", j.KeyID)
	case err != nil || len(sig) != ed25519.SignatureSize:
		return errs.E(errs.Invalid, "signature: not the base64 of an ed25519 signature (64 bytes)")
	}
	*s = SignedCheckpoint{
		Checkpoint: Checkpoint{Version: j.Version, Seq: j.Seq, Hash: j.Hash, At: at.UTC(), KeyID: j.KeyID},
		Signature:  sig,
	}
	return nil
}

// isHex reports whether s is exactly n bytes in lower-case hex.
func isHex(s string, n int) bool {
	if len(s) != 2*n {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ParseCheckpoints reads a checkpoint file: one checkpoint object, a JSON
// array of them, or a sequence of them separated by white space (one per
// line, as a log yields them). An empty file, or any object that is not a
// well-formed checkpoint, is an errs.Invalid error naming its line.
// Signatures are not checked here.
func ParseCheckpoints(data []byte) ([]SignedCheckpoint, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errs.E(errs.Invalid, "no checkpoints: the file is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	array := trimmed[0] == '['
	if array {
		if _, err := dec.Token(); err != nil {
			return nil, errs.E(errs.Invalid, "line 1: %v", err)
		}
	}
	var out []SignedCheckpoint
	for {
		if array && !dec.More() {
			break
		}
		start := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if !array && errors.Is(err, io.EOF) {
			break
		}
		line := lineAt(data, start)
		if err != nil {
			return nil, errs.E(errs.Invalid, "line %d: %v", line, err)
		}
		var s SignedCheckpoint
		if err := s.UnmarshalJSON(raw); err != nil {
			return nil, errs.E(errs.Invalid, "line %d: checkpoint %d: %s", line, len(out)+1, errMessage(err))
		}
		out = append(out, s)
	}
	if array {
		if err := endArray(dec); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, errs.E(errs.Invalid, "no checkpoints: the file holds an empty list")
	}
	return out, nil
}

// endArray reads the closing bracket of an array and checks that nothing
// follows it.
func endArray(dec *json.Decoder) error {
	if _, err := dec.Token(); err != nil {
		return errs.E(errs.Invalid, "the list of checkpoints does not end: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, "data after the list of checkpoints")
	}
	return nil
}

// lineAt returns the 1-based line of the first value at or after off,
// skipping white space and the commas between array elements.
func lineAt(data []byte, off int64) int {
	i := int(min(max(off, 0), int64(len(data))))
	for i < len(data) && bytes.IndexByte([]byte(" \t\r\n,"), data[i]) >= 0 {
		i++
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// errMessage is the user-safe message of an errs error, else its text.
func errMessage(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Message
	}
	return err.Error()
}

// Keys are ed25519. A private key is written as PEM ("PRIVATE KEY",
// PKCS #8, as openssl genpkey -algorithm ed25519 writes it) or given as the
// base64 of its 32-byte seed; a public key as PEM ("PUBLIC KEY", PKIX) or
// the base64 of its 32 bytes.

const (
	pemPrivate = "PRIVATE KEY"
	pemPublic  = "PUBLIC KEY"
)

// ParsePrivateKey reads a private key: PEM PKCS #8, or a base64 seed.
// Anything else is an errs.Invalid error.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	text := bytes.TrimSpace(data)
	if block, _ := pem.Decode(text); block != nil {
		if block.Type != pemPrivate {
			return nil, errs.E(errs.Invalid, "a PEM %q block is not a private key (want %q)", block.Type, pemPrivate)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		key, ok := k.(ed25519.PrivateKey)
		if err != nil || !ok {
			return nil, errs.E(errs.Invalid, "the PEM private key is not an ed25519 key")
		}
		return key, nil
	}
	seed, ok := decodeBase64(text)
	if !ok || len(seed) != ed25519.SeedSize {
		return nil, errs.E(errs.Invalid, "not an ed25519 private key: want PEM (PRIVATE KEY) or the base64 of a 32-byte seed")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParsePublicKey reads a public key: PEM PKIX, the base64 of its 32 bytes,
// or a PEM private key, whose public half it returns (so the signer's key
// file serves for verifying too). Anything else is an errs.Invalid error.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	text := bytes.TrimSpace(data)
	if block, _ := pem.Decode(text); block != nil {
		if block.Type == pemPrivate {
			key, err := ParsePrivateKey(text)
			if err != nil {
				return nil, err
			}
			return key.Public().(ed25519.PublicKey), nil
		}
		if block.Type != pemPublic {
			return nil, errs.E(errs.Invalid, "a PEM %q block is not a public key (want %q)", block.Type, pemPublic)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		pub, ok := k.(ed25519.PublicKey)
		if err != nil || !ok {
			return nil, errs.E(errs.Invalid, "the PEM public key is not an ed25519 key")
		}
		return pub, nil
	}
	raw, ok := decodeBase64(text)
	if !ok || len(raw) != ed25519.PublicKeySize {
		return nil, errs.E(errs.Invalid, "not an ed25519 public key: want PEM (PUBLIC KEY) or the base64 of 32 bytes")
	}
	return ed25519.PublicKey(raw), nil
}

// decodeBase64 decodes standard base64, padded or not.
func decodeBase64(text []byte) ([]byte, bool) {
	s := string(text)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	return b, err == nil
}

// MarshalPrivateKey returns key as a PEM PKCS #8 block.
func MarshalPrivateKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: der}), nil
}

// MarshalPublicKey returns pub as a PEM PKIX block.
func MarshalPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: der}), nil
}
