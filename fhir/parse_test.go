package fhir

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	const secret = "JohnSecretSmith"
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	tests := []struct {
		name, in string
		off      int
		path     string
	}{
		{"empty", "", 0, ""},
		{"only BOM", "\ufeff  ", 5, ""},
		{"trailing garbage", `{"a":"` + secret + `"} x`, 24, ""},
		{"two values", `{"a":1}{"b":"` + secret + `"}`, 7, ""},
		{"unterminated string", `{"name":[{"family":"` + secret, 35, "name[0].family"},
		{"missing colon", `{"entry":[{"resource" {"x":"` + secret + `"}}]}`, 22, "entry[0].resource"},
		{"missing comma", `{"entry":[{},{"resource":{"name":[{"family":"` + secret + `" "given":[]}]}}]}`, 62, "entry[1].resource.name[0].family"},
		{"bad literal", `{"active":tru,"n":"` + secret + `"}`, 10, "active"},
		{"bad number", `{"n":"` + secret + `","v":01}`, 28, "v"},
		{"bad number exp", `{"n":"` + secret + `","v":1e}`, 29, "v"},
		{"bad escape", `{"n":"` + secret + `\x"}`, 21, "n"},
		{"bad unicode escape", `{"n":"` + secret + `\u12G4"}`, 21, "n"},
		{"control char", "{\"n\":\"" + secret + "\n\"}", 21, "n"},
		{"invalid utf8", "{\"n\":\"" + secret + "\xff\"}", 21, "n"},
		{"duplicate key", `{"n":"` + secret + `","n":"x"}`, 23, "n"},
		{"key not string", `{"n":"` + secret + `",1:2}`, 23, "n"},
		{"unclosed array", `{"a":["` + secret + `"`, 23, "a[0]"},
		{"unclosed object", `{"a":"` + secret + `"`, 22, "a"},
		{"trailing comma", `{"a":["` + secret + `",]}`, 24, "a[1]"},
		{"odd key hidden", `{"weird key ` + secret + `":[1,}`, 32, "?[1]"},
		{"too deep", deep, MaxDepth, strings.Repeat("[0]", MaxDepth)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("no error, got %v", v.Kind())
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not *SyntaxError", err)
			}
			if se.Offset != tc.off || se.Path != tc.path {
				t.Errorf("offset %d path %q, want %d %q (%s)", se.Offset, se.Path, tc.off, tc.path, se.Msg)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "Secret") {
				t.Errorf("error leaks input content: %s", err)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	v := mustParse(t, "\ufeff \t{\"s\":\"a\\u00e9\\n\\\"\\/\\ud83d\\ude00\",\"n\":-1.50e+10,\"z\":0,\"t\":true,\"f\":false,\"nil\":null,\"a\":[],\"o\":{},\"k\\u0041\":1}\r\n")
	if got := v.Get("s").Str(); got != "aé\n\"/😀" {
		t.Errorf("Str = %q", got)
	}
	if v.Get("n").Raw() != "-1.50e+10" || v.Get("n").Kind() != Number {
		t.Errorf("number literal = %q", v.Get("n").Raw())
	}
	if !v.Get("t").Bool() || v.Get("f").Bool() || !v.Get("nil").IsNull() || v.Get("nil") == nil {
		t.Error("literals wrong")
	}
	if v.Get("a").Kind() != Array || v.Get("a").Len() != 0 || v.Get("o").Kind() != Object {
		t.Error("empty containers wrong")
	}
	if v.Get("kA") == nil {
		t.Error("escaped key not decoded")
	}
	want := `{"s":"a\u00e9\n\"\/\ud83d\ude00","n":-1.50e+10,"z":0,"t":true,"f":false,"nil":null,"a":[],"o":{},"kA":1}`
	if got := string(v.AppendJSON(nil)); got != want {
		t.Errorf("AppendJSON\n got %s\nwant %s", got, want)
	}
	// nil-safe accessors
	var nv *Value
	if nv.Get("x") != nil || nv.Len() != 0 || nv.Index(0) != nil || nv.Str() != "" || nv.Kind() != Null {
		t.Error("nil Value accessors")
	}
	if v.Get("missing").Get("deeper").Str() != "" {
		t.Error("chained missing lookups")
	}
}

func TestMutation(t *testing.T) {
	v := mustParse(t, `{"a":1,"b":"x","c":[1,2,3,4],"d":{"e":null}}`)
	if !v.Delete("a") || v.Delete("a") || v.Get("a") != nil {
		t.Error("Delete")
	}
	v.Set("b", NewString("q\"\\\n\x01\u2028é\xff"))
	v.Set("new", NewObject())
	v.Get("new").Set("n", NewNumber("2.50"))
	v.Set("b2", nil)
	if NewNumber("01") != nil || NewNumber("1.") != nil || NewNumber("-") != nil {
		t.Error("NewNumber accepted an invalid literal")
	}
	c := v.Get("c")
	if !c.DeleteIndex(0) || c.DeleteIndex(9) || c.Len() != 3 {
		t.Error("DeleteIndex")
	}
	if n := c.DeleteIf(func(_ int, e *Value) bool { return e.Raw() == "3" }); n != 1 {
		t.Errorf("DeleteIf removed %d", n)
	}
	c.Append(NewBool(true))
	c.SetIndex(0, NewArray(NewString("z"), nil))
	if !c.Index(1).SetRawNumber("7e2") || c.Index(1).SetRawNumber("x") {
		t.Error("SetRawNumber")
	}
	v.Get("d").Get("e").SetString("set")
	want := `{"b":"q\"\\\n\u0001` + "\u2028é\ufffd" + `","c":[["z",null],7e2,true],"d":{"e":"set"},"new":{"n":2.50},"b2":null}`
	if got := string(v.AppendJSON(nil)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if v.Len() != 5 {
		t.Errorf("Len after delete = %d", v.Len())
	}
	// Range allows deleting the current member.
	v.Range(func(k string, _ *Value) bool { v.Delete(k); return true })
	if got := string(v.AppendJSON(nil)); got != "{}" {
		t.Errorf("after deleting all: %s", got)
	}
	if _, err := Parse(v.AppendJSON(nil)); err != nil {
		t.Error(err)
	}
}

func TestSplitNDJSON(t *testing.T) {
	data := "\ufeff{\"a\":1}\r\n\n   \n{\"b\":2}\n{\"c\":3}"
	var lines []int
	var raws []string
	err := SplitNDJSON([]byte(data), func(line int, raw []byte) error {
		lines = append(lines, line)
		raws = append(raws, string(raw))
		return nil
	})
	if err != nil || len(lines) != 3 || lines[1] != 4 || lines[2] != 5 || raws[0] != `{"a":1}` {
		t.Fatalf("lines %v raws %q err %v", lines, raws, err)
	}
	err = SplitNDJSON([]byte(data), func(line int, raw []byte) error {
		_, err := Parse(append(raw, '}'))
		return err
	})
	var le *LineError
	var se *SyntaxError
	if !errors.As(err, &le) || le.Line != 1 || !errors.As(err, &se) {
		t.Fatalf("got %v", err)
	}
}

func TestNDJSONReader(t *testing.T) {
	long := `{"x":"` + strings.Repeat("y", 100) + `"}`
	data := "\ufeff{\"a\":1}\r\n\n" + long + "\n{\"b\":2}\n{\"c\":3}"
	r := NewNDJSONReader(strings.NewReader(data), 50)
	type rec struct {
		line int
		raw  string
	}
	var got []rec
	tooLong := 0
	for {
		line, raw, err := r.Next()
		if err == io.EOF {
			break
		}
		var tl *LineTooLongError
		if errors.As(err, &tl) {
			if tl.Line != 3 || strings.Contains(err.Error(), "yyy") {
				t.Errorf("too long: %v", err)
			}
			tooLong++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec{line, string(raw)})
	}
	want := []rec{{1, `{"a":1}`}, {4, `{"b":2}`}, {5, `{"c":3}`}}
	if tooLong != 1 || len(got) != len(want) {
		t.Fatalf("got %v, %d too long", got, tooLong)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %v want %v", i, got[i], want[i])
		}
	}
	// Lines longer than the bufio buffer are assembled.
	big := `{"x":"` + strings.Repeat("z", 200000) + `"}`
	r = NewNDJSONReader(strings.NewReader(big+"\n"+big), 0)
	for i := 0; i < 2; i++ {
		_, raw, err := r.Next()
		if err != nil || string(raw) != big {
			t.Fatalf("big line %d: len %d err %v", i, len(raw), err)
		}
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
}
