package fhir

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// corpusDir returns the shared corpus directory or skips the test.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("shared corpus not found at %s (expected beside the repo): %v", dir, err)
	}
	return dir
}

// corpusFiles returns every .json, .fhir and .ndjson file in the corpus.
func corpusFiles(tb testing.TB) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(corpusDir(tb), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".json", ".fhir", ".ndjson":
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		tb.Skip("no JSON files in the corpus")
	}
	return files
}

// docs splits a corpus file into JSON documents (lines for NDJSON).
func docs(t *testing.T, path string, data []byte) [][]byte {
	if !strings.EqualFold(filepath.Ext(path), ".ndjson") {
		return [][]byte{data}
	}
	var out [][]byte
	if err := SplitNDJSON(data, func(_ int, raw []byte) error {
		out = append(out, raw)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func decodeStd(t *testing.T, data []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return v
}

func TestCorpusRoundTrip(t *testing.T) {
	files := corpusFiles(t)
	nDocs, nResources, nElems, unknownRT := 0, 0, 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docs(t, f, data) {
			v, err := Parse(doc)
			if err != nil {
				t.Errorf("%s doc %d: %v", f, i, err)
				continue
			}
			nDocs++
			out := v.AppendJSON(nil)
			if !json.Valid(out) {
				t.Errorf("%s doc %d: AppendJSON output is not valid JSON", f, i)
				continue
			}
			if !reflect.DeepEqual(decodeStd(t, doc), decodeStd(t, out)) {
				t.Errorf("%s doc %d: round trip changed the content", f, i)
			}
			// Serializing again is stable.
			v2, err := Parse(out)
			if err != nil {
				t.Errorf("%s doc %d: reparse: %v", f, i, err)
				continue
			}
			if !bytes.Equal(v2.AppendJSON(nil), out) {
				t.Errorf("%s doc %d: second serialization differs", f, i)
			}
			if v.Get("resourceType").Kind() == String {
				Walk(v, func(e *Elem) Action {
					nElems++
					if e.Value.Get("resourceType").Kind() == String && IsResourceType(e.Type) {
						nResources++
					} else if e.Type == "Resource" {
						unknownRT++
					}
					return Continue
				})
			}
		}
	}
	t.Logf("corpus: %d files, %d JSON documents, %d resources (incl. contained/bundled), %d elements walked, %d resources of unknown type",
		len(files), nDocs, nResources, nElems, unknownRT)
}

func TestKeyOrderPreserved(t *testing.T) {
	path := filepath.Join(corpusDir(t), "fhir-r4-spec-examples", "patient-example.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("patient-example.json not in corpus: %v", err)
	}
	v, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	// Top-level key order as it appears in the input, read independently
	// with encoding/json's token decoder.
	d := json.NewDecoder(bytes.NewReader(data))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("want object, got %v %v", tok, err)
	}
	var want []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, tok.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for k := range v.Members() {
		got = append(got, k)
	}
	if len(got) < 10 || got[0] != "resourceType" {
		t.Fatalf("unexpected top-level keys %v", got)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("key order not preserved:\n got %v\nwant %v", got, want)
	}
	// The serialized text lists keys in the same order too.
	out := string(v.AppendJSON(nil))
	last := -1
	for _, k := range got {
		i := strings.Index(out, `"`+k+`":`)
		if i <= last {
			t.Fatalf("key %q out of order in output", k)
		}
		last = i
	}
}

// corpusDirOrEmpty returns the corpus directory, or "" if absent (for fuzz seeding).
func corpusDirOrEmpty() string {
	dir := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}

// corpusFilesNoTB lists the corpus JSON files under dir, ignoring errors.
func corpusFilesNoTB(dir string) []string {
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			switch strings.ToLower(filepath.Ext(p)) {
			case ".json", ".fhir", ".ndjson":
				files = append(files, p)
			}
		}
		return nil
	})
	return files
}
