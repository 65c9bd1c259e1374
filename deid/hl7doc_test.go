package deid

import (
	"os"
	"path/filepath"
	"testing"
)

var hl7DocPath = filepath.Join("..", "docs", "deid-hl7.md")

// TestHL7DocTable: docs/deid-hl7.md is the field table, as generated (run
// with -update-docs after changing the table).
func TestHL7DocTable(t *testing.T) {
	want := hl7TableMarkdown()
	if *updateDocs {
		if err := os.WriteFile(hl7DocPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(hl7DocPath)
	if err != nil {
		t.Fatalf("%v (generate it: go test ./deid -run TestHL7DocTable -update-docs)", err)
	}
	if string(got) != want {
		t.Fatalf("%s is out of date with deid/hl7rules.go: go test ./deid -run TestHL7DocTable -update-docs", hl7DocPath)
	}
}

// TestHL7Treatment: the exported view of the table says what the engine does.
func TestHL7Treatment(t *testing.T) {
	for _, c := range []struct {
		seg         string
		field, comp int
		want        Treatment
	}{
		{"DG1", 3, 2, ScrubText}, {"DG1", 3, 1, KeepCode}, {"DG1", 3, 5, ScrubText}, {"AL1", 3, 2, ScrubText},
		{"NK1", 3, 2, ScrubText}, {"RXE", 7, 2, ScrubText}, {"RXA", 9, 2, ScrubText}, {"PID", 5, 1, Remove},
		{"PID", 3, 1, Pseudonymize}, {"PID", 3, 4, KeepCode}, {"PID", 11, 5, Generalize}, {"PID", 11, 3, Remove},
		{"PID", 7, 0, GeneralizeDate}, {"ORC", 7, 4, GeneralizeDate}, {"OBX", 5, 0, ByValueType},
		{"BTX", 2, 1, Pseudonymize}, {"XYZ", 1, 0, Dropped}, {"ZPI", 1, 0, Dropped}, {"OBX", 3, 1, KeepCode},
	} {
		if got := HL7Treatment(c.seg, c.field, c.comp); got != c.want {
			t.Errorf("%s-%d.%d: %s, want %s", c.seg, c.field, c.comp, got, c.want)
		}
	}
}
