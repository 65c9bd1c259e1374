package leakguard_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/deid/leakguard"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/synth"
)

var testKey = []byte("leakguard-test-key-0123456789abcdef!")

func newEngine(t testing.TB, p deid.Profile) *deid.Engine {
	t.Helper()
	e, err := deid.New(deid.Config{Key: testKey, Profile: p})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// knownLeakShapes are engine leaks this property test finds today, which
// issue #16 (structured fail-closed: HL7v2 and FHIR helpers) is fixing.
// Each is a pattern over "category source -> where" (indexes removed) and
// the precise engine shape; the test fails on any other hit. The guard
// refuses these records in `run` and `deid` meanwhile. Keep it minimal.
var knownLeakShapes = []struct{ pattern, why string }{
	{`^\S+ \S+ -> (entry\.)?request\.url$`,
		"FHIR Bundle.entry.request.url keeps original resource ids and search parameters (issue #16 item 1)"},
	{`^date OBX-5 -> OBX-5$`,
		"HL7v2 OBX-5 of coded types (CE/CWE) keeps full dates, e.g. CWE-7 (issue #16 item 2)"},
	{`^identifier (SAC-2|SAC-4|SPM-2|SPM-3) -> SAC-(2|4)$`,
		"HL7v2 SAC-2 (accession id) and SAC-4 (primary container id) are kept while SAC-3 is pseudonymised (hl7Segments table)"},
	{`^name PID-6 -> TXA-5$`,
		"HL7v2 kept XCN text: a name written whole in one component (TXA-5 \"John Smith\") is not scrubbed of known names (issue #16 item 2)"},
	{`^(phone|zip) PID-1[13] -> ORC-2[234]$`,
		"HL7v2 ORC-22/23/24 (ordering facility address and phone, ordering provider address) are kept; in self-test ELR they are the patient's"},
	{`^address (PID-11|Address) -> (GT1-5|GT1-17|IN1-19|IN1-44|(entry\.resource\.)?address\.state)$`,
		"XAD-4 / Address.state is kept whatever it holds: an address with shifted components puts the city (FOWL) in the state position"},
}

var knownRe = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(knownLeakShapes))
	for i, k := range knownLeakShapes {
		out[i] = regexp.MustCompile(k.pattern)
	}
	return out
}()

// known returns why a shape is a known engine leak, or "".
func known(sh string) string {
	for i, re := range knownRe {
		if re.MatchString(sh) {
			return knownLeakShapes[i].why
		}
	}
	return ""
}

// shape names a hit without its value.
func shape(h *leakguard.Hit) string {
	return h.Category.String() + " " + h.Source + " -> " + indexes.ReplaceAllString(h.Where, "")
}

var indexes = regexp.MustCompile(`\[[0-9]+\]`)

type propRun struct {
	t       *testing.T
	eng     *deid.Engine
	set     leakguard.Set
	checked int
	shapes  map[string]int
	where   map[string]string // first input per shape
}

func newPropRun(t *testing.T, p deid.Profile) *propRun {
	return &propRun{t: t, eng: newEngine(t, p), shapes: map[string]int{}, where: map[string]string{}}
}

func (r *propRun) shift(res deid.Result) {
	if days, ok := r.eng.DateShift(res); ok {
		r.set.SetDateShift(days)
	}
}

// hl7 de-identifies one message and checks its output.
func (r *propRun) hl7(name string, data []byte) {
	m, err := hl7.Parse(data)
	if err != nil {
		return
	}
	r.set.Reset()
	r.set.HarvestHL7(m)
	res, err := r.eng.HL7(m, nil)
	if err != nil {
		return
	}
	r.shift(res)
	r.check(name, m.Bytes(), leakguard.HL7)
}

// fhir de-identifies one resource and checks its output.
func (r *propRun) fhir(name string, data []byte) {
	v, err := fhir.Parse(data)
	if err != nil {
		return
	}
	r.set.Reset()
	r.set.HarvestFHIR(v)
	res, err := r.eng.FHIR(v, nil)
	if err != nil {
		return
	}
	r.shift(res)
	r.check(name, v.AppendJSON(nil), leakguard.JSON)
}

func (r *propRun) check(name string, out []byte, syn leakguard.Syntax) {
	r.checked++
	r.set.FindAll(out, syn, func(h *leakguard.Hit) bool {
		// the error names where, never what: the matched token is not in it
		end := h.Offset
		for end < len(out) && (out[end] >= '0' && out[end] <= '9' || out[end]|0x20 >= 'a' && out[end]|0x20 <= 'z' || out[end] >= 0x80) {
			end++
		}
		if tok := strings.ToLower(string(out[h.Offset:end])); len(tok) >= 4 && strings.Contains(strings.ToLower(h.Error()), tok) {
			r.t.Errorf("%s: a hit's error carries the value it found (%d bytes)", name, len(tok))
		}
		sh := shape(h)
		r.shapes[sh]++
		if _, seen := r.where[sh]; !seen {
			r.where[sh] = name
			if os.Getenv("SAFEHARBOR_DEBUG_ORACLE") != "" {
				r.t.Logf("debug (synthetic/public data) %s in %s: …%q…", sh, name, out[max(0, h.Offset-60):min(len(out), h.Offset+40)])
			}
		}
		return true
	})
}

func (r *propRun) report() {
	keys := make([]string, 0, len(r.shapes))
	for k := range r.shapes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if why := known(k); why != "" {
			r.t.Logf("known engine leak (%s): %s ×%d (first in %s)", why, k, r.shapes[k], r.where[k])
			continue
		}
		r.t.Errorf("harvested value survives de-identification: %s ×%d (first in %s)", k, r.shapes[k], r.where[k])
	}
	r.t.Logf("%d outputs checked", r.checked)
}

// TestPropertySynthetic: over generated HL7v2 and FHIR traffic (both
// profiles), no identifying value harvested from an original survives in
// its de-identified output, except the documented known engine leaks.
func TestPropertySynthetic(t *testing.T) {
	for _, p := range []deid.Profile{deid.SafeHarbor, deid.Shift} {
		t.Run(p.String(), func(t *testing.T) {
			r := newPropRun(t, p)
			for seed := int64(1); seed <= 3; seed++ {
				g := synth.New(seed, synth.Options{Patients: 60, PHIDensity: 2.5})
				for i := 0; i < 300; i++ {
					name := fmt.Sprintf("synth seed %d #%d", seed, i)
					switch i % 6 {
					case 4:
						r.fhir(name, g.FHIRBundle())
					case 5:
						r.fhir(name, g.FHIRPatient())
					default:
						r.hl7(name, g.HL7())
					}
				}
			}
			r.report()
		})
	}
}

// TestPropertyCorpus is TestPropertySynthetic over the shared corpus.
func TestPropertyCorpus(t *testing.T) {
	root := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("shared corpus not found at %s (it lives beside the repository)", root)
	}
	r := newPropRun(t, deid.SafeHarbor)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		b := bytes.TrimLeft(bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
		switch {
		case bytes.HasPrefix(b, []byte("MSH")) || bytes.HasPrefix(b, []byte("FHS")) || bytes.HasPrefix(b, []byte("BHS")):
			sc := hl7.NewScanner(bytes.NewReader(b), 0)
			for {
				msg, err := sc.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					continue
				}
				r.hl7(fmt.Sprintf("%s message %d", rel, sc.Index()), append([]byte(nil), msg...))
			}
		case len(b) > 0 && b[0] == '{' && strings.HasSuffix(path, ".json"):
			r.fhir(rel, b)
		case len(b) > 0 && b[0] == '{':
			_ = fhir.SplitNDJSON(b, func(line int, raw []byte) error {
				r.fhir(fmt.Sprintf("%s line %d", rel, line), raw)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.report()
}
