package evalset

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/deid/eval"
	"github.com/safeharbor/safeharbor/deid/text"
)

func evaluate(t testing.TB, split Split) *eval.Report {
	notes, err := Generate(split, DefaultNotes)
	if err != nil {
		t.Fatal(err)
	}
	det := eval.ScrubDetector(text.New(text.Options{}))
	ev := eval.NewEvaluator(eval.Options{})
	for _, n := range notes {
		spans, err := det(n.Text)
		if err != nil {
			t.Fatalf("%s: %v", n.ID, err)
		}
		ev.Add(n, spans)
	}
	return ev.Report()
}

// floor is one line of testdata/floors.txt.
type floor struct {
	cat               string
	recall, precision float64 // -1: not checked
}

// readFloors reads "category recall precision" lines ("-" = not checked);
// "retention" names the non-PHI token retention.
func readFloors(t *testing.T) []floor {
	f, err := os.Open("testdata/floors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []floor
	sc := bufio.NewScanner(f)
	for ln := 1; sc.Scan(); ln++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' {
			continue
		}
		fs := strings.Fields(l)
		if len(fs) != 3 {
			t.Fatalf("floors.txt:%d: want category recall precision", ln)
		}
		num := func(s string) float64 {
			if s == "-" {
				return -1
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("floors.txt:%d: %v", ln, err)
			}
			return v
		}
		out = append(out, floor{fs[0], num(fs[1]), num(fs[2])})
	}
	return out
}

// The current engine meets the per-category floors on the held-back split.
// The floors are data (testdata/floors.txt), recorded from the engine as
// measured; they are raised as the detector improves, never lowered to pass.
func TestHeldoutFloors(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	r := evaluate(t, Heldout)
	for _, f := range readFloors(t) {
		if f.cat == "retention" {
			if r.NonPHIRetention == nil || *r.NonPHIRetention < f.recall {
				t.Errorf("non-PHI retention %s below floor %.3f", fmtp(r.NonPHIRetention), f.recall)
			}
			continue
		}
		c := &r.Core
		if f.cat != "core" {
			c = r.Category(eval.Category(f.cat))
		}
		if c == nil {
			t.Errorf("%s: not measured", f.cat)
			continue
		}
		if f.recall >= 0 && (c.SpanRecall == nil || *c.SpanRecall < f.recall) {
			t.Errorf("%s: span recall %s below floor %.3f", f.cat, fmtp(c.SpanRecall), f.recall)
		}
		if f.precision >= 0 && (c.SpanPrecision == nil || *c.SpanPrecision < f.precision) {
			t.Errorf("%s: span precision %s below floor %.3f", f.cat, fmtp(c.SpanPrecision), f.precision)
		}
	}
}

func fmtp(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*v, 'f', 4, 64)
}

// TestPrintScores prints the scores of both splits (go test -run PrintScores -v
// with EVALSET_SCORES=1).
func TestPrintScores(t *testing.T) {
	if os.Getenv("EVALSET_SCORES") == "" {
		t.Skip("set EVALSET_SCORES=1")
	}
	for _, sp := range []Split{Dev, Heldout} {
		r := evaluate(t, sp)
		t.Logf("=== %s", sp)
		var b strings.Builder
		r.WriteText(&b, 25)
		t.Log("\n" + b.String())
	}
}
