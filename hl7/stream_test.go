package hl7

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func scanAll(t *testing.T, r io.Reader, max int) (msgs []string, errs []error) {
	t.Helper()
	sc := NewScanner(r, max)
	for i := 0; i < 1000; i++ {
		m, err := sc.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		msgs = append(msgs, string(m))
	}
	t.Fatal("scanner did not end")
	return
}

func TestScannerShapes(t *testing.T) {
	m1 := "MSH|^~\\&|A|||||ADT^A01|1|P|2.5\rPID|1\r"
	m2 := "MSH|^~\\&|B|||||ADT^A01|2|P|2.5\rPID|2\r"
	cases := []struct {
		name, in string
		want     []string
		nerr     int
	}{
		{"two messages", m1 + m2, []string{m1, m2}, 0},
		{"blank lines between", m1 + "\r\n\r\n" + m2 + "\n\n", []string{m1, m2 + "\n"}, 0},
		{"LF", strings.ReplaceAll(m1+m2, "\r", "\n"), []string{strings.ReplaceAll(m1, "\r", "\n"), strings.ReplaceAll(m2, "\r", "\n")}, 0},
		{"CRLF", strings.ReplaceAll(m1+m2, "\r", "\r\n"), []string{strings.ReplaceAll(m1, "\r", "\r\n"), strings.ReplaceAll(m2, "\r", "\r\n")}, 0},
		{"BOM", "\xEF\xBB\xBF" + m1, []string{m1}, 0},
		{"batch envelope", "FHS|^~\\&|X\rBHS|^~\\&|X\r" + m1 + m2 + "BTS|2\rFTS|1\r", []string{m1, m2}, 0},
		{"MLLP bytes in file", "\x0b" + m1 + "\x1c\r\x0b" + m2 + "\x1c\r", []string{m1, m2}, 0},
		{"garbage first", "hello\rworld\r" + m1, []string{m1}, 1},
		{"garbage between", m1 + "junk line\r" + m2, []string{m1 + "junk line\r", m2}, 0},
		{"no terminator at end", m1 + strings.TrimSuffix(m2, "\r"), []string{m1, strings.TrimSuffix(m2, "\r")}, 0},
		{"only garbage", "nothing here", nil, 1},
		{"empty", "", nil, 0},
	}
	for _, c := range cases {
		for _, slow := range []bool{false, true} {
			var r io.Reader = strings.NewReader(c.in)
			if slow {
				r = iotest.OneByteReader(r)
			}
			msgs, errs := scanAll(t, r, 0)
			if strings.Join(msgs, "\x00") != strings.Join(c.want, "\x00") || len(errs) != c.nerr {
				t.Errorf("%s (one byte reads %v): got %q errs %v", c.name, slow, msgs, errs)
			}
			for _, e := range errs {
				if !errors.Is(e, ErrNoMSH) {
					t.Errorf("%s: error class %v", c.name, e)
				}
			}
		}
	}
	// "garbage between" is part of the first message as far as the splitter
	// knows (it is a line inside a message); Parse then rejects it with its position.
	if _, err := Parse([]byte(m1 + "junk line\r")); !errors.Is(err, ErrBadSegmentName) {
		t.Fatalf("junk segment: %v", err)
	}
}

func TestScannerTooLarge(t *testing.T) {
	small := "MSH|^~\\&|A\rPID|1\r"
	big := "MSH|^~\\&|B\r" + strings.Repeat("OBX|1|TX|||"+strings.Repeat("x", 100)+"\r", 100)
	msgs, errs := scanAll(t, strings.NewReader(small+big+small), 1000)
	if len(msgs) != 2 || len(errs) != 1 || !errors.Is(errs[0], ErrTooLarge) {
		t.Fatalf("got %d msgs, errs %v", len(msgs), errs)
	}
	var e *Error
	if !errors.As(errs[0], &e) || e.Message != 2 || e.Offset != len(small) {
		t.Fatalf("error position: %+v", e)
	}
}

func TestMLLP(t *testing.T) {
	m1 := []byte("MSH|^~\\&|A\rPID|1\r")
	var buf bytes.Buffer
	if err := WriteMLLP(&buf, m1); err != nil {
		t.Fatal(err)
	}
	buf.Write(AppendMLLP(nil, m1))
	buf.WriteString("\r\n")                                        // whitespace between frames is fine
	buf.WriteString("junk")                                        // junk between frames
	buf.Write(AppendMLLP(nil, m1))                                 // still read after the junk
	buf.WriteString("\x0b" + strings.Repeat("y", 2000) + "\x1c\r") // too large
	buf.Write(AppendMLLP(nil, m1))                                 // still read after the oversized frame
	buf.WriteString("\x0bMSH|^~\\&|A\x1c")                         // end without CR is tolerated
	buf.WriteString("\x0bMSH|unterminated")
	r := NewMLLPReader(iotest.HalfReader(&buf), 1000)
	var got []string
	var errs []error
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, err)
			if errors.Is(err, ErrFrameTruncated) {
				break
			}
			continue
		}
		got = append(got, string(m))
	}
	if len(got) != 5 {
		t.Fatalf("frames read: %d %q", len(got), got)
	}
	kinds := []error{ErrFrame, ErrFrameTooLarge, ErrFrameTruncated}
	if len(errs) != len(kinds) {
		t.Fatalf("errors: %v", errs)
	}
	for i, k := range kinds {
		if !errors.Is(errs[i], k) {
			t.Errorf("error %d: %v, want %v", i, errs[i], k)
		}
		if strings.Contains(errs[i].Error(), "yyyy") || strings.Contains(errs[i].Error(), "junk") {
			t.Errorf("error leaks content: %v", errs[i])
		}
	}
}

func TestACK(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	orig := mustParse(t, "MSH|^~\\&|SEND|SFAC|RECV|RFAC|20260301120000||ADT^A01^ADT_A01|CTRL\\S\\42|P|2.5.1\rPID|1||123\r")
	code, send := ShouldAck(orig, Accepted)
	if code != AA || !send {
		t.Fatalf("original mode accept: %s %v", code, send)
	}
	ack := NewACK(orig, code, AckOptions{ControlID: "A1", Now: now})
	want := "MSH|^~\\&|RECV|RFAC|SEND|SFAC|20260301120000+0000||ACK^A01^ACK|A1|P|2.5.1\rMSA|AA|CTRL\\S\\42\r"
	if string(ack) != want {
		t.Fatalf("ack\n%q\nwant\n%q", ack, want)
	}
	am := mustParse(t, string(ack))
	if got, _ := am.Get("MSA-2"); got != "CTRL^42" {
		t.Fatalf("MSA-2 echoes MSH-10: %q", got)
	}
	ae := NewACK(orig, AE, AckOptions{ErrorCode: "207", ErrorText: "broker unavailable", Now: now})
	m := mustParse(t, string(ae))
	if got, _ := m.Get("MSA-1"); got != "AE" {
		t.Fatal(got)
	}
	if got, _ := m.Get("ERR-3.1"); got != "207" {
		t.Fatalf("ERR-3.1 %q", got)
	}
	if got, _ := m.Get("ERR-4"); got != "E" {
		t.Fatalf("ERR-4 %q", got)
	}
	if got, _ := m.Get("ERR-8"); got != "broker unavailable" {
		t.Fatalf("ERR-8 %q", got)
	}
	// unparseable input: AR with default delimiters
	ar := mustParse(t, string(NewACK(nil, AR, AckOptions{ErrorCode: "200"})))
	if got, _ := ar.Get("MSA-1"); got != "AR" {
		t.Fatal(got)
	}
	// custom delimiters are kept
	cm := mustParse(t, "MSH#!@%*#S#F#R#G#2026##ADT!A01#C1#P#2.5\r")
	cack := mustParse(t, string(NewACK(cm, AA, AckOptions{})))
	if cack.Delims() != cm.Delims() {
		t.Fatal("ack delimiters differ")
	}
	if got, _ := cack.Get("MSA-2"); got != "C1" {
		t.Fatal(got)
	}
	// enhanced mode: MSH-15 decides
	for _, c := range []struct {
		msh15 string
		out   Outcome
		code  AckCode
		send  bool
	}{
		{"AL", Accepted, CA, true}, {"AL", Errored, CE, true}, {"NE", Accepted, CA, false},
		{"ER", Accepted, CA, false}, {"ER", Rejected, CR, true}, {"SU", Accepted, CA, true}, {"SU", Errored, CE, false},
	} {
		m := mustParse(t, "MSH|^~\\&|S|F|R|G|2026||ADT^A01|C|P|2.5|||"+c.msh15+"|AL\r")
		code, send := ShouldAck(m, c.out)
		if code != c.code || send != c.send {
			t.Errorf("MSH-15 %s outcome %d: %s %v", c.msh15, c.out, code, send)
		}
	}
}
