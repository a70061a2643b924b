package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Envelope is the JSON body of a webhook request.
type Envelope struct {
	// Delivery is the idempotency key, also in the Blameful-Delivery
	// header.
	Delivery  string    `json:"delivery"`
	Message   string    `json:"message"`
	Kind      string    `json:"kind"`
	Recipient string    `json:"recipient"`
	CreatedAt time.Time `json:"created_at"`
	// Payload is the message's own JSON, as queued.
	Payload json.RawMessage `json:"payload"`
}

// WebhookBody renders m as the webhook's JSON envelope.
func WebhookBody(m Message, key string) ([]byte, error) {
	payload := json.RawMessage(m.Payload)
	if !json.Valid(payload) {
		payload = json.RawMessage("null")
	}
	return marshal(Envelope{Delivery: key, Message: m.ID, Kind: m.Kind, Recipient: m.Recipient,
		CreatedAt: m.CreatedAt.UTC(), Payload: payload})
}

// Sign returns the Blameful-Signature header for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">".
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// DefaultTolerance is how far a signature's time may be from the
// receiver's clock: older requests are replays.
const DefaultTolerance = 5 * time.Minute

// ErrSignature is the error Verify returns, wrapped with the reason, for a
// request that is not genuine or not fresh.
var ErrSignature = errors.New("webhook signature rejected")

// Verify checks a Blameful-Signature header against the raw body, as a
// receiver does: the header must carry a timestamp within tolerance of now
// (either way) and a v1 HMAC-SHA256 of "<t>.<body>" under secret; any of
// several v1 values may match, so a sender can sign with an old and a new
// secret while they rotate. The comparison is in constant time. The error
// wraps ErrSignature.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: the header has no timestamp or no v1 signature", ErrSignature)
	}
	at := time.Unix(unix, 0)
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s, more than %s from now (a replay, or a clock off)", ErrSignature, at.UTC().Format(time.RFC3339), tolerance)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 signature matches the body", ErrSignature)
}
