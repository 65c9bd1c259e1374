package eval

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseI2B2 reads one i2b2/n2c2 2014 de-identification XML document:
//
//	<deIdi2b2><TEXT><![CDATA[...]]></TEXT>
//	<TAGS><NAME id="P0" start="16" end="26" text="..." TYPE="PATIENT" comment=""/>...</TAGS></deIdi2b2>
//
// start and end count characters of the TEXT content (line ends read as
// "\n", as XML requires). The tag element (NAME, LOCATION, DATE, AGE,
// CONTACT, ID, PROFESSION) and its TYPE attribute select the category.
func ParseI2B2(id string, data []byte, unknown map[string]int) (Note, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var text strings.Builder
	type tag struct {
		elem, typ, stated string
		hasText           bool
		start, end        int
		line              int
	}
	var tags []tag
	depth, inText, inTags, sawText := 0, false, false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		line, _ := dec.InputPos()
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return Note{}, errAt(id, se.Line, "XML: %s", se.Msg)
			}
			return Note{}, errAt(id, line, "XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 2 && t.Name.Local == "TEXT":
				inText, sawText = true, true
			case depth == 2 && t.Name.Local == "TAGS":
				inTags = true
			case depth == 3 && inTags:
				tg := tag{elem: t.Name.Local, line: line, start: -1, end: -1}
				for _, a := range t.Attr {
					switch strings.ToLower(a.Name.Local) {
					case "type":
						tg.typ = a.Value
					case "text":
						tg.stated, tg.hasText = a.Value, true
					case "start", "end":
						v, err := strconv.Atoi(strings.TrimSpace(a.Value))
						if err != nil {
							return Note{}, errAt(id, line, "<%s> attribute %s is not an integer", t.Name.Local, a.Name.Local)
						}
						if strings.EqualFold(a.Name.Local, "start") {
							tg.start = v
						} else {
							tg.end = v
						}
					}
				}
				if tg.start < 0 || tg.end < 0 {
					return Note{}, errAt(id, line, "<%s> needs start and end attributes (non-negative)", t.Name.Local)
				}
				tags = append(tags, tg)
			}
		case xml.EndElement:
			if depth == 2 {
				inText, inTags = false, false
			}
			depth--
		case xml.CharData:
			if inText && depth == 2 {
				text.Write(t)
			}
		}
	}
	if !sawText {
		return Note{}, errAt(id, 0, "no <TEXT> element under the root (want the i2b2 2014 <deIdi2b2><TEXT>...</TEXT><TAGS>...</TAGS> layout)")
	}
	n := Note{ID: id, Text: text.String()}
	if !utf8.ValidString(n.Text) {
		return Note{}, errAt(id, 0, "text is not valid UTF-8")
	}
	x := newRuneIndex(n.Text)
	for _, tg := range tags {
		var stated *string
		if tg.hasText {
			stated = &tg.stated
		}
		label := tg.typ
		if label == "" {
			label = tg.elem
		}
		if err := n.addMention(x, id, tg.line, label, tg.elem, [][2]int{{tg.start, tg.end}}, stated, unknown); err != nil {
			return Note{}, err
		}
	}
	return n, nil
}
