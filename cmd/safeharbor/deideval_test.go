package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := dispatch(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// deid eval reads all three formats written by deid evalset and scores
// them alike; the report holds no note text unless --show-text is given.
func TestDeidEvalFormats(t *testing.T) {
	dir := t.TempDir()
	var cores []string
	for _, f := range []string{"jsonl", "brat", "i2b2"} {
		out := filepath.Join(dir, f)
		if f == "jsonl" {
			out += ".jsonl"
		}
		if code, _, e := runCmd("deid", "evalset", "--split", "dev", "--notes", "30", "--format", f, "--out", out); code != 0 {
			t.Fatalf("evalset %s: %d %s", f, code, e)
		}
		rep := filepath.Join(dir, f+".json")
		code, stdout, e := runCmd("deid", "eval", "--json", rep, out)
		if code != 0 {
			t.Fatalf("eval %s: %d %s", f, code, e)
		}
		if !strings.Contains(stdout, "30 notes") {
			t.Fatalf("eval %s output:\n%s", f, stdout)
		}
		cores = append(cores, stdout[:strings.Index(stdout, "core (Safe Harbor)")])
		b, err := os.ReadFile(rep)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Misses []map[string]any `json:"misses"`
		}
		if err := json.Unmarshal(b, &r); err != nil || len(r.Misses) == 0 {
			t.Fatalf("report: %v, %d misses", err, len(r.Misses))
		}
		for _, m := range r.Misses {
			if _, ok := m["text"]; ok {
				t.Fatal("report contains miss text without --show-text")
			}
		}
	}
	if cores[0] != cores[1] || cores[1] != cores[2] {
		t.Fatalf("formats score differently:\n%s\n%s\n%s", cores[0], cores[1], cores[2])
	}
	code, _, _ := runCmd("deid", "eval", "--json", filepath.Join(dir, "s.json"), "--show-text", filepath.Join(dir, "jsonl.jsonl"))
	b, _ := os.ReadFile(filepath.Join(dir, "s.json"))
	if code != 0 || !strings.Contains(string(b), `"text":`) {
		t.Fatalf("--show-text: code %d, text in report %v", code, strings.Contains(string(b), `"text":`))
	}
}

func TestDeidEvalFloorsAndErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.jsonl")
	os.WriteFile(p, []byte(`{"text":"Seen by Dr. Jones on 03/14/2023, call 312-555-0199.","spans":[{"start":12,"end":17,"label":"DOCTOR"},{"start":21,"end":31,"label":"DATE"},{"start":38,"end":50,"label":"PHONE"}]}`+"\n"), 0o600)
	if code, _, e := runCmd("deid", "eval", "--min-recall", "date=0.9,phone=0.9", p); code != 0 {
		t.Fatalf("floors met: %d %s", code, e)
	}
	if code, _, e := runCmd("deid", "eval", "--min-recall", "name=0.9", p); code != 1 || !strings.Contains(e, "FLOOR NOT MET: name recall") {
		t.Fatalf("absent category: %d %s", code, e)
	}
	bad := filepath.Join(dir, "b.jsonl")
	os.WriteFile(bad, []byte("{\"text\":\"x\",\"spans\":[]}\n{\"text\":\"Jones\",\"spans\":[{\"start\":0,\"end\":9,\"label\":\"NAME\"}]}\n"), 0o600)
	code, _, e := runCmd("deid", "eval", bad)
	if code != 1 || !strings.Contains(e, "b.jsonl:2: spans[0]: offsets 0-9 beyond") || strings.Contains(e, "Jones") {
		t.Fatalf("bad input: %d %q", code, e)
	}
	if code, _, _ := runCmd("deid", "eval", "--min-recall", "x", p); code != 2 {
		t.Fatalf("bad floor: %d", code)
	}
	if code, _, _ := runCmd("deid", "eval", "--format", "csv", p); code != 1 {
		t.Fatalf("bad format: %d", code)
	}
}
