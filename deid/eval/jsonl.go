package eval

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// JSONL is one line of the JSONL format:
//
//	{"id": "note-1", "text": "...", "spans": [{"start": 0, "end": 9, "label": "NAME"}]}
//
// start and end count characters (Unicode code points) of text, end
// exclusive, as Python's len() and slicing do; they are not byte offsets. id
// is optional (file:line is used). A span may carry "text" (checked
// against the note).
type JSONL struct {
	ID    string      `json:"id,omitempty"`
	Text  *string     `json:"text"`
	Spans []JSONLSpan `json:"spans"`
}

// JSONLSpan is one gold span of a [JSONL] line.
type JSONLSpan struct {
	Start *int    `json:"start"`
	End   *int    `json:"end"`
	Label string  `json:"label"`
	Text  *string `json:"text,omitempty"`
}

// ParseJSONL reads JSONL notes, one per non-blank line, calling fn for each.
// It stops at the first malformed line with an error naming file:line.
func ParseJSONL(file string, data []byte, unknown map[string]int, fn func(Note) error) error {
	line := 0
	for len(data) > 0 {
		line++
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		var j JSONL
		if err := json.Unmarshal(l, &j); err != nil {
			return errAt(file, line, "not a JSON object with text and spans: %s", jsonErrMsg(err))
		}
		if j.Text == nil {
			return errAt(file, line, `missing "text"`)
		}
		if !utf8.ValidString(*j.Text) {
			return errAt(file, line, "text is not valid UTF-8")
		}
		id := j.ID
		if id == "" {
			id = file + ":" + strconv.Itoa(line)
		}
		n := Note{ID: id, Text: *j.Text}
		x := newRuneIndex(n.Text)
		for k, s := range j.Spans {
			if s.Start == nil || s.End == nil || s.Label == "" {
				return errAt(file, line, "spans[%d]: needs start, end and label", k)
			}
			if err := n.addMention(x, file, line, s.Label, "", [][2]int{{*s.Start, *s.End}}, s.Text, unknown); err != nil {
				err.(*Error).Msg = "spans[" + strconv.Itoa(k) + "]: " + err.(*Error).Msg
				return err
			}
		}
		if err := fn(n); err != nil {
			return err
		}
	}
	return nil
}

// jsonErrMsg describes a JSON error without quoting input values.
func jsonErrMsg(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return "syntax error at byte " + strconv.FormatInt(e.Offset, 10)
	case *json.UnmarshalTypeError:
		return "field " + e.Field + " has the wrong type (" + e.Value + ")"
	}
	return "invalid JSON"
}
