package eval

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Span is a range of a note's text in byte offsets (End exclusive) with a
// label: a detected span (Label is the detector's tag, "[NAME]") or one part
// of a gold mention.
type Span struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Label string `json:"label"`
}

// Mention is one gold PHI mention: one or more parts (BRAT discontinuous
// spans have several), its label as written and its category.
type Mention struct {
	Parts []Span
	Label string
	Cat   Category
	// Line is the line of the annotation in its source file (0 if unknown).
	Line int
}

// Note is one annotated note.
type Note struct {
	// ID names the note in reports: the file name, or file:line for JSONL.
	ID string
	// Text is the note text (UTF-8).
	Text string
	// Gold are the gold mentions, in source order.
	Gold []Mention
}

// Error is a malformed-input error with its position. Its message never
// contains note text.
type Error struct {
	File string
	Line int // 1-based; 0 when the error concerns the whole file
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

func errAt(file string, line int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// runeIndex converts character (code point) offsets of a text to byte
// offsets.
type runeIndex struct {
	off []int // off[k] = byte offset of character k; off[len] = len(text)
}

func newRuneIndex(text string) runeIndex {
	off := make([]int, 0, len(text)+1)
	for i := range text { // invalid bytes count as one character each, like U+FFFD
		off = append(off, i)
	}
	off = append(off, len(text))
	return runeIndex{off: off}
}

// chars is the number of characters of the text.
func (x runeIndex) chars() int { return len(x.off) - 1 }

// byteOff returns the byte offset of character offset c.
func (x runeIndex) byteOff(c int) (int, bool) {
	if c < 0 || c >= len(x.off) {
		return 0, false
	}
	return x.off[c], true
}

// charOff returns the character offset of byte offset b (the character that
// contains b when b is inside a multi-byte character).
func charOff(text string, b int) int {
	if b > len(text) {
		b = len(text)
	}
	return utf8.RuneCountInString(text[:b])
}

// sameText compares a stated span text with the note text at the span,
// ignoring differences in white space (XML attributes turn newlines into
// spaces; BRAT joins discontinuous parts with a space).
func sameText(stated, actual string) bool {
	return strings.Join(strings.Fields(stated), " ") == strings.Join(strings.Fields(actual), " ")
}

// addMention validates character offsets [s,e) pairs, converts them to byte
// offsets and appends the mention to n.
func (n *Note) addMention(x runeIndex, file string, line int, label, elem string, ranges [][2]int, stated *string, unknown map[string]int) error {
	if len(ranges) == 0 {
		return errAt(file, line, "annotation without offsets")
	}
	m := Mention{Label: label, Line: line}
	var parts []string
	for _, r := range ranges {
		if r[0] < 0 || r[1] < r[0] {
			return errAt(file, line, "bad offsets %d-%d (start must be ≥ 0 and ≤ end)", r[0], r[1])
		}
		if r[1] > x.chars() {
			return errAt(file, line, "offsets %d-%d beyond the end of the text (%d characters)", r[0], r[1], x.chars())
		}
		bs, _ := x.byteOff(r[0])
		be, _ := x.byteOff(r[1])
		m.Parts = append(m.Parts, Span{Start: bs, End: be, Label: label})
		parts = append(parts, n.Text[bs:be])
	}
	if stated != nil && !sameText(*stated, strings.Join(parts, " ")) {
		return errAt(file, line, "the annotation's text does not match the note text at offsets %d-%d (offsets must count characters, not bytes)", ranges[0][0], ranges[len(ranges)-1][1])
	}
	c, ok := lookupLabel(elem, label)
	if !ok {
		c = CatOther
		if unknown != nil {
			key := label
			if elem != "" {
				key = elem + ":" + label
			}
			unknown[key]++
		}
	}
	m.Cat = Classify(c, strings.Join(parts, " "))
	n.Gold = append(n.Gold, m)
	return nil
}
