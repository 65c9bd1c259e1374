package deid

import (
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/hl7"
)

// Fail-open shapes of HL7v2 de-identification (issue 16): each case is a
// message whose identifying values must not survive, and clinical text that
// must. The data are synthetic.

// failOpenMsg is a patient with known identifiers that other fields repeat.
const failOpenMsg = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20260301120000||ORU^R01^ORU_R01|C1|P|2.5.1\r" +
	"PID|1||MRN4417^^^HOSP^MR||QUIMBLETON^ZANZIBAR^Q||19610704|F|||12 ELM ST^^SPRINGFIELD^IL^62704^USA||(217)555-0199\r" +
	"PV1|1|I|ICU^12^B||||||||||||||||V99887766\r"

func deidString(t *testing.T, e *Engine, src string) (*hl7.Message, string) {
	t.Helper()
	m, err := hl7.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.HL7(m, nil); err != nil {
		t.Fatal(err)
	}
	return m, string(m.Bytes())
}

func mustGet(m *hl7.Message, p string) string { v, _ := m.Get(p); return v }

// TestHL7KeptTextScrubbed: text components the table keeps go through the
// free-text scrubber; clinical text in them survives untouched.
func TestHL7KeptTextScrubbed(t *testing.T) {
	e := newEngine(t)
	cases := []struct {
		name, seg string
		leaks     []string
		keep      map[string]string // path -> exact value after de-identification
	}{
		{"DG1-3.2", "DG1|1||I10^Hypertension, per Zanzibar Quimbleton 217-555-0199^I10", []string{"QUIMBLETON", "ZANZIBAR", "555-0199"},
			map[string]string{"DG1-3.1": "I10", "DG1-3.3": "I10"}},
		{"AL1-3.2", "AL1|1|DA|PCN^Penicillin, reported by pt Quimbleton on 03/01/2026^RXNORM", []string{"QUIMBLETON", "03/01/2026"},
			map[string]string{"AL1-3.1": "PCN"}},
		{"NK1-3.2", "NK1|1||SPO^Spouse of Zanzibar Quimbleton^HL70063", []string{"QUIMBLETON", "ZANZIBAR"},
			map[string]string{"NK1-3.1": "SPO"}},
		{"TQ1 text", "TQ1|1||||||||||Give after visit V99887766 call 217-555-0199|Pt Quimbleton", []string{"V99887766", "555-0199", "QUIMBLETON"}, nil},
		{"RXE-7.2", "RXE|^^^20260301^^R|857005^metformin^RXNORM|500||mg|TAB|^For Quimbleton diabetes MRN4417", []string{"QUIMBLETON", "MRN4417"},
			map[string]string{"RXE-2.2": "metformin"}},
		{"RXA-9", "RXA|0|1|20260301|20260301|08^HepB^CVX|1|||00^New record, given by mother of Zanzibar Quimbleton^NIP001", []string{"QUIMBLETON", "ZANZIBAR"},
			map[string]string{"RXA-5.2": "HepB"}},
		{"OBR-15 visit number", "OBR|1||||||||||||||SER^Serum^HL70487^^Collected at visit V99887766 by RN", []string{"V99887766"},
			map[string]string{"OBR-15.2": "Serum"}},
		{"OBX-5 ST specimen number", "OBX|1|ST|SPEC^Specimen^L||Specimen 1234567890 received, visit V99887766", []string{"1234567890", "V99887766"}, nil},
		{"OBX-5 NM specimen number", "OBX|1|NM|SPEC^Specimen^L||1234567890", []string{"1234567890"}, nil},
		{"OBX-5 SN", "OBX|1|SN|SPEC^Specimen^L||^V99887766", []string{"V99887766"}, nil},
		{"OBX-5 CE full date", "OBX|1|CE|DATE^Collection date^L||20230415^Collected 2023-04-15^L", []string{"20230415", "2023-04-15"},
			map[string]string{"OBX-3.2": "Collection date"}},
		{"OBX-5 CWE text", "OBX|1|CWE|ANS^Answer^L||Y^Yes, confirmed by Zanzibar Quimbleton^HL70136", []string{"QUIMBLETON", "ZANZIBAR"},
			map[string]string{"OBX-5.1": "Y"}},
		{"CE text is clinical text", "DG1|1||G20^Parkinson disease^I10~E11.9^Type 2 diabetes mellitus^I10|Hodgkin lymphoma", nil,
			map[string]string{"DG1-3.2": "Parkinson disease", "DG1-3[2].2": "Type 2 diabetes mellitus", "DG1-4": "Hodgkin lymphoma"}},
		{"unknown text field of a kept segment", "OBR|1||||||||||||||||||||||||||||||||||||||||||||||Reason: pt Quimbleton, call 217-555-0199", []string{"QUIMBLETON", "555-0199"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, out := deidString(t, e, failOpenMsg+tc.seg+"\r")
			up := strings.ToUpper(out)
			for _, l := range tc.leaks {
				if strings.Contains(up, strings.ToUpper(l)) {
					t.Errorf("%q survives:\n%s", l, strings.ReplaceAll(out, "\r", "\n"))
				}
			}
			for p, want := range tc.keep {
				if got := mustGet(m, p); got != want {
					t.Errorf("%s = %q, want %q", p, got, want)
				}
			}
		})
	}
}

// TestHL7OrderNumberAnyComponent: an order number is pseudonymized in any
// component of an EI field, as the same number is in OBR-2.
func TestHL7OrderNumberAnyComponent(t *testing.T) {
	e := newEngine(t)
	src := failOpenMsg +
		"ORC|NW|^1234567890|^^9876543210^ISO|4455667788&LAB~^5566778899\r" +
		"OBR|1|1234567890||CBC^Blood count^L\r" +
		"SPM|1|^SP778899||BLD^Blood^HL70487\r"
	m, out := deidString(t, e, src)
	for _, l := range []string{"1234567890", "9876543210", "4455667788", "5566778899", "SP778899"} {
		if strings.Contains(out, l) {
			t.Errorf("%s survives:\n%s", l, strings.ReplaceAll(out, "\r", "\n"))
		}
	}
	ps := e.Pseudonymizer().ID("1234567890")
	if got := mustGet(m, "OBR-2.1"); got != ps {
		t.Errorf("OBR-2.1 = %q, want %q", got, ps)
	}
	if !strings.Contains(mustGet(m, "ORC-2"), ps) {
		t.Errorf("ORC-2 = %q, want the OBR-2 pseudonym %q", mustGet(m, "ORC-2"), ps)
	}
	if got := mustGet(m, "ORC-3.4"); got != "ISO" {
		t.Errorf("ORC-3.4 (universal id type) = %q, want ISO", got)
	}
}

// TestHL7MalformedTimestamps: timestamps of odd lengths or garbage are
// never kept whole: reduced to the year when one can be read, else removed,
// under both profiles.
func TestHL7MalformedTimestamps(t *testing.T) {
	for _, prof := range []Profile{SafeHarbor, Shift} {
		e, err := New(Config{Key: testKey, Profile: prof})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"2023010112301", "20230101123045123", "abc", "2023-01-01", "2023-01-01T12:30", "20230101 1230", "202301011230451234567-0500", "2O230101"} {
			for _, p := range []string{"PV1-44", "OBX-14", "OBR-7", "EVN-2", "TQ1-7.1", "ORC-7.4", "OBR-27.4", "PID-33"} {
				seg := p[:3]
				src := failOpenMsg + "EVN|A01\rORC|NW\rOBR|1\rOBX|1|NM|X^Y^L||1\rTQ1|1\r"
				_ = seg
				m, err := hl7.Parse([]byte(src))
				if err != nil {
					t.Fatal(err)
				}
				if err := m.SetRaw(p, []byte(v)); err != nil {
					t.Fatal(err)
				}
				m, _ = hl7.Parse(m.Bytes())
				if _, err := e.HL7(m, nil); err != nil {
					t.Fatal(err)
				}
				got := mustGet(m, p)
				want := ""
				if strings.HasPrefix(v, "2023") {
					want = "2023"
				}
				if prof == Shift && want != "" {
					// a malformed value cannot be shifted exactly: the year is the most it keeps
					want = "2023"
				}
				if got != want {
					t.Errorf("%s %s = %q from %q, want %q", prof, p, got, v, want)
				}
			}
		}
	}
}

// TestHL7ClinicalSegmentsKept: v2.5.1 segments carrying clinical data are in
// the table (BPO, BTX ...), with their identifiers treated; unknown segments
// and Z-segments are still dropped.
func TestHL7ClinicalSegmentsKept(t *testing.T) {
	e := newEngine(t)
	src := failOpenMsg +
		"BPO|1|RBC^Red blood cells^ISBT128|||2|unit|20260301101500\r" +
		"BTX|1|W1234567890123^^ISBT128|E0150^Red Blood Cells^ISBT128|O+^O Pos^ISBT128|||LOT778899^MFR||1|unit^unit^UCUM|TX^Transfused^HL70513|F|20260301110000|^DOC^JOHN|^NURSE^JANE|20260301113000|20260301120000\r" +
		"XYZ|secret 4455\r" +
		"ZPI|secret 5566\r"
	m, out := deidString(t, e, src)
	for _, seg := range []string{"BPO", "BTX"} {
		if !strings.Contains(out, "\r"+seg+"|") {
			t.Errorf("%s dropped:\n%s", seg, strings.ReplaceAll(out, "\r", "\n"))
		}
	}
	if got := mustGet(m, "BPO-2.2"); got != "Red blood cells" {
		t.Errorf("BPO-2.2 = %q", got)
	}
	for _, l := range []string{"W1234567890123", "20260301101500", "20260301110000", "20260301113000", "LOT778899", "secret"} {
		if strings.Contains(out, l) {
			t.Errorf("%s survives:\n%s", l, strings.ReplaceAll(out, "\r", "\n"))
		}
	}
	if got := mustGet(m, "BTX-13"); got != "2026" {
		t.Errorf("BTX-13 = %q, want 2026", got)
	}
	if got := mustGet(m, "BTX-3.2"); got != "Red Blood Cells" {
		t.Errorf("BTX-3.2 = %q", got)
	}
	for _, seg := range []string{"OM1", "AL1", "IAM", "PRT", "CSR", "PSH", "PCR", "PES", "PEO", "BLC", "BPX", "OBR", "VAR", "CTD", "GOL", "PTH", "PDA", "DSP", "EQU", "INV", "SID", "IN3", "RF1", "AUT", "CSR", "IPC", "ARQ"} {
		if segRules([]byte(seg)) == nil {
			t.Errorf("standard clinical segment %s has no table entry", seg)
		}
	}
}

// TestHL7EscapesOnlyWhereInputHadThem: de-identification does not add
// escape sequences the input did not have.
func TestHL7EscapesOnlyWhereInputHadThem(t *testing.T) {
	e := newEngine(t)
	cases := []struct{ seg, path, want string }{
		// a component separator in a text field stays a separator
		{"NTE|1||Left arm^right arm", "NTE-3", "Left arm^right arm"},
		{"OBX|1|TX|N^Note^L||BP 120/80^HR 72~second line", "OBX-5", "BP 120/80^HR 72~second line"},
		// escapes the input had stay
		{"NTE|1||A \\T\\ B", "NTE-3", "A \\T\\ B"},
		{"NTE|1||ratio 1\\S\\2", "NTE-3", "ratio 1\\S\\2"},
		// backslashes that are not escape sequences stay as they were
		{"NTE|1||take 1\\2 tab or 3\\4 tab", "NTE-3", "take 1\\2 tab or 3\\4 tab"},
		{"NTE|1||path C:\\temp", "NTE-3", "path C:\\temp"},
		{"DG1|1||I10^Hypertension^I10^^HTN^L", "DG1-3", "I10^Hypertension^I10^^HTN^L"},
	}
	for _, tc := range cases {
		m, _ := deidString(t, e, failOpenMsg+tc.seg+"\r")
		seg := m.Segment(m.NumSegments() - 2) // the last is ZDI
		got := string(seg.Field(fieldNum(t, tc.path)))
		if got != tc.want {
			t.Errorf("%s: %s = %q, want %q", tc.seg, tc.path, got, tc.want)
		}
	}
}

func fieldNum(t *testing.T, p string) int {
	t.Helper()
	hp, err := hl7.ParsePath(p)
	if err != nil {
		t.Fatal(err)
	}
	return hp.Field
}
