package rules

import (
	"math"
	"strconv"
	"strings"
)

// MsgEnv is what a rules expression knows about the message as `msg`.
// Every value comes from the de-identified message.
type MsgEnv struct {
	Type            string `expr:"type"`             // HL7 MSH-9.1 ("ORU"), FHIR resourceType of the input
	Event           string `expr:"event"`            // HL7 MSH-9.2 ("R01"); "" for FHIR
	Structure       string `expr:"structure"`        // HL7 MSH-9.3 ("ORU_R01")
	Version         string `expr:"version"`          // HL7 MSH-12.1
	SendingApp      string `expr:"sending_app"`      // HL7 MSH-3.1
	SendingFacility string `expr:"sending_facility"` // HL7 MSH-4.1
	AgeCategory     string `expr:"age_category"`     // "0-17", "18-44", "45-64", "65-89", "90+" or ""
	Over90          bool   `expr:"over90"`           // the patient is 90 or older
	Format          string `expr:"format"`           // "hl7" or "fhir"
}

// env is the typed expr environment. The exported func fields are bound
// per Evaluator; the __ fields are what field(), fhir(), code() and
// any_code() calls with literal arguments are compiled into.
type env struct {
	Msg          MsgEnv `expr:"msg"`
	Format       string `expr:"format"`
	ResourceType string `expr:"resourceType"`
	Pseudonym    string `expr:"pseudonym"`

	Field       func(string) string                 `expr:"field"`
	FHIR        func(string) string                 `expr:"fhir"`
	AnyCode     func(string, string, []string) bool `expr:"any_code"`
	Code        func(string, string) string         `expr:"code"`
	Lookup      func(string, string) string         `expr:"lookup"`
	Year        func(string) int                    `expr:"year"`
	Number      func(string) float64                `expr:"number"`
	AgeCategory func(int) string                    `expr:"age_category"`
	ZIP3        func(string) string                 `expr:"zip3"`
	Has         func(string) bool                   `expr:"has"`
	Coalesce    func(string, string) string         `expr:"coalesce"`
	XField      func(int) string                    `expr:"__field"`
	XHas        func(int) bool                      `expr:"__has"`
	XAnyCode    func(int) bool                      `expr:"__any_code"`
	XCode       func(int) string                    `expr:"__code"`
}

// year returns the year at the start of an HL7 or FHIR date ("2024",
// "20240301", "2024-03-01T..."), or 0.
func year(s string) int {
	if len(s) < 4 {
		return 0
	}
	y := 0
	for i := 0; i < 4; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0
		}
		y = y*10 + int(c-'0')
	}
	return y
}

// coalesce returns a unless it is empty, else b.
func coalesce(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// number parses a decimal number (NaN when s is not one; NaN becomes null).
func number(s string) float64 {
	// most lab values are small integers: exact as float64, no parser needed
	if n := len(s); n > 0 && n <= 15 {
		v := 0
		for i := 0; i < n; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				goto parse
			}
			v = v*10 + int(c-'0')
		}
		return float64(v)
	}
parse:
	s = strings.TrimSpace(s)
	if s == "" || !floatStart[s[0]] {
		return math.NaN() // ParseFloat would fail (and allocate its error)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// floatStart marks the bytes strconv.ParseFloat accepts first: digits,
// sign, point, and the i/n of inf and nan.
var floatStart = func() (t [256]bool) {
	for _, c := range []byte("0123456789+-.iInN") {
		t[c] = true
	}
	return t
}()

// ageCategory buckets an age in years.
func ageCategory(age int) string {
	switch {
	case age < 0:
		return ""
	case age < 18:
		return "0-17"
	case age < 45:
		return "18-44"
	case age < 65:
		return "45-64"
	case age < 90:
		return "65-89"
	}
	return "90+"
}

// zip3 returns the first three digits of a ZIP code ("" if it has fewer).
func zip3(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 3 {
		return ""
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '9' {
			return ""
		}
	}
	return s[:3]
}

// system aliases: every spelling of a code system maps to one name.
var systemAliases = map[string]string{}

func init() {
	for canon, names := range map[string]string{
		"icd10cm": "I10 I10C ICD10 ICD10CM ICD-10 ICD-10-CM 2.16.840.1.113883.6.90 2.16.840.1.113883.6.3 http://hl7.org/fhir/sid/icd-10-cm http://hl7.org/fhir/sid/icd-10",
		"icd9cm":  "I9 I9C ICD9 ICD9CM ICD-9 ICD-9-CM 2.16.840.1.113883.6.103 http://hl7.org/fhir/sid/icd-9-cm",
		"loinc":   "LN LOINC 2.16.840.1.113883.6.1 http://loinc.org",
		"snomed":  "SCT SNM SNOMED SNOMEDCT SNOMED-CT 2.16.840.1.113883.6.96 http://snomed.info/sct",
		"rxnorm":  "RXNORM RXN 2.16.840.1.113883.6.88 http://www.nlm.nih.gov/research/umls/rxnorm",
		"cpt":     "C4 CPT CPT4 2.16.840.1.113883.6.12 http://www.ama-assn.org/go/cpt",
	} {
		for _, n := range strings.Fields(names) {
			systemAliases[n] = canon
			systemAliases[strings.ToLower(n)] = canon
		}
	}
}

// canonSystem names a code system the same way whatever its spelling.
func canonSystem(s string) string {
	if c, ok := systemAliases[s]; ok {
		return c
	}
	if c, ok := systemAliases[strings.ToUpper(s)]; ok {
		return c
	}
	return strings.ToLower(s)
}

// codePrefix reports whether code starts with prefix, ignoring case and dots.
func codePrefix(code, prefix string) bool {
	i, j := 0, 0
	for j < len(prefix) {
		if prefix[j] == '.' {
			j++
			continue
		}
		for i < len(code) && code[i] == '.' {
			i++
		}
		if i >= len(code) {
			return false
		}
		a, b := code[i], prefix[j]
		if a >= 'a' && a <= 'z' {
			a -= 'a' - 'A'
		}
		if b >= 'a' && b <= 'z' {
			b -= 'a' - 'A'
		}
		if a != b {
			return false
		}
		i++
		j++
	}
	return true
}
