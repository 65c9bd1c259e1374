package fhir

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParse checks that Parse never panics and that what it accepts
// serializes to JSON that parses again and serializes identically. Walk
// must not panic either.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Patient","birthDate":"1970","_birthDate":{"extension":[{"url":"u","valueDateTime":"1970"}]},"name":[{"given":["a","b"],"_given":[null,{"id":"x"}]}]}`))
	f.Add([]byte(`[1,-0.5e+3,"\u00e9\ud83d\ude00",true,false,null,{}]`))
	if dir := corpusDirOrEmpty(); dir != "" {
		for _, p := range corpusFilesNoTB(dir) {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("error type %T", err)
			}
			return
		}
		out := v.AppendJSON(nil)
		v2, err := Parse(out)
		if err != nil {
			t.Fatalf("reparse of own output failed: %v", err)
		}
		out2 := v2.AppendJSON(nil)
		if !bytes.Equal(out, out2) {
			t.Fatalf("serialization not stable")
		}
		n := 0
		Walk(v2, func(e *Elem) Action {
			n++
			if n%7 == 3 {
				return Remove
			}
			return Continue
		})
		if _, err := Parse(v2.AppendJSON(nil)); err != nil {
			t.Fatalf("output after removals does not parse: %v", err)
		}
	})
}
