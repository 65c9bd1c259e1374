package text

import (
	"strings"
	"testing"
	"time"
)

// phiCase: want lists substrings that must be gone (PHI) and keep lists
// substrings that must survive (clinical meaning).
type phiCase struct {
	in         string
	gone, keep []string
}

func checkPHI(t *testing.T, group string, cases []phiCase) (hit, total, fp, ktotal int) {
	t.Helper()
	for _, c := range cases {
		out := sc.ScrubString(c.in, nil, nil)
		for _, g := range c.gone {
			total++
			if strings.Contains(out, g) {
				t.Errorf("%s: %q left in %q", group, g, out)
			} else {
				hit++
			}
		}
		for _, k := range c.keep {
			ktotal++
			if !strings.Contains(out, k) {
				fp++
				t.Errorf("%s: %q lost in %q", group, k, out)
			}
		}
	}
	return
}

var layerCases = map[string][]phiCase{
	"names": {
		{"son bob visited today", []string{"bob"}, []string{"son", "visited today"}},
		{"DAUGHTER ANN AT BEDSIDE", []string{"ANN"}, []string{"DAUGHTER", "BEDSIDE"}},
		{"his wife, Ann, is at bedside", []string{"Ann"}, []string{"wife", "bedside"}},
		{"SISTER,ANN CALLED", []string{"ANN"}, []string{"SISTER"}},
		{"sons Mark, Luke and John at bedside", []string{"Mark", "Luke", "John"}, []string{"sons", "bedside"}},
		{"spoke with mr smith about plan", []string{"smith"}, []string{"spoke with", "about plan"}},
		{"MS SMITH IS AWAKE", []string{"SMITH"}, []string{"AWAKE"}},
		{"called mr.jones at home", []string{"jones"}, []string{"at home"}},
		{"Ann Smith is a 70 yr old woman", []string{"Ann", "Smith"}, []string{"70 yr old woman"}},
		{"My name is Kowalczyk and I am the RN", []string{"Kowalczyk"}, []string{"RN"}},
		{"Daughter José Pérez called", []string{"José", "Pérez"}, []string{"called"}},
		{"discussed with patient's husband, gerald", []string{"gerald"}, []string{"husband"}},
		{"Pt seen with Dr. Okonkwo and Dr Feldman", []string{"Okonkwo", "Feldman"}, []string{"Pt seen"}},
		{"plan reviewed with jennifer mcallister", []string{"jennifer", "mcallister"}, []string{"plan reviewed"}},
		{"PATIENT SEEN BY DR HALVORSEN", []string{"HALVORSEN"}, []string{"PATIENT SEEN"}},
		{"Met with Rose Hernandez (niece)", []string{"Rose", "Hernandez"}, []string{"niece"}},
		{"Sm\\H\\ith called back", []string{"Sm", "ith"}, []string{"called back"}},
		{"daughter \\H\\Maria\\N\\ at bedside", []string{"Maria"}, []string{"bedside"}},
	},
	"name-fp": {
		{"pt. Alert and oriented", nil, []string{"Alert"}},
		{"seen by Neuro, per RT", nil, []string{"Neuro", "RT"}},
		{"PT ON NIPRIDE WITH APHASIA", nil, []string{"NIPRIDE", "APHASIA"}},
		{"Foley in place, Apgar 9, Parkinson disease", nil, []string{"Foley", "Apgar", "Parkinson"}},
		{"will follow up; may need rehab; hope to wean", nil, []string{"will", "may", "hope"}},
		{"rose from bed, bill sent to insurance", nil, []string{"rose", "bill"}},
		{"Patient denies pain. Lungs clear.", nil, []string{"Patient denies pain", "Lungs clear"}},
	},
	"dates": {
		{"s/p dialysis 3/14, extubated 3/16", []string{"3/14", "3/16"}, []string{"dialysis", "extubated"}},
		{"last seen (3/14)", []string{"3/14"}, nil},
		{"3/14 CXR clear", []string{"3/14"}, []string{"CXR clear"}},
		{"stent 04/19 at outside hospital", []string{"04/19"}, []string{"stent"}},
		{"CABG '98, PCI '05", []string{"'98", "'05"}, []string{"CABG", "PCI"}},
		{"seen on march 3 and jan 5th", []string{"march 3", "jan 5"}, nil},
		{"DOB 03MAR1951", []string{"03MAR1951"}, nil},
		{"admitted on the 3rd of June", []string{"3rd of June"}, nil},
	},
	"date-fp": {
		{"CPAP 5/5, PSV 10/5, PS 12/5/40%", nil, []string{"5/5", "10/5", "12/5/40%"}},
		{"voids 6-8 times, 4-5 L NC, pain scale 1-10", nil, []string{"6-8", "4-5", "1-10"}},
		{"D5 1/2 NS at 75, slept 3 1/2 hours", nil, []string{"1/2 NS", "3 1/2"}},
		{"motor 5/5, murmur 2/6, pain 8/10", nil, []string{"5/5", "2/6", "8/10"}},
		{"BP 120/80 HR 72", nil, []string{"120/80"}},
		{"volumes 150 120 1000 mL", nil, []string{"150 120 1000"}},
	},
	"phones": {
		{"call 312- 555- 0199", []string{"312", "0199"}, nil},
		{"home (312 555 0199) ok", []string{"312 555 0199"}, []string{"ok"}},
		{"312/555-0199", []string{"555-0199"}, nil},
		{"312.555.0199 x123", []string{"0199", "x123"}, nil},
		{"617-555-0100 ext. 12", []string{"0100", "12"}, nil},
		{"pager #12345", []string{"12345"}, nil},
		{"PG 54321 for questions", []string{"54321"}, nil},
		{"Called brother at 617 555 0134, no answer", []string{"555 0134"}, []string{"no answer"}},
	},
	"ages": {
		{"92 s/p hip fx", []string{"92"}, []string{"hip fx"}},
		{"94F with CHF", []string{"94"}, []string{"CHF"}},
		{"a ninety-two year old man", []string{"ninety-two"}, []string{"year old man"}},
		{"one hundred and one years old", []string{"one hundred and one"}, nil},
	},
	"age-fp": {
		{"95 mg daily", nil, []string{"95 mg"}},
		{"SpO2 94% RA", nil, []string{"94%"}},
	},
	"places": {
		{"lives in Framingham with wife", []string{"Framingham"}, []string{"lives in", "with wife"}},
		{"transferred to GH for cath", []string{"GH"}, []string{"transferred", "cath"}},
		{"came from St. Elsewhere yesterday", []string{"Elsewhere"}, []string{"yesterday"}},
		{"admitted to Lowell General Hospital", []string{"Lowell"}, nil},
		{"MOUNT AUBURN HOSPITAL ER", []string{"AUBURN"}, nil},
		{"moved from San Diego last year", []string{"San Diego"}, []string{"last year"}},
		{"vacation in Worcester", []string{"Worcester"}, nil},
		{"12 Elm Street\nApt 4B\nSpringfield, IL 62701", []string{"Elm", "4B", "Springfield", "62701"}, nil},
	},
	"place-fp": {
		{"transfer to ICU, then to floor", nil, []string{"ICU", "floor"}},
		{"3 WAY FOLEY IN PLACE", nil, []string{"3 WAY FOLEY IN PLACE"}},
		{"follow up in Cardiology Clinic", nil, []string{"Cardiology Clinic"}},
		{"ID: recommends vanco, day 3", nil, []string{"recommends vanco, day 3"}},
		{"at 10:30 and 14:45", nil, []string{"10:30", "14:45"}},
	},
}

func TestLayers(t *testing.T) {
	for group, cases := range layerCases {
		hit, total, fp, kt := checkPHI(t, group, cases)
		t.Logf("%-9s PHI found %d/%d, kept %d/%d", group, hit, total, kt-fp, kt)
	}
}

func TestLexiconLoad(t *testing.T) {
	l := loadLexicon()
	if l.n < 200000 {
		t.Fatalf("lexicon has %d entries", l.n)
	}
	if l.load > 2*time.Second {
		t.Errorf("lexicon load took %v", l.load)
	}
	t.Logf("lexicon: %d entries in %d slots, loaded in %v", l.n, len(l.slots), l.load)
}
