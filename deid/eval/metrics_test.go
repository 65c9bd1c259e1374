package eval

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/deid/text"
)

func TestAlign(t *testing.T) {
	for _, c := range []struct {
		in, out string
		want    []string // replaced input ranges
	}{
		{"no phi here", "no phi here", nil},
		{"Ann Smith is 92 yo", "[NAME] is [AGE] yo", []string{"Ann Smith", "92"}},
		{"call 555-0199", "call [PHONE]", []string{"555-0199"}},
		{"Ann seen 3/14", "[NAME] seen [DATE]", []string{"Ann", "3/14"}},
		{"x José Müller.", "x [NAME].", []string{"José Müller"}},
		{"a [NAME] b Bob", "a [NAME] b [NAME]", []string{"[NAME]", "Bob"}},
		// leftmost-shortest: the union is exact even if the split is not
		{"Ann Smith 3/14 ok", "[NAME] [DATE] ok", []string{"Ann", "Smith 3/14"}},
	} {
		spans, err := Align(c.in, c.out)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		var got []string
		for _, s := range spans {
			got = append(got, c.in[s.Start:s.End])
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q -> %q: got %q want %q", c.in, c.out, got, c.want)
		}
	}
	for _, c := range [][2]string{{"abc", "abd"}, {"abc", "[NAME]abc"}, {"ab", "ab[DATE]"}, {"abc", "abcd"}} {
		if _, err := Align(c[0], c[1]); err != ErrAlign {
			t.Errorf("%q -> %q: got %v, want ErrAlign", c[0], c[1], err)
		}
	}
}

func TestScrubDetectorMatchesScrub(t *testing.T) {
	s := text.New(text.Options{})
	in := "Seen by Dr. Jones on 03/14/2023. Call (312) 555-0199 or mail ann@example.org. BP 120/80."
	spans, err := ScrubDetector(s)(in)
	if err != nil {
		t.Fatal(err)
	}
	// rebuilding the output from the spans gives Scrub's output
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		b.WriteString(in[last:sp.Start])
		b.WriteString(sp.Label)
		last = sp.End
	}
	b.WriteString(in[last:])
	if want := s.ScrubString(in, nil, nil); b.String() != want {
		t.Fatalf("rebuilt %q\nwant    %q", b.String(), want)
	}
}

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-9 {
		if got == nil {
			t.Errorf("%s: nil, want %v", what, want)
		} else {
			t.Errorf("%s: %v, want %v", what, *got, want)
		}
	}
}

// A tiny note scored by hand.
func TestMetricsHandComputed(t *testing.T) {
	//          0         1         2         3         4         5
	//          0123456789012345678901234567890123456789012345678901234
	txt := "Ann Smith seen 3/14 by Dr Ng. CPAP 5/5. Call 555-0199 x12"
	mk := func(s, e int, label string, cat Category) Mention {
		return Mention{Parts: []Span{{Start: s, End: e, Label: label}}, Label: label, Cat: cat}
	}
	n := Note{ID: "n1", Text: txt, Gold: []Mention{
		mk(0, 9, "PATIENT", CatName),          // caught (2 tokens)
		mk(15, 19, "DATE", CatDate),           // caught "3" and "14"
		mk(26, 28, "DOCTOR", CatProviderName), // missed, non-core
		mk(45, 57, "PHONE", CatPhone),         // partial: "555-0199" caught, "x12" not
	}}
	det := []Span{
		{0, 9, "[NAME]"},
		{15, 19, "[DATE]"},
		{35, 38, "[DATE]"}, // CPAP 5/5: false alarm
		{45, 53, "[PHONE]"},
	}
	ev := NewEvaluator(Options{})
	ev.Add(n, det)
	r := ev.Report()
	// core: 3 mentions (name, date, phone), 2 caught
	if r.Core.GoldSpans != 3 || r.Core.CaughtSpans != 2 || r.Core.PartialSpans != 1 {
		t.Fatalf("core spans %+v", r.Core)
	}
	near(t, "core span recall", r.Core.SpanRecall, 2.0/3)
	// core tokens: Ann Smith 3 14 555 0199 x12 = 7, caught 6
	if r.Core.GoldTokens != 7 || r.Core.CaughtTokens != 6 {
		t.Fatalf("core tokens %d/%d", r.Core.CaughtTokens, r.Core.GoldTokens)
	}
	// detections: 4, correct 3; tokens detected: Ann Smith 3 14 5 5 555 0199 = 8, correct 6
	near(t, "core span precision", r.Core.SpanPrecision, 3.0/4)
	near(t, "core token precision", r.Core.TokenPrecision, 6.0/8)
	near(t, "core span F2", r.Core.SpanF2, F2(0.75, 2.0/3))
	date := r.Category(CatDate)
	if date.GoldSpans != 1 || date.CaughtSpans != 1 || date.DetectedSpans != 2 || date.CorrectSpans != 1 {
		t.Fatalf("date %+v", date)
	}
	near(t, "date precision", date.SpanPrecision, 0.5)
	near(t, "date F2", date.SpanF2, 5*0.5*1/(4*0.5+1))
	pn := r.Category(CatProviderName)
	if pn == nil || pn.Core || pn.GoldSpans != 1 || pn.CaughtSpans != 0 {
		t.Fatalf("provider %+v", pn)
	}
	// non-PHI tokens: seen by Dr CPAP 5 5 Call = 7 (Ng is gold); kept: all but 5 5
	if r.NonPHITokens != 7 || r.NonPHIKept != 5 {
		t.Fatalf("non-PHI %d/%d", r.NonPHIKept, r.NonPHITokens)
	}
	if len(r.Misses) != 2 || r.Misses[0].Shape != "Aa" || r.Misses[1].Shape != "999-9999 a99" || !r.Misses[1].Partial {
		t.Fatalf("misses %+v", r.Misses)
	}
	if m := r.Misses[1]; m.Start != 45 || m.End != 57 || m.Line != 1 || m.Col != 46 {
		t.Fatalf("miss position %+v", m)
	}
	if len(r.FalseAlarms) != 1 || r.FalseAlarms[0].Shape != "9/9" || r.FalseAlarms[0].Category != "date" {
		t.Fatalf("false alarms %+v", r.FalseAlarms)
	}
	// the report never holds note text unless asked
	b, _ := json.Marshal(r)
	for _, s := range []string{"Smith", "Ng", "0199", "CPAP"} {
		if strings.Contains(string(b), s) {
			t.Errorf("report contains %q", s)
		}
	}
	ev2 := NewEvaluator(Options{ShowText: true})
	ev2.Add(n, det)
	if r2 := ev2.Report(); r2.Misses[0].Text != "Ng" || !strings.Contains(r2.Misses[0].Context, "by Dr Ng.") {
		t.Fatalf("show text: %+v", r2.Misses[0])
	}
	// floors
	rec, _ := ParseFloors("0.9")
	prec, _ := ParseFloors("core=0.7,date=0.6")
	got := r.Check(rec, prec, 0.8)
	want := []string{"name recall", "date", "phone recall", "date precision 0.5000 below floor 0.600", "non-PHI token retention"}
	if len(got) != 3 || !strings.HasPrefix(got[0], "phone recall 0.0000 below floor 0.900") || got[1] != want[3] || !strings.HasPrefix(got[2], want[4]) {
		t.Fatalf("check: %q", got)
	}
}

func TestShape(t *testing.T) {
	for in, want := range map[string]string{
		"Ann Smith": "Aa Aa", "SMITH": "A", "mr.smith": "a.a", "3/14": "9/99", "03MAR1951": "99A9999",
		"José\nMüller": `Aa\nAa`, "(312) 555- 0199": "(999) 999- 9999", "'98": "'99",
	} {
		if got := Shape(in); got != want {
			t.Errorf("Shape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		cat  Category
		text string
		want Category
	}{
		{CatAge, "92", CatAge}, {CatAge, "89", CatAgeUnder90}, {CatAge, "ninety-two", CatAge},
		{CatAge, "forty", CatAgeUnder90}, {CatAge, "one hundred and one", CatAge}, {CatAge, "old", CatAge},
		{CatDate, "2019", CatYear}, {CatDate, "'98", CatYear}, {CatDate, "3/14", CatDate}, {CatDate, "04/19", CatDate},
	} {
		if got := Classify(c.cat, c.text); got != c.want {
			t.Errorf("Classify(%s, %q) = %s, want %s", c.cat, c.text, got, c.want)
		}
	}
}
