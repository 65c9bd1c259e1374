package text

import (
	"fmt"
	"testing"
)

// Spans and Scrub agree: Scrub replaces exactly the spans, in order.
func TestSpansMatchScrub(t *testing.T) {
	for _, s := range append(noteSamples(), "Sm\\H\\ith and \\H\\Maria\\N\\ Lopez called 3/14 from 312- 555- 0199") {
		spans := sc.Spans([]byte(s), nil, nil)
		var b []byte
		last := 0
		for k, sp := range spans {
			if sp.Start < last || sp.End <= sp.Start || sp.End > len(s) || sp.Cat >= NumCategories {
				t.Fatalf("span %d %+v bad (last %d) in %q", k, sp, last, s)
			}
			b = append(b, s[last:sp.Start]...)
			b = append(b, sp.Cat.Tag()...)
			last = sp.End
		}
		b = append(b, s[last:]...)
		if got := sc.ScrubString(s, nil, nil); got != string(b) {
			t.Errorf("Scrub and Spans differ:\n%q\n%q", got, b)
		}
	}
}

// HL7 formatting escapes inside a name do not leave half of it.
func TestFormatEscapes(t *testing.T) {
	runTable(t, []tcase{
		{"Sm\\H\\ith called", "[NAME] called"},
		{"daughter \\H\\Maria\\N\\ visited", "daughter \\H\\[NAME]\\N\\ visited"},
		{"\\.sp\\ no phi here \\.br\\", "\\.sp\\ no phi here \\.br\\"},
		{"lone \\ backslash", "lone \\ backslash"},
	})
}

func ExampleScrubber_Spans() {
	s := New(Options{})
	text := []byte("Daughter Ann called 312- 555- 0199 on 3/14.")
	for _, sp := range s.Spans(text, nil, nil) {
		fmt.Printf("%d-%d %s %q\n", sp.Start, sp.End, sp.Cat, text[sp.Start:sp.End])
	}
	// Output:
	// 9-12 name "Ann"
	// 20-34 phone "312- 555- 0199"
	// 38-42 date "3/14"
}
