package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Many files go through the worker pool: the output equals the one-by-one
// output, in input order, and a failure without --keep-going leaves no
// output for the inputs after it.
func TestDeidManyFilesOrderAndStop(t *testing.T) {
	dir := t.TempDir()
	key := writeKey(t, dir, 0o600)
	var files []string
	for i := range 60 {
		p := filepath.Join(dir, fmt.Sprintf("n%02d.txt", i))
		os.WriteFile(p, []byte(fmt.Sprintf("Note %d: seen by Dr. Jones on 03/%02d/2024, call 312-555-01%02d.\n", i, 1+i%28, i)), 0o600)
		files = append(files, p)
	}
	var want strings.Builder
	for _, f := range files {
		code, out, errs := run([]string{"deid", "--key-file", key, f}, "")
		if code != 0 {
			t.Fatalf("%s: %d %s", f, code, errs)
		}
		want.WriteString(out)
	}
	code, out, errs := run(append([]string{"deid", "--key-file", key}, files...), "")
	if code != 0 || out != want.String() {
		t.Fatalf("many files to stdout: %d %s\n got %q\nwant %q", code, errs, out, want.String())
	}
	outDir := filepath.Join(dir, "out")
	if code, _, errs := run(append([]string{"deid", "--key-file", key, "--out-dir", outDir}, files...), ""); code != 0 {
		t.Fatalf("out-dir: %d %s", code, errs)
	}
	var got strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(outDir, filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		got.Write(b)
	}
	if got.String() != want.String() {
		t.Fatal("out-dir outputs differ from one-by-one outputs")
	}

	bad := filepath.Join(dir, "bad.hl7")
	os.WriteFile(bad, []byte("MSH|^~\\&|A\rPIx|x\r"), 0o600)
	out2 := filepath.Join(dir, "out2")
	args := append([]string{"deid", "--key-file", key, "--out-dir", out2, files[0], bad}, files[1:]...)
	code, _, errs = run(args, "")
	if code != exitFail || !strings.Contains(errs, "bad.hl7") {
		t.Fatalf("stop: %d %s", code, errs)
	}
	entries, _ := os.ReadDir(out2)
	for _, e := range entries {
		if e.Name() != "n00.txt" && e.Name() != "bad.hl7" {
			t.Errorf("output %s written after the failure without --keep-going", e.Name())
		}
	}
}
