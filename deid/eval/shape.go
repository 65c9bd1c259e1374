package eval

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Shape describes a text by character classes only, so that misses can be
// listed without disclosing PHI: a run of upper-case letters is "A", a run
// of lower-case letters "a" (so "Ann" is "Aa", "SMITH" is "A", "mr.smith"
// is "a.a"), each digit is "9" ("3/14" is "9/99"), a run of white space is
// one space (a line break "\n"), and other characters are kept as they are
// (punctuation). Letters without case are "a". Long shapes are cut at 40
// bytes with "…".
func Shape(s string) string {
	var b strings.Builder
	last := byte(0)
	for _, r := range s {
		var c byte
		switch {
		case r == '\n' || r == '\r':
			c = '\n'
		case unicode.IsSpace(r):
			c = ' '
		case unicode.IsUpper(r):
			c = 'A'
		case unicode.IsLetter(r):
			c = 'a'
		case unicode.IsDigit(r):
			c = '9'
		case r < utf8.RuneSelf:
			c = byte(r)
		default:
			c = '~' // non-ASCII symbol
		}
		if (c == 'A' || c == 'a' || c == ' ' || c == '\n') && c == last {
			continue
		}
		if c == ' ' && last == '\n' || c == '\n' && last == ' ' {
			continue
		}
		last = c
		b.WriteByte(c)
		if b.Len() >= 40 {
			b.WriteString("…")
			break
		}
	}
	return strings.ReplaceAll(b.String(), "\n", `\n`)
}
