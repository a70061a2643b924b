package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/errs"
)

// envCheckpointKey names the variable holding the checkpoint signing key:
// a key file's path, or a base64 seed. It is never a flag's default, so
// -h cannot print it.
const envCheckpointKey = "BLAMEFUL_CHECKPOINT_KEY"

// filesFlag collects repeated file flags.
type filesFlag []string

func (f *filesFlag) String() string { return strings.Join(*f, ",") }

func (f *filesFlag) Set(s string) error {
	*f = append(*f, s)
	return nil
}

func runAuditVerify(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "audit verify", "[--db DSN] [--checkpoint FILE]… [--public-key FILE]")
	dsn := dbFlag(e, fs)
	var files filesFlag
	fs.Var(&files, "checkpoint", "a file of signed checkpoints the chain must match (repeat for several)")
	pubSpec := fs.String("public-key", "", "the public key checkpoints must be signed with: a PEM file or base64 (default: derived from "+envCheckpointKey+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	var opts []app.VerifyOption
	if len(files) > 0 {
		opt, err := checkpointOption(e, files, *pubSpec)
		if err != nil {
			return err
		}
		opts = append(opts, opt)
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	v, err := a.VerifyAudit(ctx, operator(), append(opts, app.FlagBreak(), app.Record())...)
	if err != nil {
		return err
	}
	if v.Break != nil {
		fmt.Fprintf(e.stdout, "audit chain BROKEN at event %d: %s (%d events verified before it)\n", v.Break.Seq, printable(v.Break.Reason), v.Events)
		return errSilent
	}
	if !v.OK {
		// The chain holds, but rows are not what it recorded: someone
		// wrote them behind the product's back, or removed the events
		// that recorded them.
		fmt.Fprintf(e.stdout, "audit log does NOT vouch for the current state: %d of %d rows are not what the chain recorded (the links of its %d events hold, up to head %d)\n",
			v.RowFindingCount, v.Units, v.Events, v.Head.Seq)
		for _, f := range v.RowFindings {
			fmt.Fprintf(e.stdout, "  %s\n", printable(f.String()))
		}
		if more := v.RowFindingCount - int64(len(v.RowFindings)); more > 0 {
			fmt.Fprintf(e.stdout, "  and %d more\n", more)
		}
		return errSilent
	}
	fmt.Fprintf(e.stdout, "audit chain holds: %d events, head %d %s", v.Events, v.Head.Seq, v.Head.Hash)
	if len(files) > 0 {
		fmt.Fprintf(e.stdout, ", and matches all %d signed checkpoints", v.Checkpoints)
	}
	fmt.Fprintf(e.stdout, "; all %d accountable rows are as it recorded\n", v.Units)
	return nil
}

// checkpointOption reads the checkpoint files and the trusted key.
func checkpointOption(e env, files []string, pubSpec string) (app.VerifyOption, error) {
	var pub ed25519.PublicKey
	switch {
	case pubSpec != "":
		text, err := keyText(pubSpec)
		if err != nil {
			return nil, err
		}
		if pub, err = audit.ParsePublicKey(text); err != nil {
			return nil, fmt.Errorf("--public-key: %w", err)
		}
	case e.getenv(envCheckpointKey) != "":
		key, err := signingKey(e, "")
		if err != nil {
			return nil, err
		}
		pub = key.Public().(ed25519.PublicKey)
	default:
		return nil, errs.E(errs.Invalid, "--checkpoint needs the key the checkpoints are signed with: --public-key FILE (or %s)", envCheckpointKey)
	}
	var cfs []app.CheckpointFile
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("checkpoint file: %w", err)
		}
		cps, err := audit.ParseCheckpoints(data)
		if err != nil {
			return nil, fmt.Errorf("checkpoint file %s: %w", name, err)
		}
		cfs = append(cfs, app.CheckpointFile{Name: name, Checkpoints: cps})
	}
	return app.AgainstCheckpoints(pub, cfs...), nil
}

func runAuditCheckpoint(ctx context.Context, e env, args []string) error {
	fs := flagSet(e, "audit checkpoint", "[--db DSN] [--key FILE] [--out FILE]")
	dsn := dbFlag(e, fs)
	keySpec := fs.String("key", "", "the signing key: a PEM file or a base64 seed (default: env "+envCheckpointKey+")")
	out := fs.String("out", "", "append the checkpoint to this file, one JSON object a line, instead of printing it")
	if err := parse(fs, args); err != nil {
		return err
	}
	key, err := signingKey(e, *keySpec)
	if err != nil {
		return err
	}
	a, closeDB, err := openApp(ctx, *dsn, false, newLogger(e, "text"), e.getenv("BLAMEFUL_POLICY"))
	if err != nil {
		return err
	}
	defer closeDB()
	s, err := a.Checkpoint(ctx, key)
	if err != nil {
		return err
	}
	line, err := json.Marshal(s)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if *out == "" {
		_, err := e.stdout.Write(line)
		return err
	}
	if err := appendFile(*out, line); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "checkpoint of event %d appended to %s\n", s.Seq, *out)
	return nil
}

// appendFile appends b to the file at path, creating it if need be.
func appendFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open checkpoint file: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write checkpoint file: %w", err)
	}
	return f.Close()
}

func runAuditKeygen(e env, args []string) error {
	fs := flagSet(e, "audit keygen", "--out FILE")
	out := fs.String("out", "", "where to write the new private key (PEM, mode 0600); an existing file is never overwritten")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errUsage
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	privPEM, err := audit.MarshalPrivateKey(key)
	if err != nil {
		return err
	}
	pubPEM, err := audit.MarshalPublicKey(pub)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return errs.E(errs.Conflict, "%s already exists: keygen never overwrites a key", *out)
	}
	if err != nil {
		return fmt.Errorf("create key file: %w", err)
	}
	if _, err := f.Write(privPEM); err != nil {
		f.Close()
		return fmt.Errorf("write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	fmt.Fprint(e.stdout, string(pubPEM))
	fmt.Fprintf(e.stderr, "wrote private key %s (key ID %s); the public key above verifies its checkpoints: keep a copy where the database's administrators cannot change it\n", *out, audit.KeyID(pub))
	return nil
}

// signingKey loads the checkpoint signing key from spec, else from the
// environment.
func signingKey(e env, spec string) (ed25519.PrivateKey, error) {
	from := "--key"
	if spec == "" {
		spec, from = e.getenv(envCheckpointKey), envCheckpointKey
	}
	if spec == "" {
		return nil, errs.E(errs.Invalid, "no checkpoint key: give --key FILE or set %s (make a key with blameful audit keygen --out FILE)", envCheckpointKey)
	}
	text, err := keyText(spec)
	if err != nil {
		return nil, err
	}
	key, err := audit.ParsePrivateKey(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return key, nil
}

// keyText returns the key spec names: the contents of the file at path
// spec, or spec itself (a base64 key given inline) when no such file
// exists. A key given inline is never echoed in messages.
func keyText(spec string) ([]byte, error) {
	b, err := os.ReadFile(spec)
	if errors.Is(err, os.ErrNotExist) {
		return []byte(spec), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	return b, nil
}

// checkpointFlags are serve's settings for signing checkpoints.
type checkpointFlags struct {
	key      *string
	every    *int64
	interval *time.Duration
}

// addCheckpointFlags adds serve's checkpoint flags to fs.
func addCheckpointFlags(fs *flag.FlagSet) checkpointFlags {
	return checkpointFlags{
		key: fs.String("checkpoint-key", "", "sign audit checkpoints with this key, a PEM file or base64 seed (env "+envCheckpointKey+"); off when unset"),
		every: fs.Int64("checkpoint-every", app.DefaultCheckpointEvery,
			"sign a checkpoint once this many audit events were added since the last"),
		interval: fs.Duration("checkpoint-interval", app.DefaultCheckpointInterval,
			"sign a checkpoint once this long has passed since the last, if any event was added"),
	}
}

// start starts the checkpoint emitter when a key is configured, and
// returns the function that stops it and waits for it to end. Each
// checkpoint goes to log as one line, key "checkpoint".
func (c checkpointFlags) start(ctx context.Context, e env, a *app.App, log *slog.Logger) (stop func(), err error) {
	spec := *c.key
	if spec == "" && e.getenv(envCheckpointKey) == "" {
		return func() {}, nil
	}
	switch {
	case *c.every < 1:
		return nil, errs.Field("checkpoint-every", "must be at least 1 event")
	case *c.interval <= 0:
		return nil, errs.Field("checkpoint-interval", "must be a positive duration, like 10m")
	}
	key, err := signingKey(e, spec)
	if err != nil {
		return nil, err
	}
	em := &app.CheckpointEmitter{App: a, Key: key, Every: *c.every, Interval: *c.interval, Log: log}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		em.Run(runCtx)
	}()
	log.Info("signing audit checkpoints", "key_id", audit.KeyID(key.Public().(ed25519.PublicKey)), "every", *c.every, "interval", c.interval.String())
	return func() { cancel(); <-done }, nil
}
