package bench

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/synth"
)

// CorpusDir is the shared corpus, relative to the bench module directory.
var CorpusDir = filepath.Join("..", "..", "shared", "corpus")

// CorpusStats counts what LoadCorpus found.
type CorpusStats struct {
	Files, DEXSkipped, ScanErrors, ParseErrors int
}

// LoadCorpus returns every HL7v2 message of the corpus files (.hl7, .txt)
// under dir that hl7.Parse accepts, each in its own slice. Files whose
// content is a CDC DEX JSON envelope ({"content": base64}) are skipped.
func LoadCorpus(dir string) ([][]byte, CorpusStats, error) {
	var out [][]byte
	var st CorpusStats
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := strings.ToLower(filepath.Ext(p))
		if d.IsDir() || (ext != ".hl7" && ext != ".txt") || strings.Contains(p, "redactor-profiles") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte(`{"content"`)) {
			st.DEXSkipped++
			return nil
		}
		st.Files++
		sc := hl7.NewScanner(bytes.NewReader(data), 0)
		for {
			msg, err := sc.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				st.ScanErrors++
				continue
			}
			if _, err := hl7.Parse(msg); err != nil {
				st.ParseErrors++
				continue
			}
			out = append(out, bytes.Clone(msg))
		}
		return nil
	})
	return out, st, err
}

// SynthMessages returns n synthetic HL7 messages of the default mix
// (typical PHI density), padded to targetSize bytes when targetSize > 0.
func SynthMessages(seed int64, n, targetSize int) [][]byte {
	g := synth.New(seed, synth.Options{PHIDensity: 1, TargetSize: targetSize})
	out := make([][]byte, n)
	for i := range out {
		out[i] = g.HL7()
	}
	return out
}

// NormalizeCR returns msg with CRLF and LF segment terminators replaced by
// CR, the ER7 standard terminator.
func NormalizeCR(msg []byte) []byte {
	msg = bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\r"))
	return bytes.ReplaceAll(msg, []byte("\n"), []byte("\r"))
}
