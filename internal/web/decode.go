package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
)

// maxBodyBytes limits a JSON request body. Imports take more (maxImportBytes).
const maxBodyBytes = 1 << 20

// maxDepth is how deeply a request body may nest arrays and objects; no
// request of the API needs more than a few levels.
const maxDepth = 16

// decode reads a JSON body into a T, strictly: at most maxBodyBytes, exactly
// one value, every key spelled exactly as a field of T and given once, and
// every string valid text of its field's kind (the field's `text` tag, see
// package text; Line when untagged). Every failure names what is wrong, and
// the field where there is one.
func decode[T any](r *http.Request, w http.ResponseWriter) (T, error) {
	var v T
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return v, errs.E(errs.Invalid, "the body must be JSON (Content-Type: application/json), not %s", ct)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return v, decodeError(err)
	}
	if err := checkBody(raw, reflect.TypeFor[T]()); err != nil {
		return v, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	return v, nil
}

// checkBody walks raw as JSON against the shape of t, before it is decoded:
// encoding/json would match keys regardless of case, keep the last of two
// equal keys, and turn bytes that are not UTF-8 and lone surrogates into
// U+FFFD without a word.
func checkBody(raw []byte, t reflect.Type) error {
	c := &checker{raw: raw, dec: json.NewDecoder(bytes.NewReader(raw))}
	c.dec.UseNumber()
	if err := c.value(t, "", freetext.Line, 0); err != nil {
		return err
	}
	if _, err := c.dec.Token(); !errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, "the body must hold exactly one JSON value")
	}
	return c.problems.Err()
}

// checker is one walk of a body. Structural problems (malformed JSON, too
// deep) stop it; field problems are collected, so one answer names them
// all.
type checker struct {
	raw      []byte
	dec      *json.Decoder
	problems errs.Problems
}

// token reads the next token and the raw bytes it came from (with any
// separators before it).
func (c *checker) token() (json.Token, []byte, error) {
	start := c.dec.InputOffset()
	tok, err := c.dec.Token()
	if errors.Is(err, io.EOF) && start > 0 {
		err = io.ErrUnexpectedEOF // the body ended inside a value
	}
	if err != nil {
		return nil, nil, decodeError(err)
	}
	return tok, c.raw[start:c.dec.InputOffset()], nil
}

// value checks the next value, expected to be of type t, at field (a JSON
// path such as "entities[0].ref"; "" for the body itself).
func (c *checker) value(t reflect.Type, field string, kind freetext.Kind, depth int) error {
	tok, raw, err := c.token()
	if err != nil {
		return err
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch tok := tok.(type) {
	case json.Delim:
		if depth >= maxDepth {
			return errs.E(errs.Invalid, "the body nests more than %d levels deep", maxDepth)
		}
		if tok == '{' {
			return c.object(t, field, kind, depth+1)
		}
		return c.array(t, field, kind, depth+1)
	case string:
		if msg := checkString(tok, raw, kind); msg != "" {
			c.problems.Add(orBody(field), "%s", msg)
		}
	}
	return nil
}

// object checks the members of an object. Against a struct, each key must
// be a field's exact JSON name, once; any other type is left to the
// decoder, which names a type mismatch.
func (c *checker) object(t reflect.Type, field string, kind freetext.Kind, depth int) error {
	seen := map[string]bool{}
	for c.dec.More() {
		tok, raw, err := c.token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		path := key
		if field != "" {
			path = field + "." + key
		}
		if msg := checkString(key, raw, freetext.Line); msg != "" {
			c.problems.Add(path, "the name %s", msg)
		}
		if seen[key] {
			c.problems.Add(path, "appears twice; give each field once")
		}
		seen[key] = true
		ft, fkind, known := memberOf(t, key, kind)
		if !known {
			c.problems.Add(path, "%s", unknownField(t, key))
		}
		if err := c.value(ft, path, fkind, depth); err != nil {
			return err
		}
	}
	_, _, err := c.token() // the closing brace
	return err
}

func (c *checker) array(t reflect.Type, field string, kind freetext.Kind, depth int) error {
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t != rawMessage {
		elem = t.Elem()
	}
	for i := 0; c.dec.More(); i++ {
		if err := c.value(elem, field+"["+strconv.Itoa(i)+"]", kind, depth); err != nil {
			return err
		}
	}
	_, _, err := c.token() // the closing bracket
	return err
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

// memberOf returns the type and text kind of member key of t. Only a struct
// knows its members; against anything else (a map, json.RawMessage, a
// wrong type the decoder will name) every key is accepted and its value
// walked for its text alone.
func memberOf(t reflect.Type, key string, kind freetext.Kind) (reflect.Type, freetext.Kind, bool) {
	if t == nil || t.Kind() != reflect.Struct {
		if t != nil && t.Kind() == reflect.Map {
			return t.Elem(), kind, true
		}
		return nil, kind, true
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == key && f.IsExported() {
			return f.Type, kindOf(f), true
		}
	}
	return nil, freetext.Line, false
}

// kindOf is a struct field's text kind, from its `text` tag.
func kindOf(f reflect.StructField) freetext.Kind {
	if k, ok := freetext.ByName(f.Tag.Get("text")); ok {
		return k
	}
	return freetext.Line
}

func unknownField(t reflect.Type, key string) string {
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); strings.EqualFold(name, key) {
			return fmt.Sprintf("unknown field; names are case-sensitive: did you mean %q?", name)
		}
	}
	return "unknown field"
}

// checkString checks a string token, given also as the raw JSON it was
// read from: invalid UTF-8 and lone surrogates survive only there.
func checkString(s string, raw []byte, kind freetext.Kind) string {
	if lit := literal(raw); !utf8.Valid(lit) {
		return "is not valid UTF-8"
	} else if hasLoneSurrogate(lit) {
		return "holds a lone UTF-16 surrogate, which is not a character"
	}
	return freetext.Check(s, kind)
}

// literal returns the quoted string in raw, which may start with
// whitespace, a comma or a colon.
func literal(raw []byte) []byte {
	if i := bytes.IndexByte(raw, '"'); i >= 0 {
		return raw[i:]
	}
	return raw
}

// hasLoneSurrogate reports whether a JSON string literal escapes half of a
// UTF-16 surrogate pair without the other half.
func hasLoneSurrogate(lit []byte) bool {
	high := false // the previous escape was a high surrogate
	for i := 0; i < len(lit); i++ {
		if lit[i] != '\\' || i+1 >= len(lit) {
			if high {
				return true
			}
			continue
		}
		i++
		if lit[i] != 'u' || i+4 >= len(lit) {
			if high {
				return true
			}
			continue
		}
		r, err := strconv.ParseUint(string(lit[i+1:i+5]), 16, 16)
		i += 4
		if err != nil {
			continue
		}
		switch {
		case r >= 0xd800 && r < 0xdc00:
			if high {
				return true
			}
			high = true
		case r >= 0xdc00 && r < 0xe000:
			if !high {
				return true
			}
			high = false
		default:
			if high {
				return true
			}
		}
	}
	return high
}

func orBody(field string) string {
	if field == "" {
		return "body"
	}
	return field
}

func isTooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// decodeError turns encoding/json's errors into ones a user can act on.
func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case isTooLarge(err):
		return errs.E(errs.TooLarge, "the body is larger than %d bytes", maxBodyBytes)
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "malformed JSON: the body ends too early")
	case errors.As(err, &syn):
		return errs.E(errs.Invalid, "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return errs.E(errs.Invalid, "the body must be a JSON object")
		}
		return errs.Field(field, "must be %s, not %s", jsonType(typ.Type.String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &errs.Error{Kind: errs.Invalid, Message: fmt.Sprintf("unknown field %q", name), Fields: map[string]string{name: "unknown field"}}
	}
	return errs.E(errs.Invalid, "malformed JSON: %v", err)
}

func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case goType == "string", strings.HasSuffix(goType, ".Severity"), strings.HasSuffix(goType, ".Status"):
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "float"):
		return "a number"
	}
	return "an object"
}
