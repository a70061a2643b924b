// Package errs defines the small, closed set of failure kinds that blameful
// reports to its users, and the error value that carries them.
//
// An *Error carries a kind, a user-safe message, the product rule it enforces
// (A1, F1, …) when one applies, problems per input field, and the wrapped cause,
// which is logged but never shown. Any error that is not an *Error is treated
// as Internal by the boundaries.
package errs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Kind is a class of failure that a caller must act on differently.
type Kind string

// The kinds. Their values are stable: they appear as the "code" of API errors.
const (
	Invalid         Kind = "invalid"
	NotFound        Kind = "not_found"
	Conflict        Kind = "conflict"
	Forbidden       Kind = "forbidden"
	Unauthenticated Kind = "unauthenticated"
	Unavailable     Kind = "unavailable"
	TooLarge        Kind = "too_large"
	// MethodNotAllowed is a request for a resource that exists, with a
	// method it does not take.
	MethodNotAllowed Kind = "method_not_allowed"
	Internal         Kind = "internal"
)

// Error is a failure with a kind and a message that is safe to show a user.
type Error struct {
	Kind    Kind
	Message string
	// Rule is the PRODUCT.md rule identifier the failure enforces, if any.
	Rule string
	// Fields maps an input field (JSON name) to what is wrong with it.
	Fields map[string]string
	// Cause is the underlying error; it is logged, never shown.
	Cause error
}

// Error returns the message, followed by the cause when there is one.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" (")
		for i, k := range keys {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(k + ": " + e.Fields[k])
		}
		b.WriteString(")")
	}
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Is reports whether target is the Kind of e, so that errors.Is(err,
// errs.NotFound) works through any number of wraps.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// Error makes Kind usable as an errors.Is target: errors.Is(err, errs.NotFound).
func (k Kind) Error() string { return string(k) }

// E builds an error of kind k with a formatted message.
func E(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Rule builds an error of kind k that enforces rule (for example "A1").
func Rule(k Kind, rule, format string, args ...any) *Error {
	return &Error{Kind: k, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// Field builds an Invalid error about a single input field.
func Field(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Kind: Invalid, Message: field + ": " + msg, Fields: map[string]string{field: msg}}
}

// Wrap returns an error of kind k with message msg whose cause is err.
func Wrap(k Kind, err error, msg string) *Error {
	return &Error{Kind: k, Message: msg, Cause: err}
}

// KindOf returns the kind of err: the kind of the first *Error in its chain,
// or Internal when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns the first *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Problems collects field problems while validating input, and becomes one
// Invalid error naming every field that is wrong.
type Problems struct {
	fields map[string]string
	rule   string
}

// Add records that field is wrong. The first problem per field wins.
func (p *Problems) Add(field, format string, args ...any) {
	if p.fields == nil {
		p.fields = make(map[string]string)
	}
	if _, ok := p.fields[field]; !ok {
		p.fields[field] = fmt.Sprintf(format, args...)
	}
}

// AddRule records a field problem that enforces a rule; the error's Rule is
// the first rule recorded.
func (p *Problems) AddRule(rule, field, format string, args ...any) {
	p.Add(field, format, args...)
	if p.rule == "" {
		p.rule = rule
	}
}

// Err returns nil when nothing was recorded, else an Invalid error.
func (p *Problems) Err() error {
	if len(p.fields) == 0 {
		return nil
	}
	keys := make([]string, 0, len(p.fields))
	for k := range p.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msg := "invalid " + strings.Join(keys, ", ")
	if len(keys) == 1 {
		msg = keys[0] + ": " + p.fields[keys[0]]
	}
	return &Error{Kind: Invalid, Message: msg, Fields: p.fields, Rule: p.rule}
}
