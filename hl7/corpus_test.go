package hl7

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir is the shared corpus next to the repository.
var corpusDir = filepath.Join("..", "..", "shared", "corpus")

// expectedInvalid lists corpus files that are malformed on purpose, with the
// error class each must produce for its first message.
var expectedInvalid = map[string]error{
	"rethinkhealth-hl7v2/hl7v2/invalid-missing-msh.hl7":           ErrNoMSH,
	"rethinkhealth-hl7v2/hl7v2/invalid-segment-header-length.hl7": ErrBadSegmentName,
	"cdc-data-exchange-hl7/hl7v2/Lyme_WithBadDelimiters.txt":      ErrBadDelimiters, // MSH-2 "&&&&": ambiguous
	"cdc-data-exchange-hl7/redactor-inputs/sample.txt":            ErrNoMSH,         // a PID fragment, no MSH
}

// hl7CorpusFiles returns the HL7v2 files of the corpus (relative paths), or skips.
func hl7CorpusFiles(tb testing.TB) []string {
	tb.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		tb.Skipf("shared corpus not found at %s: skipping corpus tests", corpusDir)
	}
	var files []string
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		ext := strings.ToLower(filepath.Ext(p))
		if ext != ".hl7" && ext != ".txt" {
			return nil
		}
		rel, _ := filepath.Rel(corpusDir, p)
		rel = filepath.ToSlash(rel)
		if strings.Contains(rel, "redactor-profiles") {
			return nil // CDC redaction rule tables, not messages
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// corpusMessages returns every message of every valid corpus file.
func corpusMessages(tb testing.TB) [][]byte {
	var out [][]byte
	for _, rel := range hl7CorpusFiles(tb) {
		if expectedInvalid[rel] != nil {
			continue
		}
		data := readCorpusFile(tb, rel)
		sc := NewScanner(bytes.NewReader(data), 0)
		for {
			msg, err := sc.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				continue
			}
			out = append(out, append([]byte(nil), msg...))
		}
	}
	return out
}

func TestCorpusParsesAndRoundTrips(t *testing.T) {
	files := hl7CorpusFiles(t)
	nFiles, nMsgs, nSegs, nBytes := 0, 0, 0, 0
	for _, rel := range files {
		data := readCorpusFile(t, rel)
		want := expectedInvalid[rel]
		sc := NewScanner(bytes.NewReader(data), 0)
		fileMsgs := 0
		var firstErr error
		for {
			msg, err := sc.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			m, err := Parse(msg)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			fileMsgs++
			nSegs += m.NumSegments()
			nBytes += len(msg)
			if got := m.Bytes(); !bytes.Equal(got, msg) {
				t.Errorf("%s message %d: round trip differs", rel, sc.Index())
			}
			// touching every field must not change the output
			for s := range m.Segments("") {
				for f := 1; f <= s.NumFields(); f++ {
					_ = s.Field(f)
				}
			}
			if got := m.Bytes(); !bytes.Equal(got, msg) {
				t.Errorf("%s message %d: round trip differs after field access", rel, sc.Index())
			}
		}
		if want != nil {
			if !errors.Is(firstErr, want) {
				t.Errorf("%s: want error %v, got %v", rel, want, firstErr)
			}
			continue
		}
		if firstErr != nil {
			t.Errorf("%s: %v", rel, firstErr)
		}
		if fileMsgs == 0 {
			t.Errorf("%s: no messages found", rel)
		}
		nFiles++
		nMsgs += fileMsgs
	}
	t.Logf("corpus: %d valid HL7v2 files, %d messages, %d segments, %d bytes parsed and round-tripped byte-exact; %d files invalid on purpose", nFiles, nMsgs, nSegs, nBytes, len(expectedInvalid))
	if nMsgs < 100 {
		t.Errorf("only %d corpus messages covered", nMsgs)
	}
}

// readCorpusFile reads a corpus file. CDC DEX files wrap the ER7 message in a
// JSON envelope {"content": "<base64>", ...}; those are unwrapped.
func readCorpusFile(tb testing.TB, rel string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, rel))
	if err != nil {
		tb.Fatal(err)
	}
	if bytes.HasPrefix(data, []byte(`{"content":"`)) {
		rest := data[len(`{"content":"`):]
		end := bytes.IndexByte(rest, '"')
		// the envelope wraps long lines inside the string: drop the white space
		b64 := strings.Join(strings.Fields(string(rest[:end])), "")
		dec, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			tb.Fatalf("%s: DEX envelope: %v", rel, err)
		}
		return dec
	}
	return data
}
