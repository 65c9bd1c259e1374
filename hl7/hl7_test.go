package hl7

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

const adt = "MSH|^~\\&|SEND|FAC|RECV|RFAC|20260301120000||ADT^A01^ADT_A01|MSG001|P|2.5.1\r" +
	"EVN|A01|20260301120000\r" +
	"PID|1||12345^^^HOSP^MR~999-88-7777^^^SSA^SS||DOE^JOHN^A||19800101|M|||1 MAIN ST^^SPRINGFIELD^IL^62701||(217)555-1212\r" +
	"OBX|1|NM|2345-7^Glucose^LN||95|mg/dL\r" +
	"OBX|2|TX|NOTE||line one\\.br\\line two\r" +
	"OBX|3|ST|X||a \\F\\ b\r"

func mustParse(t *testing.T, s string) *Message {
	t.Helper()
	m, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return m
}

func TestGetPaths(t *testing.T) {
	m := mustParse(t, adt)
	cases := []struct{ path, want string }{
		{"MSH-1", "|"},
		{"MSH-2", "^~\\&"},
		{"MSH-3", "SEND"},
		{"MSH-9", "ADT^A01^ADT_A01"},
		{"MSH-9.2", "A01"},
		{"MSH-12", "2.5.1"},
		{"PID-3", "12345^^^HOSP^MR"},
		{"PID-3.1", "12345"},
		{"PID-3[2].1", "999-88-7777"},
		{"PID-3[2].4", "SSA"},
		{"PID-3[3].1", ""},
		{"PID-5.1", "DOE"},
		{"PID-5.2", "JOHN"},
		{"PID-11.3", "SPRINGFIELD"},
		{"PID-11.5", "62701"},
		{"PID-99", ""},
		{"OBX[2]-5", "line one\nline two"},
		{"OBX[3]-5", "a | b"},
		{"OBX[1]-3.1", "2345-7"},
		{"OBX-2", "NM"},
	}
	for _, c := range cases {
		got, err := m.Get(c.path)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s = %q, want %q", c.path, got, c.want)
		}
	}
	raw, _ := m.GetRaw(MustParsePath("PID-3"))
	if string(raw) != "12345^^^HOSP^MR~999-88-7777^^^SSA^SS" {
		t.Errorf("GetRaw PID-3 = %q", raw)
	}
	if _, err := m.Get("NK1-2"); !errors.Is(err, ErrNoSegment) {
		t.Errorf("missing segment: %v", err)
	}
	typ, ev := m.Type()
	if typ != "ADT" || ev != "A01" || m.ControlID() != "MSG001" || m.Version() != "2.5.1" {
		t.Errorf("header: %s %s %s %s", typ, ev, m.ControlID(), m.Version())
	}
	if n := 0; true {
		for range m.Segments("OBX") {
			n++
		}
		if n != 3 {
			t.Errorf("OBX count %d", n)
		}
	}
}

func TestParsePath(t *testing.T) {
	good := map[string]Path{
		"PID":        {Segment: "PID"},
		"OBX[2]":     {Segment: "OBX", Occurrence: 2},
		"PID-5":      {Segment: "PID", Field: 5},
		"PID-5.1":    {Segment: "PID", Field: 5, Comp: 1},
		"PID-3[2].1": {Segment: "PID", Field: 3, Rep: 2, Comp: 1},
		"OBX[3]-5":   {Segment: "OBX", Occurrence: 3, Field: 5},
		"PID-3.4.1":  {Segment: "PID", Field: 3, Comp: 4, Sub: 1},
		"ZX1-2":      {Segment: "ZX1", Field: 2},
	}
	for s, want := range good {
		p, err := ParsePath(s)
		if err != nil || p != want {
			t.Errorf("%s: got %+v, %v", s, p, err)
		}
		if p.String() != s {
			t.Errorf("String(%s) = %s", s, p.String())
		}
	}
	for _, s := range []string{"", "PI", "pid-5", "PID-", "PID-0", "PID-5.", "PID-5.0", "PID[0]-1", "PID-5[x]", "PID-5.1.2.3", "PID-5x", "PID-9999999", "PID-3[2"} {
		if _, err := ParsePath(s); !errors.Is(err, ErrBadPath) {
			t.Errorf("%q: want ErrBadPath, got %v", s, err)
		}
	}
}

func TestEscapeTable(t *testing.T) {
	d := DefaultDelims
	d.Truncation = '#'
	cases := []struct{ raw, decoded string }{
		{`a\F\b`, "a|b"},
		{`a\S\b`, "a^b"},
		{`a\T\b`, "a&b"},
		{`a\R\b`, "a~b"},
		{`a\E\b`, `a\b`},
		{`a\P\b`, "a#b"},
		{`x\.br\y`, "x\ny"},
		{`\X41\`, "A"},
		{`\XC3A9\`, "é"},
		{`\H\bold\N\`, `\H\bold\N\`},       // formatting kept
		{`\.sp2\`, `\.sp2\`},               // formatting kept
		{`\Zfoo\`, `\Zfoo\`},               // custom kept
		{`\C2842\`, `\C2842\`},             // charset kept
		{`tail\`, `tail\`},                 // lone escape kept
		{`\Q\`, `\Q\`},                     // unknown kept
		{`\X4\`, `\X4\`},                   // odd hex kept
		{`plain text`, "plain text"},       // nothing to do
		{`\F\\S\\T\\R\\E\`, "|^&~\\"},      // adjacent sequences
		{`ü and 日本`, "ü and 日本"},           // UTF-8 passes through
		{`C:\E\temp\E\x`, `C:\temp\x`},     // escaped backslashes
		{`\X0D0A\`, "\r\n"},                // hex CR LF
		{`a\.br\\.br\b`, "a\n\nb"},         // two breaks
		{`end\.br\`, "end\n"},              // trailing break
		{`\E\H\E\`, `\H\`},                 // literal \H\ text decodes to \H\
		{`100\T\200`, "100&200"},           // component text
		{`\S\\S\`, "^^"},                   // repeated
		{`x\Xzz\y`, `x\Xzz\y`},             // bad hex kept
		{`\`, `\`},                         // only escape
		{`\\`, `\\`},                       // empty sequence kept
		{`50\E\`, `50\`},                   // trailing escaped backslash
		{`#hash`, "#hash"},                 // truncation char as data (unescaped input)
		{`\.br\`, "\n"},                    // only a break
		{`tab	x`, "tab\tx"},                // tab kept
		{`\X00\`, "\x00"},                  // NUL via hex
		{`\XFF\`, "\xff"},                  // raw byte
		{`\.in+4\`, `\.in+4\`},             // indent kept
		{`\M2842ab\`, `\M2842ab\`},         // multibyte charset kept
		{`\.ce\centered`, `\.ce\centered`}, // centre kept
	}
	for _, c := range cases {
		got := string(d.AppendUnescaped(nil, []byte(c.raw)))
		if got != c.decoded {
			t.Errorf("unescape %q = %q, want %q", c.raw, got, c.decoded)
		}
	}
	// encoding: delimiters and breaks are escaped, formatting passes through,
	// and decoding the encoding gives the value back
	enc := []struct{ plain, want string }{
		{"a|b^c&d~e\\f#g", `a\F\b\S\c\T\d\R\e\E\f\P\g`},
		{"line1\nline2", `line1\.br\line2`},
		{"crlf\r\nx", `crlf\.br\x`},
		{"cr\rx", `cr\X0D\x`},
		{`\H\bold\N\`, `\H\bold\N\`},
		{`\F\`, `\E\F\E\`},
		{`C:\temp\x`, `C:\E\temp\E\x`},
		{"O'Brien", "O'Brien"},
	}
	for _, c := range enc {
		got, ok := d.AppendEscaped(nil, c.plain)
		if !ok || string(got) != c.want {
			t.Errorf("escape %q = %q (%v), want %q", c.plain, got, ok, c.want)
		}
	}
	for _, plain := range []string{"a|b^c&d~e\\f#g", "x\ny", "C:\\temp\\x", "\\F\\", "ümlaut|"} {
		e, _ := d.AppendEscaped(nil, plain)
		if back := string(d.AppendUnescaped(nil, e)); back != plain && !strings.Contains(plain, "\r") {
			t.Errorf("round trip %q -> %q -> %q", plain, e, back)
		}
	}
}

func TestDelimiterCases(t *testing.T) {
	cases := []struct {
		name, msg string
		want      Delims
		err       error
	}{
		{"default", "MSH|^~\\&|A\r", Delims{'|', '^', '~', '\\', '&', 0}, nil},
		{"v2.7 truncation", "MSH|^~\\&#|A\r", Delims{'|', '^', '~', '\\', '&', '#'}, nil},
		{"custom", "MSH#!@%*#A\r", Delims{'#', '!', '@', '%', '*', 0}, nil},
		{"doubled backslash", "MSH|^~\\\\&|A\r", Delims{'|', '^', '~', '\\', '&', 0}, nil},
		{"short MSH-2", "MSH|^~|A\r", Delims{'|', '^', '~', 0, 0, 0}, nil},
		{"no following field", "MSH|^~\\&", Delims{}, ErrTruncated},
		{"truncated after MSH", "MSH", Delims{}, ErrTruncated},
		{"empty MSH-2", "MSH||A\r", Delims{}, ErrTruncated},
		{"duplicates", "MSH|&&&&|A\r", Delims{}, ErrBadDelimiters},
		{"one encoding char", "MSH|^|\\&|A\r", Delims{'|', '^', 0, 0, 0, 0}, nil},
		{"alnum separator", "MSHA^~\\&A\r", Delims{}, ErrBadDelimiters},
		{"alnum encoding", "MSH|^~a&|\r", Delims{}, ErrBadDelimiters},
		{"six chars", "MSH|^~\\&#$|\r", Delims{}, ErrBadDelimiters},
		{"space separator", "MSH ^~\\& A\r", Delims{}, ErrBadDelimiters},
	}
	for _, c := range cases {
		m, err := Parse([]byte(c.msg))
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: want %v, got %v", c.name, c.err, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if m.Delims() != c.want {
			t.Errorf("%s: delims %+v, want %+v", c.name, m.Delims(), c.want)
		}
		if !bytes.Equal(m.Bytes(), []byte(c.msg)) {
			t.Errorf("%s: round trip", c.name)
		}
	}
}

func TestEditCustomDelimiters(t *testing.T) {
	src := "MSH#!@%*#SENDER#FAC#RECV#FAC#20260301120000##ADT!A01#MSG007#P#2.5\r" +
		"PID#1##12345!!!MRN##DOE!JOHN!A##19800101#M\r"
	m := mustParse(t, src)
	if got, _ := m.Get("PID-5.1"); got != "DOE" {
		t.Fatalf("PID-5.1 = %q", got)
	}
	// a value full of this message's delimiters, and of the usual ones
	if err := m.Set("PID-5.1", "O#Brien!Smith@x%y*z|^~\\&"); err != nil {
		t.Fatal(err)
	}
	if err := m.Set("PID-5.2", "Mary Ann"); err != nil {
		t.Fatal(err)
	}
	out := m.Bytes()
	want := "MSH#!@%*#SENDER#FAC#RECV#FAC#20260301120000##ADT!A01#MSG007#P#2.5\r" +
		"PID#1##12345!!!MRN##O%F%Brien%S%Smith%R%x%E%y%T%z|^~\\&!Mary Ann!A##19800101#M\r"
	if string(out) != want {
		t.Fatalf("edited:\n%q\nwant\n%q", out, want)
	}
	// the output is valid ER7 with the same delimiters and reads back the same
	m2, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Delims() != m.Delims() {
		t.Fatalf("delimiters changed")
	}
	if got, _ := m2.Get("PID-5.1"); got != "O#Brien!Smith@x%y*z|^~\\&" {
		t.Fatalf("read back %q", got)
	}
	if got, _ := m2.Get("PID-7"); got != "19800101" {
		t.Fatalf("PID-7 moved: %q", got)
	}
}

func TestEdits(t *testing.T) {
	m := mustParse(t, adt)
	steps := []struct {
		op, path, val string
	}{
		{"set", "PID-5", "ROE^JANE"},        // escaped: one component
		{"raw", "PID-6", "SMITH^MARY"},      // raw keeps structure
		{"set", "PID-3[2].1", "XXX"},        // second repetition
		{"set", "PID-3[3].1", "NEW"},        // new repetition padded
		{"set", "PID-11.9", "COUNTY"},       // new component padded
		{"set", "PID-3.4.2", "1.2.3"},       // subcomponent
		{"set", "PID-40", "far"},            // new field padded
		{"clear", "PID-13", ""},             // cleared
		{"set", "ZZZ-1", "nope"},            // no such segment
		{"set", "MSH-2", "x"},               // read-only
		{"set", "MSH-1", "x"},               // read-only
		{"raw", "PID-4", "a|b"},             // field separator refused
		{"raw", "PID-4.1", "a^b"},           // component separator refused at component level
		{"set", "OBX[2]-5", "new\nnote"},    // break escaped
		{"clear", "PID-11.5", ""},           // component cleared
		{"set", "EVN-2", "2026"},            // shorten
		{"clear", "PID-3[2]", ""},           // clear a repetition
		{"set", "PID-5.2", "Ann"},           // after earlier edit
		{"clear", "PID-99", ""},             // clear absent: no-op
		{"set", "OBX[9]-1", "x"},            // missing occurrence
		{"set", "MSH-10", "ID^WITH^CARETS"}, // MSH fields escape too
	}
	for _, s := range steps {
		var err error
		switch s.op {
		case "set":
			err = m.Set(s.path, s.val)
		case "raw":
			err = m.SetRaw(s.path, []byte(s.val))
		case "clear":
			err = m.Clear(s.path)
		}
		wantErr := strings.HasPrefix(s.path, "ZZZ") || s.path == "MSH-1" || s.path == "MSH-2" || s.val == "a|b" || s.val == "a^b" || s.path == "OBX[9]-1"
		if (err != nil) != wantErr {
			t.Errorf("%s %s: err %v", s.op, s.path, err)
		}
	}
	out := string(m.Bytes())
	want := "MSH|^~\\&|SEND|FAC|RECV|RFAC|20260301120000||ADT^A01^ADT_A01|ID\\S\\WITH\\S\\CARETS|P|2.5.1\r" +
		"EVN|A01|2026\r" +
		"PID|1||12345^^^HOSP&1.2.3^MR~~NEW||ROE\\S\\JANE^Ann|SMITH^MARY|19800101|M|||1 MAIN ST^^SPRINGFIELD^IL^^^^^COUNTY" + strings.Repeat("|", 29) + "far\r" +
		"OBX|1|NM|2345-7^Glucose^LN||95|mg/dL\r" +
		"OBX|2|TX|NOTE||new\\.br\\note\r" +
		"OBX|3|ST|X||a \\F\\ b\r"
	if out != want {
		t.Fatalf("got\n%q\nwant\n%q", out, want)
	}
	if _, err := Parse([]byte(out)); err != nil {
		t.Fatal(err)
	}
}

func TestSegmentOps(t *testing.T) {
	m := mustParse(t, adt)
	if err := m.DeleteSegment("OBX[2]"); err != nil {
		t.Fatal(err)
	}
	if err := m.AppendSegment([]byte("ZPI|1|x")); err != nil {
		t.Fatal(err)
	}
	m.DeleteSegments(func(s Segment) bool { return s.Is("EVN") })
	if err := m.DeleteSegmentAt(0); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("deleting MSH: %v", err)
	}
	if err := m.AppendSegment([]byte("bad|x")); !errors.Is(err, ErrBadSegmentName) {
		t.Fatalf("bad name: %v", err)
	}
	var names []string
	for s := range m.Segments("") {
		names = append(names, s.Name())
	}
	if strings.Join(names, ",") != "MSH,PID,OBX,OBX,ZPI" {
		t.Fatalf("segments %v", names)
	}
	if got, _ := m.Get("OBX[2]-5"); got != "a | b" {
		t.Fatalf("OBX[2]-5 = %q", got)
	}
	out := m.Bytes()
	if !bytes.HasSuffix(out, []byte("\rZPI|1|x\r")) {
		t.Fatalf("tail %q", out[len(out)-20:])
	}
	// terminators: an unterminated last segment stays unterminated
	m = mustParse(t, "MSH|^~\\&|A\nPID|1\nPV1|1")
	_ = m.DeleteSegment("PV1")
	if string(m.Bytes()) != "MSH|^~\\&|A\nPID|1" {
		t.Fatalf("terminators %q", m.Bytes())
	}
}

func TestLineEndingsAndBOM(t *testing.T) {
	for _, src := range []string{
		"MSH|^~\\&|A\rPID|1|x\r",
		"MSH|^~\\&|A\nPID|1|x\n",
		"MSH|^~\\&|A\r\nPID|1|x\r\n",
		"\xEF\xBB\xBFMSH|^~\\&|A\rPID|1|x",
		"MSH|^~\\&|A\rPID|1|x\r\r\n\n",
	} {
		m := mustParse(t, src)
		if m.NumSegments() != 2 {
			t.Errorf("%q: %d segments", src, m.NumSegments())
		}
		if got, _ := m.Get("PID-2"); got != "x" {
			t.Errorf("%q: PID-2 %q", src, got)
		}
		if string(m.Bytes()) != src {
			t.Errorf("%q: round trip", src)
		}
		_ = m.Set("PID-2", "y")
		want := strings.Replace(src, "|x", "|y", 1)
		if string(m.Bytes()) != want {
			t.Errorf("%q: edited %q", src, m.Bytes())
		}
	}
}

// secret is a distinctive value planted in malformed inputs: it must never
// appear in an error message.
const secret = "QUIMBLETON"

func TestMalformedInputErrors(t *testing.T) {
	big := "MSH|^~\\&|A\rPID|1||" + strings.Repeat(secret, 100<<20/len(secret)) + "\r"
	cases := []struct {
		name string
		in   string
		err  error
	}{
		{"empty", "", ErrEmpty},
		{"blank", "\r\n  \r", ErrEmpty},
		{"no MSH", "PID|1||" + secret + "\r", ErrNoMSH},
		{"junk", "\x00\x01\x02" + secret, ErrNoMSH},
		{"binary", string([]byte{0xff, 0xfe, 0x00, 'M', 'S', 'H'}) + secret, ErrNoMSH},
		{"truncated MSH-2", "MSH|^~" + secret, ErrTruncated},
		{"truncated MSH-2 short", "MSH|^~", ErrTruncated},
		{"bad segment name", "MSH|^~\\&|A\r" + secret + "|1\r", ErrBadSegmentName},
		{"lowercase segment", "MSH|^~\\&|A\rpid|" + secret + "\r", ErrBadSegmentName},
		{"blank line inside", "MSH|^~\\&|A\r\rPID|" + secret + "\r", ErrBadSegmentName},
		{"segment name too long", "MSH|^~\\&|A\rPIDX|" + secret + "\r", ErrBadSegmentName},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.in))
		if !errors.Is(err, c.err) {
			t.Errorf("%s: want %v, got %v", c.name, c.err, err)
			continue
		}
		var he *Error
		if !errors.As(err, &he) {
			t.Errorf("%s: not an *Error: %T", c.name, err)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "QUIMB") {
			t.Errorf("%s: error leaks content: %s", c.name, err)
		}
		if he != nil && he.Offset < 0 {
			t.Errorf("%s: no position: %s", c.name, err)
		}
	}
	// a 100 MB field parses (the limit belongs to the stream reader) and is reachable
	m, err := Parse([]byte(big))
	if err != nil {
		t.Fatalf("100 MB field: %v", err)
	}
	if raw, _ := m.GetRaw(MustParsePath("PID-3")); len(raw) < 100<<20-len(secret) {
		t.Fatalf("100 MB field length %d", len(raw))
	}
	// ... and the stream reader refuses it cleanly with its limit, then goes on
	sc := NewScanner(strings.NewReader(big+"MSH|^~\\&|B\rPID|2\r"), 1<<20)
	_, err = sc.Next()
	if !errors.Is(err, ErrTooLarge) || strings.Contains(err.Error(), secret) {
		t.Fatalf("scanner on 100 MB field: %v", err)
	}
	msg, err := sc.Next()
	if err != nil || !strings.HasPrefix(string(msg), "MSH|^~\\&|B") {
		t.Fatalf("message after oversized one: %q %v", msg, err)
	}
}

// TestFieldIndexPartial: fields read in any order, interleaved across
// segments and with edits (the index is built only as far as asked and
// resumed later), equal a plain split of the segment.
func TestFieldIndexPartial(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 300; round++ {
		var lines []string
		lines = append(lines, "MSH|^~\\&|A|B|C|D|2024||ORU^R01|1|P|2.5.1"+strings.Repeat("|x", r.IntN(30)))
		for s := 0; s < 1+r.IntN(6); s++ {
			n := r.IntN(60)
			f := make([]string, n)
			for j := range f {
				f[j] = strconv.Itoa(s) + "." + strconv.Itoa(j) + strings.Repeat("v", r.IntN(12))
			}
			lines = append(lines, strings.Join(append([]string{"OBX"}, f...), "|"))
		}
		m, err := Parse([]byte(strings.Join(lines, "\r")))
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 200; k++ {
			i := r.IntN(m.NumSegments())
			seg := m.Segment(i)
			want := strings.Split(string(seg.Bytes()), "|")
			if i == 0 {
				want = append([]string{"MSH", "|"}, want[1:]...)
			}
			n := r.IntN(len(want) + 3)
			if n == 0 {
				n = 1
			}
			got, w := string(seg.Field(n)), ""
			if n < len(want) {
				w = want[n]
			}
			if got != w {
				t.Fatalf("round %d segment %d field %d: %q, want %q", round, i, n, got, w)
			}
			if r.IntN(10) == 0 { // NumFields indexes the whole segment: only sometimes
				if nf := seg.NumFields(); nf != len(want)-1 {
					t.Fatalf("round %d segment %d: NumFields %d, want %d", round, i, nf, len(want)-1)
				}
			}
			if i > 0 && r.IntN(20) == 0 {
				if err := seg.SetField(1+r.IntN(8), []byte("e")); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
