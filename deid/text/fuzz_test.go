package text

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var corpusDir = filepath.Join("..", "..", "..", "shared", "corpus")

var divRe = regexp.MustCompile(`"div"\s*:\s*"((?:[^"\\]|\\.)*)"`)

// corpusSnippets returns free-text snippets from the shared corpus: NTE-3
// and text OBX-5 values of HL7v2 files and FHIR narrative divs.
func corpusSnippets(limit int) []string {
	var out []string
	hl7, _ := filepath.Glob(filepath.Join(corpusDir, "*", "hl7v2", "*.hl7"))
	more, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.hl7"))
	hl7 = append(hl7, more...)
	for _, p := range hl7 {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		s := bufio.NewScanner(f)
		s.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for s.Scan() {
			for _, line := range strings.Split(s.Text(), "\r") {
				fs := strings.Split(line, "|")
				switch {
				case fs[0] == "NTE" && len(fs) > 3:
					out = append(out, fs[3])
				case fs[0] == "OBX" && len(fs) > 5 && (fs[2] == "TX" || fs[2] == "FT" || fs[2] == "ST"):
					out = append(out, fs[5])
				}
			}
		}
		f.Close()
	}
	js, _ := filepath.Glob(filepath.Join(corpusDir, "fhir-r4-spec-examples", "*.json"))
	for _, p := range js {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, m := range divRe.FindAllSubmatch(b, -1) {
			out = append(out, string(m[1]))
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func TestCorpusSnippets(t *testing.T) {
	snips := corpusSnippets(1 << 20)
	if len(snips) == 0 {
		t.Skipf("shared corpus not found at %s", corpusDir)
	}
	for _, s := range snips {
		checkInvariants(t, []byte(s), nil)
	}
	t.Logf("%d corpus snippets checked", len(snips))
}

func checkInvariants(t *testing.T, in []byte, k *Known) {
	t.Helper()
	var c Counts
	out := sc.Scrub(nil, in, k, &c)
	if len(out) > len(in)+(MaxTagLen-1)*c.Total() {
		t.Fatalf("bound: len(out)=%d len(in)=%d replacements=%d", len(out), len(in), c.Total())
	}
	if utf8.Valid(in) && !utf8.Valid(out) {
		t.Fatalf("invalid UTF-8 out for %q: %q", in, out)
	}
	var c2 Counts
	out2 := sc.Scrub(nil, out, k, &c2)
	if string(out2) != string(out) {
		t.Fatalf("not idempotent:\nin  %q\n1   %q\n2   %q", in, out, out2)
	}
}

func FuzzScrub(f *testing.F) {
	for _, s := range corpusSnippets(300) {
		f.Add(s)
	}
	for _, s := range noteSamples()[:5] {
		f.Add(s)
	}
	for _, s := range []string{
		"Dr. Smith saw Mr. John Q. Public (DOB 01/02/1934, 92 yo) on March 4, 2021.",
		"call (555) 555-1212 x12 or fax 555.555.1313; john@x.org http://a.b/c 10.0.0.1 fe80::1",
		"MRN: 12345678 acct #A-9981 SSN 123-45-6789 zip 02139 Boston, MA 02139-1234",
		"Hemoglobin 13.2 g/dL, BP 120/80, LOINC 2345-7, ICD-10 E11.9, 10:30, 2021",
		"123 Main St. Apt 4B, PO Box 77, 45 Oak Avenue #3",
		"[NAME] [DATE]-2021 [ID].5 [AGE]yo",
		"son bob, DAUGHTER ANN, wife, Ann, SISTER,ANN; sons Mark, Luke and John; mr smith MS SMITH mr.jones",
		"Ann Smith is a 70 yr old. My name is José Pérez. Sm\\H\\ith \\H\\Maria\\N\\ Lee\\.br\\Kim",
		"s/p dialysis 3/14 (3/14)\n3/14 stent 04/19 CABG '98 march 3 03MAR1951 CPAP 5/5 PS 12/5/40% D5 1/2 NS",
		"312- 555- 0199 (312 555 0199) 312/555-0199 x123 ext. 12 pager #12345 PG 12345",
		"92 s/p hip fx\n94F with ninety-two year old one hundred and one yo",
		"lives in Framingham; transferred to GH from St. Elsewhere; Lowell General Hospital; MOUNT AUBURN HOSPITAL",
		"12 Elm Street\nApt 4B\nSpringfield, IL 62701\n3 WAY FOLEY IN PLACE\nID: recommends vanco",
	} {
		f.Add(s)
	}
	var k Known
	k.Add(Name, "Smith^John^Q")
	k.Add(Phone, "555-555-1212")
	k.Add(Date, "19340102")
	k.Add(MRN, "12345678")
	k.Add(Address, "123 Main St")
	f.Fuzz(func(t *testing.T, s string) {
		checkInvariants(t, []byte(s), nil)
		checkInvariants(t, []byte(s), &k)
	})
}

func BenchmarkScrub(b *testing.B) {
	note := genNotes(4096, 42)
	s := New(Options{})
	var k Known
	k.Add(Name, "Smith")
	k.Add(Name, "Mary")
	k.Add(MRN, "0012345")
	k.Add(Phone, "617-555-0100")
	k.Add(Date, "19600101")
	dst := make([]byte, 0, 2*len(note))
	var c Counts
	b.SetBytes(int64(len(note)))
	b.ReportAllocs()
	for b.Loop() {
		dst = s.Scrub(dst[:0], note, &k, &c)
	}
}

func BenchmarkScrubNoKnown(b *testing.B) {
	note := genNotes(4096, 42)
	s := New(Options{})
	dst := make([]byte, 0, 2*len(note))
	b.SetBytes(int64(len(note)))
	b.ReportAllocs()
	for b.Loop() {
		dst = s.Scrub(dst[:0], note, nil, nil)
	}
}
