package eval

import (
	"strings"
	"testing"
)

// Every parser returns a note or an error, never panics, and every gold
// part it returns lies inside the text on character boundaries.
func checkNote(t *testing.T, n Note) {
	for _, m := range n.Gold {
		for _, p := range m.Parts {
			if p.Start < 0 || p.End < p.Start || p.End > len(n.Text) {
				t.Fatalf("part %d-%d outside text of %d bytes", p.Start, p.End, len(n.Text))
			}
			if p.Start < len(n.Text) && !isRuneStart(n.Text, p.Start) || p.End < len(n.Text) && !isRuneStart(n.Text, p.End) {
				t.Fatalf("part %d-%d not on character boundaries", p.Start, p.End)
			}
		}
	}
	// scoring any detections never panics
	ev := NewEvaluator(Options{ShowText: true})
	ev.Add(n, []Span{{Start: -3, End: 2, Label: "[NAME]"}, {Start: len(n.Text) / 2, End: len(n.Text) + 5, Label: "[X]"}})
	ev.Report()
}

func isRuneStart(s string, i int) bool { return s[i]&0xC0 != 0x80 }

func FuzzParseBRAT(f *testing.F) {
	f.Add([]byte(accText), []byte("T1\tPATIENT 3 7;8 14\tJosé Müller\nT2\tDATE 32 36\t3/14\n"))
	f.Add([]byte("abc"), []byte("T1\tNAME 0 3\tabc\nR1\tx\n#1\tnote\n"))
	f.Add([]byte("a\u00e9b"), []byte("T1\tNAME 1 2\t\u00e9"))
	f.Add([]byte("abc"), []byte("T1\tNAME 0 1;;2 3\ta c"))
	f.Fuzz(func(t *testing.T, text, ann []byte) {
		n, err := ParseBRAT("f.txt", text, "f.ann", ann, map[string]int{})
		if err == nil {
			checkNote(t, n)
		}
	})
}

func FuzzParseI2B2(f *testing.F) {
	f.Add([]byte(`<deIdi2b2><TEXT><![CDATA[Pt José seen 3/14]]></TEXT><TAGS><NAME id="P0" start="3" end="7" text="José" TYPE="PATIENT" comment=""/><DATE id="P1" start="13" end="17" text="3/14" TYPE="DATE"/></TAGS></deIdi2b2>`))
	f.Add([]byte(`<deIdi2b2><TEXT>a&amp;b</TEXT><TAGS><AGE start="0" end="1" TYPE="AGE"/></TAGS></deIdi2b2>`))
	f.Add([]byte(`<r><TEXT><![CDATA[x]]><![CDATA[y]]></TEXT><TAGS><X start="-1" end="x"/></TAGS></r>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseI2B2("f.xml", data, map[string]int{})
		if err == nil {
			checkNote(t, n)
		}
	})
}

func FuzzParseJSONL(f *testing.F) {
	f.Add([]byte(`{"id":"n1","text":"Pt José Müller seen 3/14","spans":[{"start":3,"end":14,"label":"PATIENT","text":"José Müller"},{"start":20,"end":24,"label":"DATE"}]}` + "\n"))
	f.Add([]byte(`{"text":"age 92","spans":[{"start":4,"end":6,"label":"AGE"}]}` + "\n\n{\"text\":\"\"}"))
	f.Add([]byte(`{"text":"\ud800x","spans":[{"start":0,"end":1,"label":"NAME"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := ParseJSONL("f.jsonl", data, map[string]int{}, func(n Note) error {
			checkNote(t, n)
			return nil
		})
		if err != nil && !strings.HasPrefix(err.Error(), "f.jsonl:") {
			t.Fatalf("error without position: %v", err)
		}
	})
}

func FuzzAlign(f *testing.F) {
	f.Add("Ann Smith seen 3/14", "[NAME] seen [DATE]")
	f.Add("abc", "[ID]")
	f.Add("a[b", "[NAME][DATE]")
	f.Fuzz(func(t *testing.T, in, out string) {
		spans, err := Align(in, out)
		if err != nil {
			return
		}
		last := 0
		for _, s := range spans {
			if s.Start < last || s.End <= s.Start || s.End > len(in) {
				t.Fatalf("bad span %+v (last %d, len %d)", s, last, len(in))
			}
			last = s.End
		}
	})
}
