package eval

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Input formats accepted by [Load].
const (
	FormatAuto  = "auto"
	FormatBRAT  = "brat"
	FormatI2B2  = "i2b2"
	FormatJSONL = "jsonl"
)

// Corpus is a set of annotated notes read by [Load].
type Corpus struct {
	Notes []Note
	// UnknownLabels counts gold labels not in [LabelTable] (scored as "other").
	UnknownLabels map[string]int
}

// Load reads annotated notes from files and directories (walked
// recursively, in name order). With format auto, a file's format follows
// its name: .jsonl/.ndjson/.json are JSONL, .xml is i2b2, and .txt (or .ann)
// with a sibling .ann (or .txt) is BRAT; other files in directories are
// skipped, named files of unknown kind are an error.
func Load(paths []string, format string) (*Corpus, error) {
	switch format {
	case FormatAuto, FormatBRAT, FormatI2B2, FormatJSONL:
	default:
		return nil, fmt.Errorf("unknown format %q (want auto, brat, i2b2 or jsonl)", format)
	}
	c := &Corpus{UnknownLabels: map[string]int{}}
	seenBRAT := map[string]bool{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if err := c.loadFile(p, format, true, seenBRAT); err != nil {
				return nil, err
			}
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			if err := c.loadFile(f, format, false, seenBRAT); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

func kindOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL
	case ".xml":
		return FormatI2B2
	case ".txt", ".ann":
		return FormatBRAT
	}
	return ""
}

func (c *Corpus) loadFile(path, format string, named bool, seenBRAT map[string]bool) error {
	kind := kindOf(path)
	if format != FormatAuto {
		if kind != format && !named {
			return nil // another kind of file in a directory
		}
		if format == FormatBRAT && kind != FormatBRAT {
			return fmt.Errorf("%s: a BRAT document is a .txt file with a .ann beside it", path)
		}
		kind = format
	}
	switch kind {
	case FormatJSONL:
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return ParseJSONL(path, data, c.UnknownLabels, func(n Note) error {
			c.Notes = append(c.Notes, n)
			return nil
		})
	case FormatI2B2:
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n, err := ParseI2B2(path, data, c.UnknownLabels)
		if err != nil {
			return err
		}
		c.Notes = append(c.Notes, n)
		return nil
	case FormatBRAT:
		base := strings.TrimSuffix(path, filepath.Ext(path))
		if seenBRAT[base] {
			return nil
		}
		txt, ann := base+".txt", base+".ann"
		text, err := os.ReadFile(txt)
		if err != nil {
			if !named && os.IsNotExist(err) {
				return nil
			}
			return fmt.Errorf("%s: BRAT text: %w", path, err)
		}
		annData, err := os.ReadFile(ann)
		if err != nil {
			if !named && os.IsNotExist(err) {
				return nil // a plain .txt without annotations
			}
			return fmt.Errorf("%s: BRAT annotations: %w", path, err)
		}
		seenBRAT[base] = true
		n, err := ParseBRAT(txt, text, ann, annData, c.UnknownLabels)
		if err != nil {
			return err
		}
		c.Notes = append(c.Notes, n)
		return nil
	}
	if named {
		return fmt.Errorf("%s: unknown annotation format (want .jsonl, .xml (i2b2) or .txt+.ann (BRAT), or give --format)", path)
	}
	return nil
}
