package rules

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/synth"
)

// TestLocateMatchesNth: the one-pass element lookup (and splitN) return what
// splitting by repetition, component and subcomponent in turn returns.
func TestLocateMatchesNth(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab^~&")
	for _, d := range []hl7.Delims{
		{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'},
		{Field: '|', Component: '^'}, // no repetition or subcomponent separator
		{Field: '|'},
	} {
		for n := 0; n < 20000; n++ {
			raw := make([]byte, r.IntN(14))
			for i := range raw {
				raw[i] = alphabet[r.IntN(len(alphabet))]
			}
			var parts [6][]byte
			splitN(raw, d.Component, parts[:])
			for c := range parts {
				if want := hl7.Nth(raw, d.Component, c+1); string(parts[c]) != string(want) {
					t.Fatalf("splitN(%q)[%d] = %q, want %q", raw, c, parts[c], want)
				}
			}
			for rep := 1; rep <= 3; rep++ {
				for comp := 0; comp <= 4; comp++ {
					for sub := 0; sub <= 3; sub++ {
						want := hl7.Nth(raw, d.Repetition, rep)
						if comp > 0 {
							want = hl7.Nth(want, d.Component, comp)
							if sub > 0 {
								want = hl7.Nth(want, d.Subcomponent, sub)
							}
						}
						got := locate(raw, &d, rep, comp, sub)
						if string(got) != string(want) {
							t.Fatalf("delims %q: locate(%q, %d, %d, %d) = %q, want %q", []byte{d.Component, d.Repetition, d.Subcomponent}, raw, rep, comp, sub, got, want)
						}
					}
				}
			}
		}
	}
}

// TestNativePredicatesMatchVM: predicates evaluated without the VM give
// the VM's answer on every message, and the common shapes are native.
func TestNativePredicatesMatchVM(t *testing.T) {
	preds := []struct {
		src    string
		native bool
	}{
		{`true`, true},
		{`false`, true},
		{`msg.type == "ORU"`, true},
		{`"ADT" == msg.type`, true},
		{`msg.type != "ADT"`, true},
		{`msg.type in ["ADT", "ORU"]`, true},
		{`msg.type not in ["ADT"]`, true},
		{`msg.type == "ORU" && msg.event == "R01"`, true},
		{`msg.type == "ADT" or msg.sending_facility == "STMARYS"`, true},
		{`!(msg.type == "ORU")`, true},
		{`not has("PV1-2")`, true},
		{`field("PV1-2") == "E"`, true},
		{`has("OBX-3") and field("OBX-2") != "TX"`, true},
		{`any_code("DG1-3", "I10", ["N17", "F1"])`, true},
		{`msg.age_category == "90+" || msg.version == "2.5.1" || msg.structure == "ADT_A01"`, true},
		{`pseudonym != "" && format == "hl7" && msg.format == "hl7"`, true},
		{`len(field("PV1-2")) > 0`, false},
		{`msg.type == "ORU" && len(field("PID-8")) == 1`, false},
	}
	var b strings.Builder
	b.WriteString("version: 1\ndatasets:\n")
	for i, p := range preds {
		fmt.Fprintf(&b, "  - name: d%d\n    when: '%s'\n    each: message\n    columns: [{name: t, type: string, from: msg.type}]\n", i, strings.ReplaceAll(p.src, "'", "''"))
	}
	s := mustCompile(t, b.String())
	for i, p := range preds {
		if got := s.datasets[i].when.fn != nil; got != p.native {
			t.Errorf("%s: native = %v, want %v", p.src, got, p.native)
		}
	}
	eng := testEngine(t)
	g := synth.New(3, synth.Options{Patients: 20, PHIDensity: 1})
	ev := s.NewEvaluator()
	var out Rows
	checked := 0
	for n := 0; n < 300; n++ {
		m, err := hl7.Parse(g.HL7())
		if err != nil {
			t.Fatal(err)
		}
		res, err := eng.HL7(m, &deid.Report{})
		if err != nil {
			t.Fatal(err)
		}
		ev.m, ev.d, ev.out = m, m.Delims(), &out
		ev.setNames()
		ev.newMessage()
		ev.setMsgHL7(res)
		ev.cur = -1
		for i, p := range preds {
			d := s.datasets[i]
			if d.when.fn == nil {
				continue
			}
			ev.newRow()
			vmOut, err := ev.vm.Run(d.when.Program, &ev.env)
			if err != nil {
				t.Fatal(err)
			}
			ev.newRow()
			if got := d.when.fn(ev); got != vmOut.(bool) {
				t.Fatalf("message %d, %s: native %v, VM %v", n, p.src, got, vmOut)
			}
			checked++
		}
		ev.m, ev.out = nil, nil
		out.Reset()
	}
	t.Logf("%d native predicate results equal the VM's", checked)
}

// TestRowsOutliveMessage: rows evaluated into a Rows keep their text when
// the message buffer is reused for the next message.
func TestRowsOutliveMessage(t *testing.T) {
	s := mustCompile(t, `version: 1
datasets:
  - name: lab
    each: OBX
    columns:
      - {name: code, type: string, from: OBX-3.2}
      - {name: v, type: float64, from: OBX-5}
      - {name: sex, type: string, from: PID-8}
      - {name: t, type: string, from: msg.type}
      - {name: ev, type: string, from: msg.event}
      - {name: ver, type: string, from: msg.version}
`)
	buf := []byte("MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\rPID|1||X||||19800101|F\rOBX|1|NM|2093-3^Chol\\T\\HDL^LN||140|mg/dL\r")
	var m hl7.Message
	if err := m.Reset(buf); err != nil {
		t.Fatal(err)
	}
	var out Rows
	ev := s.NewEvaluator()
	if _, err := ev.HL7Rows(&m, deid.Result{}, &out); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'x'
	}
	if out.Len() != 1 {
		t.Fatalf("%d rows, want 1", out.Len())
	}
	_, vals := out.Row(0)
	if vals[0].Str != "Chol&HDL" || vals[1].Float64() != 140 || vals[2].Str != "F" ||
		vals[3].Str != "ORU" || vals[4].Str != "R01" || vals[5].Str != "2.5.1" {
		t.Errorf("row after the buffer changed: %+v", vals)
	}
	out.Reset()
	if out.Len() != 0 {
		t.Errorf("Reset left %d rows", out.Len())
	}
}

// TestNumberMatchesParseFloat: number's fast paths answer as
// strconv.ParseFloat on the trimmed text does (NaN where it fails).
func TestNumberMatchesParseFloat(t *testing.T) {
	for _, s := range []string{"", " ", "0", "007", "140", " 12 ", "123456789012345", "1234567890123456789",
		"-5", "+5", ".5", "1.8", "-1.5e3", "1e400", "inf", "-Inf", "NaN", "infinity", "0x1p3", "1_000",
		"abc", "12 mg", "<5", "> 10", "N/A", "positive"} {
		want, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			want = math.NaN()
		}
		got := number(s)
		if !(got == want || math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("number(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestTypeFilters: datasets filtered on msg.type match exactly the messages
// their when accepts, whether when is only the type test or has more to it.
func TestTypeFilters(t *testing.T) {
	s := mustCompile(t, `version: 1
datasets:
  - {name: oru, when: 'msg.type == "ORU"', columns: [{name: t, type: string, from: msg.type}]}
  - {name: two, when: 'msg.type in ["ADT", "ORU"]', columns: [{name: t, type: string, from: msg.type}]}
  - {name: nm, when: 'msg.type == "ORU" && field("OBX-2") == "NM"', columns: [{name: t, type: string, from: msg.type}]}
  - {name: notadt, when: 'msg.type != "ADT"', columns: [{name: t, type: string, from: msg.type}]}
`)
	ev := s.NewEvaluator()
	for _, tc := range []struct{ typ, obx2, want string }{
		{"ORU^R01", "NM", "[nm notadt oru two]"},
		{"ORU^R01", "TX", "[notadt oru two]"},
		{"ADT^A01", "NM", "[two]"},
		{"ORM^O01", "NM", "[notadt]"},
		{"ORUX^R01", "NM", "[notadt]"},
	} {
		m := hl7Msg(t, "MSH|^~\\&|A|B|C|D|2024||"+tc.typ+"|1|P|2.5.1", "OBX|1|"+tc.obx2+"|X||1")
		got, emit := collect(s)
		if _, err := ev.HL7(m, deid.Result{}, emit); err != nil {
			t.Fatal(err)
		}
		var names []string
		for n := range got {
			names = append(names, n)
		}
		slices.Sort(names)
		if fmt.Sprint(names) != tc.want {
			t.Errorf("%s %s: datasets %v, want %s", tc.typ, tc.obx2, names, tc.want)
		}
	}
}

// TestManySegmentsCached: rows of datasets that read the same paths of the
// same segments agree, also past the segments that get their own cache
// entries (maxStride).
func TestManySegmentsCached(t *testing.T) {
	s := mustCompile(t, `version: 1
datasets:
  - {name: a, each: OBX, columns: [{name: c, type: string, from: OBX-3.1}, {name: p, type: string, from: OBR-4.1}]}
  - {name: b, each: OBX, columns: [{name: p, type: string, from: OBR-4.1}, {name: c, type: string, from: OBX-3.1}]}
`)
	lines := []string{"MSH|^~\\&|A|B|C|D|2024||ORU^R01|1|P|2.5.1"}
	var want []string
	n := 0
	for o := range 3 {
		lines = append(lines, fmt.Sprintf("OBR|%d|||P%d", o+1, o))
		for range maxStride / 2 {
			lines = append(lines, fmt.Sprintf("OBX|%d|NM|C%d||1", n+1, n))
			want = append(want, fmt.Sprintf("%q %q", fmt.Sprintf("C%d", n), fmt.Sprintf("P%d", o)))
			n++
		}
	}
	ev := s.NewEvaluator()
	for range 2 { // the second message finds the cache of the first
		got, emit := collect(s)
		if _, err := ev.HL7(hl7Msg(t, lines...), deid.Result{}, emit); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got["a"]) != fmt.Sprint(want) {
			t.Fatalf("dataset a: %d rows, differ from want", len(got["a"]))
		}
		for i, r := range got["b"] {
			f := strings.Fields(r)
			if f[1]+" "+f[0] != want[i] {
				t.Fatalf("dataset b row %d: %s, want %s reversed", i, r, want[i])
			}
		}
	}
}
