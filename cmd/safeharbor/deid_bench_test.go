package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/deid/eval/evalset"
)

// BenchmarkDeidManyFiles runs `safeharbor deid --out-dir` over 2,000 small
// text files (about 3 KB each: several generated notes), the per-file path
// of the CLI (read, detect, scrub, create and write the output, report).
func BenchmarkDeidManyFiles(b *testing.B) {
	dir := b.TempDir()
	key := filepath.Join(dir, "key")
	if err := os.WriteFile(key, []byte(strings.Repeat("k", 48)), 0o600); err != nil {
		b.Fatal(err)
	}
	notes, err := evalset.Generate(evalset.Dev, 2000)
	if err != nil {
		b.Fatal(err)
	}
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o700)
	var files []string
	total := 0
	for i := range 2000 {
		var sb strings.Builder
		for k := 0; sb.Len() < 3000; k++ {
			sb.WriteString(notes[(i+k*7)%len(notes)].Text)
		}
		p := filepath.Join(in, fmt.Sprintf("note%04d.txt", i))
		if err := os.WriteFile(p, []byte(sb.String()), 0o600); err != nil {
			b.Fatal(err)
		}
		files = append(files, p)
		total += sb.Len()
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	for i := range b.N {
		// a fresh output directory each run, as in a batch job
		out := filepath.Join(dir, fmt.Sprintf("out%d", i))
		args := append([]string{"deid", "--key-file", key, "--out-dir", out, "--report", filepath.Join(dir, "rep.json")}, files...)
		if code := dispatch(args, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
