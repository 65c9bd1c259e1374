package leakguard

import (
	"errors"
	"strings"
	"testing"
)

// set builds a Set from (category, value) pairs.
func set(t testing.TB, vals ...any) *Set {
	t.Helper()
	var s Set
	for i := 0; i+1 < len(vals); i += 2 {
		s.Add(vals[i].(Category), "TEST-1", vals[i+1].(string))
	}
	return &s
}

func TestFindTable(t *testing.T) {
	cases := []struct {
		name string
		cat  Category
		val  string
		out  string
		hit  bool
	}{
		// names: case variants and token boundaries
		{"family exact", Name, "Okafor", "seen by OKAFOR today", true},
		{"family lower", Name, "Okafor", "okafor", true},
		{"family mixed", Name, "Okafor", "oKaFoR.", true},
		{"family inside a word", Name, "Okafor", "Okaforville", false},
		{"family prefix of a word", Name, "Kowal", "Kowalski", false},
		{"family with digits glued", Name, "Okafor", "Okafor2", false},
		{"short part", Name, "Li", "Li Li Li", false},
		{"two-letter part not alone", Name, "Ng", "Dr Ng", false},
		{"common word alone", Name, "Will", "will repeat labs", false},
		{"common word WHITE alone", Name, "White", "White blood cell count", false},
		{"apostrophe name", Name, "O'Brien", "OBRIEN", false},
		{"apostrophe name part", Name, "O'Brien", "o'brien", true},
		{"apostrophe name part alone", Name, "O'Brien", "Brien", true},
		{"accented exact", Name, "Zoë", "patient zoë", true},
		{"accented upper", Name, "Zoë", "ZOË", true},
		{"accent stripped", Name, "Zoë", "ZOE", true},
		{"accented surname", Name, "Müller", "MÜLLER^HANS", true},
		{"accented surname stripped", Name, "Müller", "Muller", true},
		{"accent inside longer", Name, "Zoë", "Zoëlla", false},
		{"multi-part family", Name, "Van der Berg", "mr VAN DER BERG", true},
		{"multi-part family alone part", Name, "Van der Berg", "Berg", true},
		{"multi-part particle only", Name, "Van der Berg", "van der", false},
		// identifiers
		{"mrn", Identifier, "MRN00123456", "id mrn00123456", true},
		{"mrn in hl7 cx", Identifier, "00123456", "PID|1||00123456^^^HOSP^MR", true},
		{"digits inside a longer number", Identifier, "123456", "9123456", false},
		{"digits followed by more digits", Identifier, "123456", "1234567", false},
		{"digits as decimal", Identifier, "123456", "value 123456.5 mg", false},
		{"digits after decimal point", Identifier, "123456", "0.123456", false},
		{"digits at sentence end", Identifier, "123456", "MRN 123456.", true},
		{"short all-digit id", Identifier, "1234", "1234", false},
		{"dashed id", Identifier, "AB-12-34", "ab 12 34", true},
		{"dashed ssn digits", Identifier, "123-45-6789", "ssn 123456789", true},
		{"dashed ssn spaced", Identifier, "123-45-6789", "123 45 6789", true},
		{"long digits inside id", Identifier, "MRN-0012345", "ref 0012345", true},
		{"pseudonym not the id", Identifier, "00123456", "K4ZQ2M7XW3PA5N6B", false},
		{"letters-only id", Identifier, "ABCDEFGH", "abcdefgh", false},
		{"oid", Identifier, "2.16.840.1.113883.4.2", "urn:oid:2.16.840.1.113883.4.2", false},
		// phones
		{"phone formatted", Phone, "(555) 555-0123", "call 555-555-0123", true},
		{"phone dotted", Phone, "(555) 555-0123", "555.555.0123", true},
		{"phone digits", Phone, "(555) 555-0123", "tel:5555550123", true},
		{"phone country code", Phone, "(555) 555-0123", "+1 555 555 0123", true},
		{"phone local", Phone, "(555) 555-0123", "ext 555-0123", true},
		{"phone in longer number", Phone, "(555) 555-0123", "95555550123", false},
		{"phone other", Phone, "(555) 555-0123", "555-555-0124", false},
		// email, address, zip
		{"email", Email, "jane.doe@example.org", "mail JANE.DOE@EXAMPLE.ORG now", true},
		{"email user only", Email, "jane.doe@example.org", "jane.doe", false},
		{"street", Address, "12 Maple Ave", "lives at 12 maple ave", true},
		{"street other number", Address, "12 Maple Ave", "lives at 121 maple ave", false},
		{"city", Address, "Springfield", "moved to SPRINGFIELD", true},
		{"state is kept", Address, "Texas", "Texas", false},
		{"zip", ZIP, "62704", "zip 62704", true},
		{"zip3 kept", ZIP, "62704", "627", false},
		{"zip+4", ZIP, "62704-1234", "62704", true},
		// dates: full dates only, several spellings
		{"date hl7", Date, "19800501", "DOB 19800501", true},
		{"date hl7 timestamp", Date, "19800501", "OBX|1|TS|||198005011230", true},
		{"date hl7 long timestamp", Date, "19800501", "20240101|19800501123000.1234-0500", true},
		{"date iso", Date, "19800501", "born 1980-05-01", true},
		{"date iso datetime", Date, "19800501", `"1980-05-01T10:00:00Z"`, true},
		{"date us", Date, "19800501", "on 05/01/1980.", true},
		{"date us short", Date, "19800501", "on 5/1/1980", true},
		{"date eu", Date, "19800501", "am 01.05.1980", true},
		{"date two-digit year", Date, "19800501", "5/1/80", true},
		{"date month name", Date, "19800501", "May 1, 1980", true},
		{"date month name ordinal", Date, "19800501", "May 1st 1980", true},
		{"date day month", Date, "19800501", "1 May 1980", true},
		{"date day-mon-year", Date, "19800501", "01-MAY-1980", true},
		{"date mmddyyyy", Date, "19800501", "05011980", true},
		{"date year only", Date, "19800501", "born 1980", false},
		{"date year month", Date, "19800501", "1980-05", false},
		{"date other day", Date, "19800501", "1980-05-02", false},
		{"date iso input", Date, "1980-05-01", "19800501", true},
		{"date not in NPI", Date, "20150512", "1234567890|2015051234", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := set(t, c.cat, c.val)
			h, ok := s.Find([]byte(c.out), Text)
			if ok != c.hit {
				t.Fatalf("Find(%q) with %v %q = %v, want %v", c.out, c.cat, c.val, ok, c.hit)
			}
			if ok {
				if h.Category != c.cat {
					t.Errorf("category %v, want %v", h.Category, c.cat)
				}
				if !errors.Is(h, ErrLeak) {
					t.Error("hit is not ErrLeak")
				}
				assertNoValue(t, h.Error(), c.val)
			}
		})
	}
}

// assertNoValue fails when msg contains any token of val of 3+ bytes.
func assertNoValue(t testing.TB, msg, val string) {
	t.Helper()
	lm := strings.ToLower(msg)
	eachToken([]byte(val), func(tok []byte) {
		if len(tok) >= 3 && strings.Contains(lm, strings.ToLower(string(tok))) {
			t.Errorf("message %q carries a token of the value", msg)
		}
	})
}

func TestFullNameMatchesCommonWords(t *testing.T) {
	var s Set
	s.AddName("PID-5", "White", "Will")
	for out, want := range map[string]bool{
		"will white":                   true,
		"WHITE^WILL":                   true,
		"White, Will":                  true,
		"white blood cells, will call": false,
		"Will":                         false,
	} {
		if _, ok := s.Find([]byte(out), Text); ok != want {
			t.Errorf("Find(%q) = %v, want %v", out, ok, want)
		}
	}
}

func TestHL7EscapesAndLocation(t *testing.T) {
	var s Set
	s.Add(Name, "PID-5", "Okafor")
	s.Add(Address, "PID-11", "12 Maple Ave")
	out := "MSH|^~\\&|A|B|C|D|2024||ORU^R01|X|P|2.5\rPID|1||K4ZQ2M7XW3PA5N6B\rOBX|1|TX|||Seen by OKA\\T\\FOR\rOBX|2|TX|||lives at 12\\T\\Maple Ave\r"
	h, ok := s.Find([]byte(out), HL7)
	if !ok {
		t.Fatal("address across an escape not found")
	}
	if h.Where != "OBX-5" || h.Source != "PID-11" || h.Category != Address {
		t.Errorf("hit %+v, want address (PID-11) in OBX-5", h)
	}
	if got := h.Error(); got != "leak guard: address (PID-11) value found in output OBX-5" {
		t.Errorf("error %q", got)
	}
	// MSH fields count from MSH-1
	s.Reset()
	s.Add(Identifier, "MSH-10", "CTRL123456")
	h, ok = s.Find([]byte("MSH|^~\\&|A|B|C|D|2024||ORU^R01|ctrl123456|P|2.5\r"), HL7)
	if !ok || h.Where != "MSH-10" {
		t.Errorf("MSH-10 hit: %v %+v", ok, h)
	}
}

func TestJSONEscapesAndPath(t *testing.T) {
	var s Set
	s.Add(Name, "HumanName", "Okafor")
	out := `{"resourceType":"Observation","note":[{"text":"a"},{"text":"line one\nOkafor said"}]}`
	h, ok := s.Find([]byte(out), JSON)
	if !ok {
		t.Fatal("name after \\n not found")
	}
	if h.Where != "note[1].text" {
		t.Errorf("where %q", h.Where)
	}
	// a member name that is itself the value is not shown
	out = `{"resourceType":"Basic","okafor":{"x":"OKAFOR"}}`
	h, ok = s.Find([]byte(out), JSON)
	if !ok || strings.Contains(strings.ToLower(h.Error()), "okafor") {
		t.Errorf("hit %v %v", ok, h)
	}
}

func TestCityExemptInFacilityFields(t *testing.T) {
	var s Set
	s.Add(Address, "PID-11", "Springfield")
	if _, ok := s.Find([]byte("MSH|^~\\&|LAB|SPRINGFIELD GENERAL|X|Y|2024||ADT^A01|1|P|2.5\r"), HL7); ok {
		t.Error("city in MSH-4 (facility) is a hit")
	}
	if _, ok := s.Find([]byte("MSH|^~\\&|LAB|FAC|X|Y|2024||ADT^A01|1|P|2.5\rNTE|1||moved to Springfield\r"), HL7); !ok {
		t.Error("city in NTE-3 is not a hit")
	}
	if _, ok := s.Find([]byte(`{"resourceType":"Organization","name":"Springfield Clinic"}`), JSON); ok {
		t.Error("city in Organization.name is a hit")
	}
}

func TestDateShiftExemption(t *testing.T) {
	var s Set
	s.Add(Date, "PID-7", "20240301")
	s.Add(Date, "PV1-44", "20240311")
	s.SetDateShift(10)
	// 2024-03-11 is the shifted 2024-03-01: the engine's output, not a leak
	if _, ok := s.Find([]byte("20240311"), Text); ok {
		t.Error("a shifted date equal to another original date is a hit")
	}
	// 2024-03-01 shifted would be 2024-03-11; 2024-03-01 itself is a leak
	if _, ok := s.Find([]byte("20240301"), Text); !ok {
		t.Error("an unshifted original date is not a hit")
	}
}

func TestResetReuses(t *testing.T) {
	var s Set
	s.Add(Name, "PID-5", "Okafor")
	s.Reset()
	if _, ok := s.Find([]byte("Okafor"), Text); ok {
		t.Error("value survives Reset")
	}
	s.Add(Name, "PID-5", "Nguyen")
	if _, ok := s.Find([]byte("nguyen"), Text); !ok {
		t.Error("value added after Reset not found")
	}
}
