package eval

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseBRAT reads one BRAT standoff document: the note text (the .txt file)
// and its annotations (the .ann file, named annName in errors). Text-bound
// annotations ("T1<TAB>LABEL 0 5;6 10<TAB>text") become mentions, with one
// part per fragment of a discontinuous span; other lines (relations,
// events, attributes, notes) are ignored. Offsets count characters.
// Unknown labels are counted in unknown (may be nil) and get [CatOther].
func ParseBRAT(id string, text []byte, annName string, ann []byte, unknown map[string]int) (Note, error) {
	if !utf8.Valid(text) {
		return Note{}, errAt(id, 0, "text is not valid UTF-8")
	}
	n := Note{ID: id, Text: string(text)}
	x := newRuneIndex(n.Text)
	line := 0
	for len(ann) > 0 {
		line++
		var l []byte
		if i := bytes.IndexByte(ann, '\n'); i >= 0 {
			l, ann = ann[:i], ann[i+1:]
		} else {
			l, ann = ann, nil
		}
		l = bytes.TrimRight(l, "\r")
		if len(l) == 0 || l[0] != 'T' {
			continue
		}
		if !utf8.Valid(l) {
			return Note{}, errAt(annName, line, "annotation line is not valid UTF-8")
		}
		f := strings.SplitN(string(l), "\t", 3)
		if len(f) < 2 {
			return Note{}, errAt(annName, line, "text-bound annotation needs ID<TAB>LABEL START END[;START END]...<TAB>TEXT")
		}
		sp := strings.IndexByte(f[1], ' ')
		if sp <= 0 {
			return Note{}, errAt(annName, line, "annotation %s: missing label or offsets", f[0])
		}
		label := f[1][:sp]
		var ranges [][2]int
		for _, frag := range strings.Split(f[1][sp+1:], ";") {
			se := strings.Fields(frag)
			if len(se) != 2 {
				return Note{}, errAt(annName, line, "annotation %s: offsets must be START END pairs separated by ';'", f[0])
			}
			s, err1 := strconv.Atoi(se[0])
			e, err2 := strconv.Atoi(se[1])
			if err1 != nil || err2 != nil {
				return Note{}, errAt(annName, line, "annotation %s: offsets are not integers", f[0])
			}
			ranges = append(ranges, [2]int{s, e})
		}
		var stated *string
		if len(f) == 3 {
			stated = &f[2]
		}
		if err := n.addMention(x, annName, line, label, "", ranges, stated, unknown); err != nil {
			return Note{}, err
		}
	}
	return n, nil
}
