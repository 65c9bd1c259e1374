package eval

import (
	"bytes"
	"strings"
	"testing"
)

// note text with non-ASCII characters before the spans, so character and
// byte offsets differ
const accText = "Pt José Müller, née Ñúñez, seen 3/14 at Saint-Étienne Hospital. Call (312) 555-0199."

func goldTexts(n Note) []string {
	var out []string
	for _, m := range n.Gold {
		var parts []string
		for _, p := range m.Parts {
			parts = append(parts, n.Text[p.Start:p.End])
		}
		out = append(out, string(m.Cat)+":"+strings.Join(parts, "|"))
	}
	return out
}

func wantGold(t *testing.T, n Note, want ...string) {
	t.Helper()
	got := goldTexts(n)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("gold spans:\n got %q\nwant %q", got, want)
	}
}

func TestBRATCharacterOffsetsAndDiscontinuous(t *testing.T) {
	// character offsets: "José" starts at 3 and ends at 7 (5 bytes in UTF-8)
	ann := "T1\tPATIENT 3 7;8 14\tJosé Müller\n" +
		"R1\tRel Arg1:T1 Arg2:T2\n" +
		"#1\tAnnotatorNotes T1\tnote\n" +
		"T2\tNAME 20 25\tÑúñez\n" +
		"T3\tDATE 32 36\t3/14\n" +
		"T4\tHOSPITAL 40 62\tSaint-Étienne Hospital\r\n" +
		"T5\tPHONE 69 83\t(312) 555-0199\n"
	n, err := ParseBRAT("a.txt", []byte(accText), "a.ann", []byte(ann), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantGold(t, n, "name:José|Müller", "name:Ñúñez", "date:3/14", "hospital:Saint-Étienne Hospital", "phone:(312) 555-0199")
}

func TestBRATErrors(t *testing.T) {
	for _, c := range []struct{ ann, want string }{
		{"T1\tNAME 3 x\tJosé", "a.ann:1: annotation T1: offsets are not integers"},
		{"\nT1\tNAME 3 9\tJosé", "a.ann:2: the annotation's text does not match"},
		{"T1\tNAME 3 800\tJosé", "a.ann:1: offsets 3-800 beyond the end of the text"},
		{"T1\tNAME 8 3\tJosé", "a.ann:1: bad offsets 8-3"},
		{"T1\tNAME", "a.ann:1: annotation T1: missing label or offsets"},
		{"T1", "a.ann:1: text-bound annotation needs"},
		{"T1\tNAME 3 4 5\tx", "a.ann:1: annotation T1: offsets must be START END pairs"},
	} {
		_, err := ParseBRAT("a.txt", []byte(accText), "a.ann", []byte(c.ann), nil)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %s...", c.ann, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "José") {
			t.Errorf("error discloses note text: %v", err)
		}
	}
}

func TestI2B2(t *testing.T) {
	x := "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<deIdi2b2>\n<TEXT><![CDATA[" + accText + "\nAge: 93. Dr. Ng. RN. Boston, MA. 2019.\n]]></TEXT>\n<TAGS>\n" +
		`<NAME id="P0" start="3" end="14" text="José Müller" TYPE="PATIENT" comment="" />` + "\n" +
		`<DATE id="P1" start="32" end="36" text="3/14" TYPE="DATE" comment="" />` + "\n" +
		`<LOCATION id="P2" start="40" end="62" text="Saint-Étienne Hospital" TYPE="HOSPITAL" comment="" />` + "\n" +
		`<CONTACT id="P3" start="69" end="83" text="(312) 555-0199" TYPE="PHONE" comment="" />` + "\n" +
		`<AGE id="P4" start="90" end="92" text="93" TYPE="AGE" comment="" />` + "\n" +
		`<NAME id="P5" start="98" end="100" text="Ng" TYPE="DOCTOR" comment="" />` + "\n" +
		`<PROFESSION id="P6" start="102" end="104" text="RN" TYPE="PROFESSION" comment="" />` + "\n" +
		`<LOCATION id="P7" start="106" end="112" text="Boston" TYPE="CITY" comment="" />` + "\n" +
		`<LOCATION id="P8" start="114" end="116" text="MA" TYPE="STATE" comment="" />` + "\n" +
		`<DATE id="P9" start="118" end="122" text="2019" TYPE="DATE" comment="" />` + "\n" +
		"</TAGS>\n</deIdi2b2>\n"
	n, err := ParseI2B2("r.xml", []byte(x), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantGold(t, n, "name:José Müller", "date:3/14", "hospital:Saint-Étienne Hospital", "phone:(312) 555-0199",
		"age:93", "provider_name:Ng", "profession:RN", "address:Boston", "state:MA", "year:2019")

	bad := strings.Replace(x, `start="32" end="36"`, `start="33" end="37"`, 1)
	if _, err := ParseI2B2("r.xml", []byte(bad), nil); err == nil || !strings.HasPrefix(err.Error(), "r.xml:8: the annotation's text does not match") {
		t.Fatalf("mismatch: %v", err)
	}
	if _, err := ParseI2B2("r.xml", []byte(x[:len(x)-20]), nil); err == nil || !strings.HasPrefix(err.Error(), "r.xml:") {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := ParseI2B2("r.xml", []byte("<a><b/></a>"), nil); err == nil || !strings.Contains(err.Error(), "no <TEXT>") {
		t.Fatalf("no TEXT: %v", err)
	}
}

func TestJSONL(t *testing.T) {
	src := `{"id":"n1","text":"Pt José Müller seen 3/14","spans":[{"start":3,"end":14,"label":"PATIENT","text":"José Müller"},{"start":20,"end":24,"label":"DATE"}]}` + "\n\n" +
		`{"text":"age 92, aged 45","spans":[{"start":4,"end":6,"label":"AGE"},{"start":13,"end":15,"label":"AGE"},{"start":0,"end":3,"label":"WEIRD"}]}` + "\n"
	var notes []Note
	unknown := map[string]int{}
	if err := ParseJSONL("g.jsonl", []byte(src), unknown, func(n Note) error { notes = append(notes, n); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(notes) != 2 || notes[1].ID != "g.jsonl:3" {
		t.Fatalf("notes %d, second id %q", len(notes), notes[1].ID)
	}
	wantGold(t, notes[0], "name:José Müller", "date:3/14")
	wantGold(t, notes[1], "age:92", "age_under_90:45", "other:age")
	if unknown["WEIRD"] != 1 {
		t.Fatalf("unknown labels %v", unknown)
	}
	for _, c := range []struct{ line, want string }{
		{`{"text":"abc","spans":[{"start":0,"end":9,"label":"NAME"}]}`, "g.jsonl:1: spans[0]: offsets 0-9 beyond"},
		{`{"text":"abc","spans":[{"start":0,"label":"NAME"}]}`, "g.jsonl:1: spans[0]: needs start, end and label"},
		{`{"spans":[]}`, `g.jsonl:1: missing "text"`},
		{`{"text":"abc",`, "g.jsonl:1: not a JSON object"},
		{`{"text":"secret","spans":"x"}`, "g.jsonl:1: not a JSON object with text and spans: field spans has the wrong type"},
		{`{"text":"abc","spans":[{"start":0,"end":2,"label":"NAME","text":"xy"}]}`, "g.jsonl:1: spans[0]: the annotation's text does not match"},
	} {
		err := ParseJSONL("g.jsonl", []byte(c.line), nil, func(Note) error { return nil })
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %s", c.line, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error discloses text: %v", err)
		}
	}
}

// The writers produce what the readers read back, for all three formats.
func TestWriteReadRoundTrip(t *testing.T) {
	n, err := ParseBRAT("a.txt", []byte(accText), "a.ann", []byte("T1\tPATIENT 3 7;8 14\tJosé Müller\nT2\tDATE 32 36\t3/14\nT3\tPHONE 69 83\t(312) 555-0199\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteBRATAnn(&b, n); err != nil {
		t.Fatal(err)
	}
	n2, err := ParseBRAT("a.txt", []byte(n.Text), "a.ann", b.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantGold(t, n2, goldTexts(n)...)
	b.Reset()
	if err := WriteI2B2(&b, n); err != nil {
		t.Fatal(err)
	}
	n3, err := ParseI2B2("a.xml", b.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantGold(t, n3, "name:José", "name:Müller", "date:3/14", "phone:(312) 555-0199")
	b.Reset()
	if err := WriteJSONL(&b, []Note{n}); err != nil {
		t.Fatal(err)
	}
	var n4 Note
	if err := ParseJSONL("a.jsonl", b.Bytes(), nil, func(x Note) error { n4 = x; return nil }); err != nil {
		t.Fatal(err)
	}
	wantGold(t, n4, "name:José", "name:Müller", "date:3/14", "phone:(312) 555-0199")
}
