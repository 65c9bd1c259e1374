package eval

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteJSONL writes notes in the JSONL format read by [ParseJSONL]
// (character offsets). Each part of a discontinuous mention becomes a span.
func WriteJSONL(w io.Writer, notes []Note) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, n := range notes {
		j := JSONL{ID: n.ID, Text: &n.Text, Spans: []JSONLSpan{}}
		for _, m := range n.Gold {
			for _, p := range m.Parts {
				s, e := charOff(n.Text, p.Start), charOff(n.Text, p.End)
				j.Spans = append(j.Spans, JSONLSpan{Start: &s, End: &e, Label: m.Label})
			}
		}
		if err := enc.Encode(&j); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteBRATAnn writes the .ann file of one note (the .txt is n.Text as is).
func WriteBRATAnn(w io.Writer, n Note) error {
	bw := bufio.NewWriter(w)
	for k, m := range n.Gold {
		var offs, texts []string
		for _, p := range m.Parts {
			offs = append(offs, fmt.Sprintf("%d %d", charOff(n.Text, p.Start), charOff(n.Text, p.End)))
			texts = append(texts, strings.Map(func(r rune) rune {
				if r == '\n' || r == '\r' || r == '\t' {
					return ' '
				}
				return r
			}, n.Text[p.Start:p.End]))
		}
		fmt.Fprintf(bw, "T%d\t%s %s\t%s\n", k+1, m.Label, strings.Join(offs, ";"), strings.Join(texts, " "))
	}
	return bw.Flush()
}

// i2b2Elem maps a label to the i2b2 2014 element and TYPE written by
// [WriteI2B2]; labels not listed are written as <PHI TYPE="label">.
var i2b2Elem = map[string][2]string{
	"NAME": {"NAME", "PATIENT"}, "PATIENT": {"NAME", "PATIENT"}, "DOCTOR": {"NAME", "DOCTOR"},
	"USERNAME": {"NAME", "USERNAME"}, "PROFESSION": {"PROFESSION", "PROFESSION"},
	"HOSPITAL": {"LOCATION", "HOSPITAL"}, "ORGANIZATION": {"LOCATION", "ORGANIZATION"},
	"STREET": {"LOCATION", "STREET"}, "CITY": {"LOCATION", "CITY"}, "STATE": {"LOCATION", "STATE"},
	"ZIP": {"LOCATION", "ZIP"}, "COUNTRY": {"LOCATION", "COUNTRY"}, "ROOM": {"LOCATION", "ROOM"},
	"DEPARTMENT": {"LOCATION", "DEPARTMENT"}, "LOCATION": {"LOCATION", "OTHER"},
	"DATE": {"DATE", "DATE"}, "AGE": {"AGE", "AGE"},
	"PHONE": {"CONTACT", "PHONE"}, "FAX": {"CONTACT", "FAX"}, "EMAIL": {"CONTACT", "EMAIL"},
	"URL": {"CONTACT", "URL"}, "IP": {"CONTACT", "IPADDR"},
	"SSN": {"ID", "SSN"}, "MRN": {"ID", "MEDICALRECORD"}, "HEALTHPLAN": {"ID", "HEALTHPLAN"},
	"ACCOUNT": {"ID", "ACCOUNT"}, "LICENSE": {"ID", "LICENSE"}, "VEHICLE": {"ID", "VEHICLE"},
	"DEVICE": {"ID", "DEVICE"}, "ID": {"ID", "IDNUM"}, "IDNUM": {"ID", "IDNUM"},
}

// WriteI2B2 writes one note as i2b2 2014 XML (read back by [ParseI2B2]).
// Mentions with several parts are written as one tag per part. The text must
// not contain "]]>" or carriage returns (XML would change them).
func WriteI2B2(w io.Writer, n Note) error {
	if strings.Contains(n.Text, "]]>") || strings.ContainsRune(n.Text, '\r') || !utf8.ValidString(n.Text) {
		return fmt.Errorf("%s: text cannot be written as i2b2 XML CDATA", n.ID)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<deIdi2b2>\n<TEXT><![CDATA[")
	bw.WriteString(n.Text)
	bw.WriteString("]]></TEXT>\n<TAGS>\n")
	id := 0
	for _, m := range n.Gold {
		el, ok := i2b2Elem[strings.ToUpper(m.Label)]
		if !ok {
			el = [2]string{"PHI", m.Label}
		}
		for _, p := range m.Parts {
			fmt.Fprintf(bw, "<%s id=\"P%d\" start=\"%d\" end=\"%d\" text=\"", el[0], id, charOff(n.Text, p.Start), charOff(n.Text, p.End))
			xml.EscapeText(bw, []byte(n.Text[p.Start:p.End]))
			fmt.Fprintf(bw, "\" TYPE=\"%s\" comment=\"\" />\n", el[1])
			id++
		}
	}
	bw.WriteString("</TAGS>\n</deIdi2b2>\n")
	return bw.Flush()
}
