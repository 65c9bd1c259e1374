package text

import (
	"strings"
	"testing"
)

var sc = New(Options{})

type tcase struct {
	in, want string
}

func runTable(t *testing.T, cases []tcase) {
	t.Helper()
	for _, c := range cases {
		got := sc.ScrubString(c.in, nil, nil)
		if got != c.want {
			t.Errorf("Scrub(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestPhoneFax(t *testing.T) {
	runTable(t, []tcase{
		{"call (555) 555-1212 today", "call [PHONE] today"},
		{"cell 555-555-1212", "cell [PHONE]"},
		{"555.555.1212", "[PHONE]"},
		{"1-800-555-1212", "[PHONE]"},
		{"+1 (617) 555-0100", "[PHONE]"},
		{"+44 20 7946 0958", "[PHONE]"},
		{"tel 555-555-1212 x234 ok", "tel [PHONE] ok"},
		{"617-555-0100 ext. 12", "[PHONE]"},
		{"Fax: 555-555-1313", "Fax: [FAX]"},
		{"fax (555) 555-1313", "fax [FAX]"},
		{"phone 5555551212", "phone [PHONE]"},
		{"phone: 555-1212", "phone: [PHONE]"},
		{"Phone 555 555 1212", "Phone [PHONE]"},
	})
}

func TestSSN(t *testing.T) {
	runTable(t, []tcase{
		{"SSN 123-45-6789.", "SSN [SSN]."},
		{"123-45-6789", "[SSN]"},
		{"ssn: 123456789", "ssn: [SSN]"},
		{"Social Security Number 123 45 6789", "Social Security Number [SSN]"},
	})
}

func TestEmailURLIP(t *testing.T) {
	runTable(t, []tcase{
		{"mail john.smith@example.com.", "mail [EMAIL]."},
		{"<a_b+c@mail.example.org>", "<[EMAIL]>"},
		{"see https://portal.example.com/p?id=7 now", "see [URL] now"},
		{"(http://x.org/a/b).", "([URL])."},
		{"www.example.com/foo", "[URL]"},
		{"from 192.168.1.20 at", "from [IP] at"},
		{"ip fe80::1ff:fe23:4567:890a ok", "ip [IP] ok"},
		{"2001:0db8:85a3:0000:0000:8a2e:0370:7334", "[IP]"},
		{"::1", "[IP]"},
	})
}

func TestDates(t *testing.T) {
	runTable(t, []tcase{
		{"seen 1/2/2020 for", "seen [DATE] for"},
		{"01-02-20", "[DATE]"},
		{"2020-01-02", "[DATE]"},
		{"2020-01-02T13:45:00Z", "[DATE]"},
		{"on 20200102.", "on [DATE]."},
		{"collected 20200102134500 ok", "collected [DATE] ok"},
		{"20200102134500-0500", "[DATE]"},
		{"March 4, 2021", "[DATE]"},
		{"4th of March 2021", "[DATE]"},
		{"on Mar 4 we", "on [DATE] we"},
		{"in March 2021", "in [DATE]"},
		{"1 Jan 1978", "[DATE]"},
		{"04-Mar-2021", "[DATE]"},
		{"Jan. 5th, 2020", "[DATE]"},
		{"DOB 12/25", "DOB [DATE]"},
		{"since 03/2019", "since [DATE]"},
		{"in 2021 she", "in 2021 she"},
		{"at 10:30 am", "at 10:30 am"},
		{"you may 2 tabs", "you may 2 tabs"},
	})
}

func TestZIPAddress(t *testing.T) {
	runTable(t, []tcase{
		{"Boston, MA 02139", "[ADDRESS], MA [ZIP]"},
		{"Springfield, IL 62701-1234", "[ADDRESS], IL [ZIP]"},
		{"zip code 90210", "zip code [ZIP]"},
		{"lives at 123 Main St in", "lives at [ADDRESS] in"},
		{"45 Oak Avenue Apt 4, ", "[ADDRESS], "},
		{"1600 Pennsylvania Ave. NW", "[ADDRESS]. NW"},
		{"PO Box 1234", "[ADDRESS]"},
	})
}

func TestIDs(t *testing.T) {
	runTable(t, []tcase{
		{"MRN: 12345678", "MRN: [ID]"},
		{"MR# 556677", "MR# [ID]"},
		{"medical record number 0012345", "medical record number [ID]"},
		{"Acct #A-99812", "Acct #[ID]"},
		{"member id XJH123456789", "member id [ID]"},
		{"policy no. 55-1234", "policy no. [ID]"},
		{"license plate 7ABC123", "license plate [ID]"},
		{"VIN 1HGCM82633A004352", "VIN [ID]"},
		{"pacemaker serial PX44519", "pacemaker serial [DEVICE]"},
		{"ref 98765432", "ref [ID]"},
		{"NPI 1234567893", "NPI 1234567893"},
		{"Submitter Alt Patient ID: AltPID1234, next", "Submitter Alt Patient ID: [ID], next"},
		{"ID: AB1234", "ID: [ID]"},
		{"Patient ID PX-0042", "Patient ID [ID]"},
		{"Spoke with child Olga Bianchi (CHD) today", "Spoke with child [NAME] (CHD) today"},
		{"daughter Maria de la Cruz visited", "daughter [NAME] visited"},
		{"son Ali bin Hassan called", "son [NAME] called"},
		{"Spoke with sibling Callum Van der Berg at home", "Spoke with sibling [NAME] at home"},
	})
}

func TestAge(t *testing.T) {
	runTable(t, []tcase{
		{"92 year old male", "[AGE] year old male"},
		{"a 95-year-old woman", "a [AGE]-year-old woman"},
		{"92 yo F", "[AGE] yo F"},
		{"92yo", "[AGE]yo"},
		{"aged 95", "aged [AGE]"},
		{"age: 91", "age: [AGE]"},
		{"101 y.o.", "[AGE] y.o."},
		{"45 year old", "45 year old"},
		{"89 yo", "89 yo"},
		{"age 45", "age 45"},
	})
}

func TestNames(t *testing.T) {
	runTable(t, []tcase{
		{"seen by Dr. Smith today", "seen by Dr. [NAME] today"},
		{"Mr. John Smith presents", "Mr. [NAME] presents"},
		{"Mrs. O'Brien", "Mrs. [NAME]"},
		{"Ms. Mary-Kate Olsen", "Ms. [NAME]"},
		{"MISS JANE DOE", "MISS [NAME]"},
		{"Patient Jane Doe denies", "Patient [NAME] denies"},
		{"daughter Mary called", "daughter [NAME] called"},
		{"his wife, Anne, is", "his wife, [NAME], is"},
		{"son Robert J. Brown", "son [NAME]"},
		{"husband Tom", "husband [NAME]"},
		{"named Lucy", "named [NAME]"},
		{"signed by Alan Turing", "signed by [NAME]"},
		{"seen by Cardiology", "seen by Cardiology"},
		{"seen by Hematology", "seen by Hematology"}, // a service, in the allowlist
		{"John Smith, MD", "[NAME], MD"},
		{"Patient Name: Jane Roe", "Patient Name: [NAME]"},
		{"patient denies pain", "patient denies pain"},
		{"Mother Deceased", "Mother Deceased"},
		{"father has diabetes", "father has diabetes"},
	})
}

func TestClinicalSurvives(t *testing.T) {
	for _, s := range []string{
		"Hemoglobin 13.2 g/dL",
		"WBC 7.5 x10^3/uL",
		"Metformin 500 mg BID",
		"LOINC 2345-7 glucose",
		"glucose 2345-7",
		"ICD-10 E11.9",
		"SNOMED 44054006",
		"code 22298006 myocardial infarction",
		"BP 120/80 mmHg",
		"HR 72 bpm, SpO2 98%",
		"at 10:30 and 14:45:30",
		"in 2021",
		"45 year old male",
		"age 89",
		"Potassium 4.1 mmol/L (3.5-5.1)",
		"Platelets 250 x10^9/L",
		"take 1/2 tab",
		"A1c 7.2 %",
		"INR 2.5, PT 13.1 sec",
		"CA 19-9 35 U/mL",
		"CA 125 < 35",
		"HbA1c 6.5% on 3 meds",
		"Lisinopril 10 mg PO daily x 30 days",
		"ECOG 1; BMI 31.2 kg/m2",
		"Temp 98.6 F, RR 16",
		"Grade 2/4 murmur",
		"NDC 0002-3227-30",
		"eGFR >60 mL/min/1.73m2",
		"1,250 mL",
	} {
		if got := sc.ScrubString(s, nil, nil); got != s {
			t.Errorf("clinical text changed:\n in %q\nout %q", s, got)
		}
	}
}

func TestKnown(t *testing.T) {
	var k Known
	k.Add(Name, "May")
	k.Add(Name, "Will")
	k.Add(Name, "Mary Ann")
	k.Add(Address, "123 Main Street")
	k.Add(Address, "Springfield")
	k.Add(Date, "19780101")
	k.Add(Phone, "(555) 555-1212")
	k.Add(MRN, "AB12345")
	k.Add(Email, "mary@example.com")
	k.Add(SSN, "123-45-6789")
	cases := []tcase{
		{"Spoke with may today", "Spoke with [NAME] today"},
		{"Will called back", "[NAME] called back"},
		{"mary ann is here", "[NAME] is here"},
		{"Ann", "[NAME]"},
		{"lives at 123 MAIN STREET, springfield", "lives at [ADDRESS], [ADDRESS]"},
		{"dob 01/01/1978", "dob [DATE]"},
		{"1/1/1978", "[DATE]"},
		{"1978-01-01", "[DATE]"},
		{"January 1, 1978", "[DATE]"},
		{"Jan 1 1978", "[DATE]"},
		{"1 Jan 1978", "[DATE]"},
		{"x 01011978 y", "x [DATE] y"},
		{"(555) 555-1212", "[PHONE]"},
		{"555.555.1212", "[PHONE]"},
		{"5555551212", "[PHONE]"},
		{"555 555 1212", "[PHONE]"},
		{"+1 555-555-1212", "[PHONE]"},
		{"ref ab12345.", "ref [ID]."},
		{"123456789", "[SSN]"},
		{"Mayo clinic", "Mayo clinic"},
	}
	for _, c := range cases {
		var counts Counts
		got := sc.ScrubString(c.in, &k, &counts)
		if got != c.want {
			t.Errorf("Scrub(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	var counts Counts
	sc.ScrubString("Will and May: 555.555.1212, SSN 123-45-6789, 01/01/1978, MRN AB12345", &k, &counts)
	want := Counts{Name: 2, Phone: 1, SSN: 1, Date: 1, MRN: 1}
	if counts != want {
		t.Errorf("counts = %v, want %v", counts, want)
	}
	k.Reset()
	if got := sc.ScrubString("Will called", &k, nil); got != "Will called" {
		t.Errorf("after Reset: %q", got)
	}
}

func TestCounts(t *testing.T) {
	var c Counts
	out := sc.ScrubString("Dr. Smith saw pt on 3/4/2021, call 555-555-1212, fax 555-555-1313, "+
		"john@x.org, 192.168.0.1, MRN 1234567, 93 yo, Boston, MA 02139", nil, &c)
	want := Counts{Name: 1, Date: 1, Phone: 1, Fax: 1, Email: 1, IP: 1, MRN: 1, Age: 1, Address: 1, ZIP: 1}
	if c != want {
		t.Errorf("counts = %v\nwant %v\nout %q", c, want, out)
	}
	if strings.Contains(out, "Smith") || strings.Contains(out, "1234567") {
		t.Errorf("PHI left: %q", out)
	}
	for cat := Category(0); cat < NumCategories; cat++ {
		if cat.String() == "" || cat.String() == "invalid" || !strings.HasPrefix(cat.Tag(), "[") || len(cat.Tag()) > MaxTagLen {
			t.Errorf("category %d: %q %q", cat, cat.String(), cat.Tag())
		}
	}
}

func TestIdempotent(t *testing.T) {
	for _, s := range noteSamples() {
		once := sc.ScrubString(s, nil, nil)
		twice := sc.ScrubString(once, nil, nil)
		if once != twice {
			t.Errorf("not idempotent:\n1 %q\n2 %q", once, twice)
		}
	}
}
