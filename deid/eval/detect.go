package eval

import (
	"errors"

	"github.com/safeharbor/safeharbor/deid/text"
)

// Detector finds PHI in a note text and returns the detected spans in byte
// offsets, each labelled with its tag ("[NAME]", "[DATE]", ...).
type Detector func(text string) ([]Span, error)

// ScrubDetector returns a [Detector] that runs s.Scrub and aligns its tagged
// output back to the input: the output is the input with some ranges
// replaced by tags, so matching the output as a pattern in which every tag
// stands for one or more input bytes recovers the replaced ranges. It needs
// nothing from the scrubber beyond Scrub, so it works with any version.
//
// When the same literal text follows a replacement both inside and after
// the replaced range, the leftmost-shortest alignment is taken; the union of
// the detected ranges is then still exact, only the split between two
// adjacent tags may be off. A tag already present in the input is matched
// as a replacement of itself (and so counted as a detection).
func ScrubDetector(s *text.Scrubber) Detector {
	return func(t string) ([]Span, error) {
		out := s.Scrub(make([]byte, 0, len(t)+64), []byte(t), nil, nil)
		return Align(t, string(out))
	}
}

// ErrAlign reports that a scrubber's output is not its input with ranges
// replaced by tags.
var ErrAlign = errors.New("scrubbed output does not align with the input (it changed text outside tags)")

// tags recognised in scrubbed output, longest first where prefixes overlap.
var alignTags = []string{"[NAME]", "[ADDRESS]", "[ZIP]", "[DATE]", "[AGE]", "[PHONE]", "[FAX]",
	"[EMAIL]", "[SSN]", "[ID]", "[DEVICE]", "[URL]", "[IP]", "[BIOMETRIC]", "[PHOTO]", "[HOSPITAL]", "[LOCATION]"}

// Align recovers the replaced ranges of in from out, the scrubbed text (see
// [ScrubDetector]).
func Align(in, out string) ([]Span, error) {
	// pattern: byte values, or -(k+1) for the k-th tag
	pat := make([]int32, 0, len(out))
	var tags []string
	for j := 0; j < len(out); {
		if out[j] == '[' {
			if t := tagAtStr(out, j); t != "" {
				pat = append(pat, -int32(len(tags)+1))
				tags = append(tags, t)
				j += len(t)
				continue
			}
		}
		pat = append(pat, int32(out[j]))
		j++
	}
	if len(tags) == 0 {
		if in != out {
			return nil, ErrAlign
		}
		return nil, nil
	}
	start := make([]int, len(tags))
	end := make([]int, len(tags))
	// glob matching, each tag matching one or more bytes, leftmost-shortest,
	// backtracking to the last tag only (sufficient for glob patterns)
	p, t := 0, 0
	star, starT := -1, 0
	n, m := len(in), len(pat)
	for t < n || p < m {
		if p < m && pat[p] < 0 {
			if t >= n {
				return nil, ErrAlign
			}
			k := int(-pat[p] - 1)
			star, starT = p, t
			start[k], end[k] = t, t+1
			p++
			t++
			continue
		}
		if p < m && t < n && pat[p] == int32(in[t]) {
			p++
			t++
			continue
		}
		if star < 0 || starT+1 >= n {
			return nil, ErrAlign
		}
		starT++
		k := int(-pat[star] - 1)
		end[k] = starT + 1
		t = starT + 1
		p = star + 1
	}
	spans := make([]Span, len(tags))
	for k, tg := range tags {
		spans[k] = Span{Start: start[k], End: end[k], Label: tg}
	}
	return spans, nil
}

func tagAtStr(s string, j int) string {
	for _, t := range alignTags {
		if len(s)-j >= len(t) && s[j:j+len(t)] == t {
			return t
		}
	}
	return ""
}
