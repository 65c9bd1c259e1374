package evalset

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/deid/eval"
)

func TestDumpSample(t *testing.T) {
	if os.Getenv("EVALSET_DUMP") == "" {
		t.Skip("set EVALSET_DUMP=1 to print sample notes")
	}
	notes, _ := Generate(Split(os.Getenv("EVALSET_DUMP")), 12)
	for _, n := range notes {
		fmt.Printf("=== %s\n%s\n", n.ID, n.Text)
		for _, m := range n.Gold {
			fmt.Printf("  %s %s %q\n", m.Label, m.Cat, n.Text[m.Parts[0].Start:m.Parts[0].End])
		}
	}
}

func TestDeterministicAndSplitsDiffer(t *testing.T) {
	a, err := Generate(Dev, 50)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(Dev, 50)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs of the dev split differ")
	}
	h, _ := Generate(Heldout, 50)
	same := 0
	for i := range a {
		if a[i].Text == h[i].Text {
			same++
		}
	}
	if same > 0 {
		t.Fatalf("%d notes identical between dev and heldout", same)
	}
	if _, err := Generate("test", 1); err == nil {
		t.Fatal("unknown split accepted")
	}
}

// Every gold span is exactly the value the generator inserted; spans are in
// order, do not overlap, and are not blank.
func TestGoldSpansAreInsertedValues(t *testing.T) {
	for _, sp := range []Split{Dev, Heldout} {
		notes, vals, err := generate(sp, DefaultNotes)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for i, n := range notes {
			if len(n.Gold) != len(vals[i]) {
				t.Fatalf("%s: %d mentions, %d values", n.ID, len(n.Gold), len(vals[i]))
			}
			last := 0
			for k, m := range n.Gold {
				p := m.Parts[0]
				if got := n.Text[p.Start:p.End]; got != vals[i][k] {
					t.Fatalf("%s: span %d is %q, inserted %q", n.ID, k, got, vals[i][k])
				}
				if p.Start < last || strings.TrimSpace(vals[i][k]) == "" {
					t.Fatalf("%s: span %d overlaps or is blank", n.ID, k)
				}
				last = p.End
				total++
			}
		}
		if len(notes) < 1000 || total < 5000 {
			t.Fatalf("%s: %d notes, %d mentions", sp, len(notes), total)
		}
	}
}

// The set covers every core category and the shapes the issue lists.
func TestCoverage(t *testing.T) {
	notes, _ := Generate(Heldout, DefaultNotes)
	cats := map[eval.Category]int{}
	styles := map[string]int{}
	var all strings.Builder
	for _, n := range notes {
		for _, m := range n.Gold {
			cats[m.Cat]++
		}
		styles[n.ID[strings.LastIndexByte(n.ID, '-')+1:]]++
		all.WriteString(n.Text)
	}
	for _, c := range []eval.Category{eval.CatName, eval.CatAddress, eval.CatHospital, eval.CatZIP, eval.CatDate, eval.CatAge,
		eval.CatPhone, eval.CatFax, eval.CatEmail, eval.CatURL, eval.CatIP, eval.CatSSN, eval.CatID, eval.CatDevice,
		eval.CatProviderName, eval.CatAgeUnder90, eval.CatYear, eval.CatState} {
		if cats[c] < 10 {
			t.Errorf("category %s: only %d mentions", c, cats[c])
		}
	}
	if len(styles) != 6 {
		t.Errorf("styles %v", styles)
	}
	text := all.String()
	for _, s := range []string{"CPAP 5/5", "PSV 10/5", "PS 12/5/40%", "6-8 times", "4-5 L NC", "scale 1-10", "D5 1/2 NS",
		"3 1/2 hours", "pt. Alert", "Seen by Neuro", "Seen by RT", "ON NIPRIDE", "WITH APHASIA", "3 WAY FOLEY IN PLACE",
		"N TO ST", "ID: ", "\\H\\", "\\.br\\", "My name is", "pager #", "PG ", " ext. ", "lives in", "CABG '", "é", "-"} {
		if !strings.Contains(strings.ToLower(text), strings.ToLower(s)) {
			t.Errorf("no %q in the set", s)
		}
	}
}
