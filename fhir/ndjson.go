package fhir

import (
	"bufio"
	"bytes"

	"io"
	"strconv"
)

// LineTooLongError reports an NDJSON line longer than the reader's limit.
type LineTooLongError struct {
	Line int // 1-based line number
	Max  int // the limit in bytes
}

// Error implements error.
func (e *LineTooLongError) Error() string {
	return "fhir: ndjson line " + strconv.Itoa(e.Line) + " exceeds " + strconv.Itoa(e.Max) + " bytes"
}

// LineError wraps an error from one NDJSON line with its 1-based number.
type LineError struct {
	Line int
	Err  error
}

// Error implements error.
func (e *LineError) Error() string {
	return "fhir: ndjson line " + strconv.Itoa(e.Line) + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }

// SplitNDJSON calls fn for each non-blank line of NDJSON data (as in FHIR
// Bulk Data files) with its 1-based line number and bytes, without the
// line terminator ("\n" or "\r\n"). A leading UTF-8 BOM is ignored. It
// stops at the first error from fn and returns it wrapped in *LineError.
func SplitNDJSON(data []byte, fn func(line int, raw []byte) error) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for n := 1; len(data) > 0; n++ {
		var ln []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			ln, data = data[:i], data[i+1:]
		} else {
			ln, data = data, nil
		}
		ln = bytes.TrimSuffix(ln, []byte{'\r'})
		if isBlank(ln) {
			continue
		}
		if err := fn(n, ln); err != nil {
			return &LineError{Line: n, Err: err}
		}
	}
	return nil
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// NDJSONReader reads NDJSON lines from a stream with bounded memory.
type NDJSONReader struct {
	r    *bufio.Reader
	max  int
	line int
	buf  []byte
	bom  bool
}

// DefaultMaxLine is the NDJSONReader line limit used when none is given.
const DefaultMaxLine = 64 << 20

// NewNDJSONReader returns a reader of r whose lines may be at most maxLine
// bytes (DefaultMaxLine if maxLine <= 0).
func NewNDJSONReader(r io.Reader, maxLine int) *NDJSONReader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &NDJSONReader{r: bufio.NewReaderSize(r, 64<<10), max: maxLine}
}

// Next returns the next non-blank line and its 1-based number. The bytes
// are valid until the next call. At the end it returns io.EOF; a line
// over the limit gives *LineTooLongError (the reader then skips it, so
// reading may go on).
func (d *NDJSONReader) Next() (line int, raw []byte, err error) {
	for {
		d.line++
		d.buf = d.buf[:0]
		tooLong := false
		for {
			chunk, err := d.r.ReadSlice('\n')
			if !tooLong {
				if len(d.buf)+len(chunk) > d.max+2 { // allow "\r\n"
					tooLong = true
					d.buf = d.buf[:0]
				} else {
					d.buf = append(d.buf, chunk...)
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil && err != io.EOF {
				return d.line, nil, err
			}
			if err == io.EOF && len(d.buf) == 0 && !tooLong {
				return d.line, nil, io.EOF
			}
			break
		}
		ln := bytes.TrimSuffix(bytes.TrimSuffix(d.buf, []byte{'\n'}), []byte{'\r'})
		if !d.bom {
			d.bom = true
			ln = bytes.TrimPrefix(ln, []byte("\xef\xbb\xbf"))
		}
		if tooLong || len(ln) > d.max {
			return d.line, nil, &LineTooLongError{Line: d.line, Max: d.max}
		}
		if isBlank(ln) {
			continue
		}
		return d.line, ln, nil
	}
}
