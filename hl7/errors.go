package hl7

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel error classes. Every error returned by this package wraps one of
// them (test with errors.Is) and none ever contains message content.
var (
	ErrNoMSH          = errors.New("hl7: message does not start with an MSH segment")
	ErrTruncated      = errors.New("hl7: MSH header is truncated")
	ErrBadDelimiters  = errors.New("hl7: invalid encoding characters in MSH-1/MSH-2")
	ErrBadSegmentName = errors.New("hl7: segment name is not three letters or digits")
	ErrTooLarge       = errors.New("hl7: message exceeds the size limit")
	ErrBadPath        = errors.New("hl7: invalid path")
	ErrNoSegment      = errors.New("hl7: no such segment")
	ErrReadOnly       = errors.New("hl7: MSH-1 and MSH-2 cannot be changed")
	ErrFrame          = errors.New("hl7: invalid MLLP frame")
	ErrFrameTooLarge  = errors.New("hl7: MLLP frame exceeds the size limit")
	ErrFrameTruncated = errors.New("hl7: MLLP frame not terminated before end of stream")
	ErrEmpty          = errors.New("hl7: empty input")
)

// Error describes where a problem is without quoting the data: a byte offset,
// a 1-based message index within a stream, a 1-based segment index and name,
// or the path that was asked for. Path and segment names are structure, not content.
type Error struct {
	Kind    error  // one of the sentinel errors above
	Offset  int    // byte offset in the input, or -1 when not applicable
	Message int    // 1-based message index within a stream, 0 when not applicable
	Segment int    // 1-based segment index within the message, 0 when not applicable
	SegName string // segment name when known (three characters, validated)
	Path    string // the path that was asked for, when the error is about a path
	Detail  string // a fixed, content-free explanation
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	sep := " ("
	add := func(k, v string) {
		b.WriteString(sep)
		b.WriteString(k)
		b.WriteString(" ")
		b.WriteString(v)
		sep = ", "
	}
	if e.Message > 0 {
		add("message", strconv.Itoa(e.Message))
	}
	if e.Segment > 0 {
		s := strconv.Itoa(e.Segment)
		if e.SegName != "" {
			s += " " + e.SegName
		}
		add("segment", s)
	}
	if e.Path != "" {
		add("path", e.Path)
	}
	if e.Offset >= 0 {
		add("byte offset", strconv.Itoa(e.Offset))
	}
	if sep == ", " {
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the error class.
func (e *Error) Unwrap() error { return e.Kind }

func errAt(kind error, off int, detail string) *Error {
	return &Error{Kind: kind, Offset: off, Detail: detail}
}

// safeSegName returns name if it is a valid segment name (and so carries no
// content), or "" otherwise.
func safeSegName(name []byte) string {
	if validSegName(name) {
		return string(name)
	}
	return ""
}
