package rules

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// oneColumn is a rules file whose line 6 holds one column; its from text
// starts at column 34 + len(typ) (40 for string).
func oneColumn(each, typ, from string) string {
	return fmt.Sprintf("version: 1\ndatasets:\n  - name: d\n    each: %s\n    columns:\n      - {name: a, type: %s, from: '%s'}\n", each, typ, from)
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		pos  string // line:col of the first error
		want string // substring of its message
	}{
		// bad YAML
		{"yaml syntax", "version: 1\ndatasets: [\n  {name: x\n", "2:1", "invalid YAML"},
		{"yaml tab", "version: 1\ndatasets:\n\t- name: x\n", "3:1", "invalid YAML"},
		{"empty", "", "1:1", "empty rules file"},
		{"not a mapping", "- a\n- b\n", "1:1", "rules file must be a mapping"},
		// schema: unknown keys, missing and bad values
		{"unknown top key", "version: 1\nsets: []\n", "2:1", `unknown key "sets"`},
		{"unknown dataset key", "version: 1\ndatasets:\n  - name: d\n    colums: []\n", "4:5", `unknown key "colums"`},
		{"unknown column key", "version: 1\ndatasets:\n  - name: d\n    columns:\n      - {name: a, type: string, form: 'OBX-3'}\n", "5:33", `unknown key "form"`},
		{"duplicate key", "version: 1\nversion: 1\ndatasets: []\n", "2:1", `duplicate key "version"`},
		{"missing version", "datasets:\n  - name: d\n    columns: [{name: a, type: string, from: pseudonym}]\n", "1:1", "missing version"},
		{"wrong version", "version: 2\ndatasets: []\n", "1:10", "unsupported rules version 2"},
		{"version not int", "version: one\ndatasets: []\n", "1:10", "version must be an integer"},
		{"datasets not list", "version: 1\ndatasets: {a: 1}\n", "2:11", "datasets must be a list"},
		{"column missing from", "version: 1\ndatasets:\n  - name: d\n    columns:\n      - {name: a, type: string}\n", "5:9", "column needs a from"},
		{"unknown type", oneColumn("OBX", "strng", "OBX-3"), "6:25", `unknown column type "strng"`},
		{"bad column name", "version: 1\ndatasets:\n  - name: d\n    columns:\n      - {name: _a, type: string, from: pseudonym}\n", "5:16", `column name "_a"`},
		{"duplicate dataset", "version: 1\ndatasets:\n  - name: d\n    columns: [{name: a, type: string, from: pseudonym}]\n  - name: d\n    columns: [{name: a, type: string, from: pseudonym}]\n", "5:11", `duplicate dataset name "d"`},
		{"phi store", "version: 1\ndatasets:\n  - name: d\n    columns: [{name: a, type: string, from: pseudonym}]\nphi: {store: everything}\n", "5:14", "phi store must be original or none"},
		// expression syntax and types (columns inside the expression map to the file)
		{"expr syntax", oneColumn("OBX", "string", `field("OBX-3") +`), "6:55", "unexpected token EOF"},
		{"unknown variable", oneColumn("OBX", "string", `msg.typo`), "6:44", "typo"},
		{"type error column", oneColumn("OBX", "int64", `field("OBX-3")`), "6:39", "expression returns string, column wants int64"},
		{"type error string", oneColumn("OBX", "string", `year(field("OBR-7"))`), "6:40", "expression returns int, column wants string"},
		{"when not bool", "version: 1\ndatasets:\n  - name: d\n    when: 'msg.type'\n    columns: [{name: a, type: string, from: pseudonym}]\n", "4:12", "expected bool"},
		{"bad operands", oneColumn("OBX", "bool", `msg.type > 3`), "6:47", "invalid operation"},
		{"non-literal path", oneColumn("OBX", "string", `field(msg.type)`), "6:50", "must be a string literal"},
		{"reserved name", oneColumn("OBX", "string", `__field(1)`), "6:40", "__field is reserved"},
		{"unknown table", oneColumn("OBX", "string", `lookup("nope", "x")`), "6:47", `no table "nope"`},
		// unknown paths
		{"unknown segment", oneColumn("OBX", "string", "QQQ-1"), "6:40", "segment QQQ is not an HL7 segment that de-identification keeps"},
		{"unknown segment in expr", oneColumn("OBX", "string", `field("QQQ-1")`), "6:46", "segment QQQ"},
		{"bad hl7 path", oneColumn("OBX", "string", `field("OBX-x")`), "6:46", "bad HL7 path"},
		{"unknown fhir element", oneColumn("Observation", "string", "Observation.foo"), "6:40", `Observation has no element "foo"`},
		{"choice hint", oneColumn("Observation", "float64", "Observation.value.value"), "6:41", "valueQuantity"},
		{"complex fhir leaf", oneColumn("Observation", "string", "Observation.code"), "6:40", "complex type"},
		{"unknown resource", oneColumn("Observation", "string", `fhir("Observashun.code")`), "6:45", "not a FHIR R4 resource type"},
		{"unknown each", oneColumn("XYZ.abc", "string", "pseudonym"), "4:11", "each:"},
		{"hl7 path in fhir dataset", oneColumn("Observation", "string", "OBX-3"), "6:40", "HL7 path"},
		{"fhir path in hl7 dataset", oneColumn("OBX", "string", "Observation.status"), "6:40", "FHIR path"},
		// identifier-exposing columns
		{"patient name", oneColumn("message", "string", "PID-5"), "6:40", "a name"},
		{"patient family name", oneColumn("message", "string", "PID-5.1"), "6:40", "XPN"},
		{"next of kin name", oneColumn("message", "string", `field("NK1-2")`), "6:46", "a name"},
		{"ssn", oneColumn("message", "string", "PID-19"), "6:40", "an SSN"},
		{"phone", oneColumn("message", "string", "PID-13.1"), "6:40", "a phone number"},
		{"street", oneColumn("message", "string", "PID-11.1"), "6:40", "an address"},
		{"city", oneColumn("message", "string", `field("PID-11.3")`), "6:46", "an address"},
		{"whole address", oneColumn("message", "string", "PID-11"), "6:40", "an address"},
		{"fhir name", oneColumn("Patient", "string", "Patient.name.family"), "6:40", "HumanName"},
		{"fhir contact name", oneColumn("Patient", "string", "Patient.contact.name.given"), "6:40", "HumanName"},
		{"fhir telecom", oneColumn("Patient", "string", "Patient.telecom.value"), "6:40", "ContactPoint"},
		{"fhir city", oneColumn("Patient", "string", "Patient.address.city"), "6:40", "Address.city"},
		{"fhir narrative", oneColumn("Observation", "string", "Observation.text.div"), "6:40", "narrative"},
		{"z segment", oneColumn("message", "string", "ZPI-3"), "6:40", "Z-segment content is not scrubbed"},
		{"full date string", oneColumn("OBX", "string", "OBR-7"), "6:40", "full date"},
		{"full date timestamp", oneColumn("OBX", "timestamp", "OBX-14"), "6:43", "full date"},
		{"full date in expr", oneColumn("OBX", "string", `"d" + field("OBR-7")`), "6:52", "full date"},
		{"fhir full date", oneColumn("Patient", "string", "Patient.birthDate"), "6:40", "full date"},
		{"fhir full date expr", oneColumn("Observation", "string", `fhir("Observation.effectiveDateTime")`), "6:45", "full date"},
		// block scalar: line and indentation of the expression line
		{"block scalar", "version: 1\ndatasets:\n  - name: d\n    columns:\n      - name: a\n        type: string\n        from: |\n          msg.type +\n            nope\n", "9:13", "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(tc.src), "r.yaml")
			if err == nil {
				t.Fatalf("compiled; want error %q at %s", tc.want, tc.pos)
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is %T, want ErrorList: %v", err, err)
			}
			first := list[0]
			if got := fmt.Sprintf("%d:%d", first.Line, first.Col); got != tc.pos || !strings.Contains(first.Msg, tc.want) {
				t.Errorf("got %s: %s\nwant %s: ...%s...", got, first.Msg, tc.pos, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "r.yaml:"+tc.pos+": ") {
				t.Errorf("error text %q does not start with file:line:col", err.Error())
			}
		})
	}
}

func TestCompileAcceptsSafeColumns(t *testing.T) {
	for _, from := range []string{
		"PID-11.4", "PID-11.5", "PID-11.6", "PID-3", "PID-3.1", "PID-8", `zip3(field("PID-11.5"))`,
		`year(field("OBR-7"))`, "OBR-7", // int64 from a date path is its year
		`year(field("PID-7")) ?? 0`, "ZDI-5",
	} {
		src := oneColumn("message", "int64", from)
		if !strings.Contains(from, "year") && from != "OBR-7" {
			src = oneColumn("message", "string", from)
		}
		if _, err := Compile([]byte(src), "r.yaml"); err != nil {
			t.Errorf("%s: %v", from, err)
		}
	}
}

func TestExampleCompiles(t *testing.T) {
	s, err := Load(filepath.Join("..", "examples", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ds := s.Datasets()
	if len(ds) != 3 || ds[0].Name != "lab_results" || ds[1].Name != "encounters" || ds[2].Name != "fhir_observations" {
		t.Fatalf("datasets: %+v", ds)
	}
	if got := s.DropRules(); len(got) != 1 || got[0] != "part2_substance_use" {
		t.Errorf("drop rules %v", got)
	}
	if len(s.Version()) != 12 {
		t.Errorf("version %q", s.Version())
	}
}

func TestVersionIsCanonical(t *testing.T) {
	a := oneColumn("OBX", "string", "OBX-3.1")
	b := "# a comment\n" + strings.Replace(strings.Replace(a, "'OBX-3.1'", `"OBX-3.1"`, 1), "version: 1", "version: 1 # v1", 1)
	c := oneColumn("OBX", "string", "OBX-3.2")
	sa, err := Compile([]byte(a), "a")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := Compile([]byte(b), "b")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := Compile([]byte(c), "c")
	if err != nil {
		t.Fatal(err)
	}
	if sa.Version() != sb.Version() {
		t.Errorf("comments/quoting changed the version: %s vs %s", sa.Version(), sb.Version())
	}
	if sa.Version() == sc.Version() {
		t.Errorf("a different path kept the version %s", sa.Version())
	}
}

func TestColumnTypesMatchDatasetNames(t *testing.T) {
	// sinks/dataset.ColType: String=1 .. Timestamp=5 with these names
	want := map[ColType]string{1: "string", 2: "int64", 3: "float64", 4: "bool", 5: "timestamp"}
	for v, n := range want {
		if v.String() != n {
			t.Errorf("ColType(%d) = %s, want %s", v, v, n)
		}
	}
}
