package rules

import (
	"fmt"
	"io"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
)

// Explainer evaluates one message and records, for `safeharbor rules
// explain`, which drop rules and datasets matched, and every row with each
// column's value and source. The values come from the de-identified message.
type Explainer struct {
	ev      *Evaluator
	drops   []bool
	matched []string // per dataset: "matched", "not matched" or why skipped
	rows    [][][]any
	dropped string
}

// NewExplainer returns an Explainer for the set.
func (s *Set) NewExplainer() *Explainer { return &Explainer{ev: s.NewEvaluator()} }

// HL7 explains a de-identified HL7v2 message.
func (x *Explainer) HL7(m *hl7.Message, res deid.Result) error {
	e := x.ev
	e.own.Reset()
	e.m, e.d, e.root, e.resources, e.out = m, m.Delims(), nil, e.resources[:0], &e.own
	e.setNames()
	e.setMsgHL7(res)
	err := x.explain()
	e.m, e.out = nil, nil
	return err
}

// FHIR explains a de-identified FHIR resource or Bundle.
func (x *Explainer) FHIR(v *fhir.Value, res deid.Result) error {
	e := x.ev
	e.own.Reset()
	e.m, e.root, e.out = nil, v, &e.own
	e.setResources(v)
	e.setMsgFHIR(res)
	err := x.explain()
	e.root, e.out = nil, nil
	return err
}

func (x *Explainer) explain() error {
	e, s := x.ev, x.ev.set
	x.drops = make([]bool, len(s.drops))
	x.matched = make([]string, len(s.datasets))
	x.rows = make([][][]any, len(s.datasets))
	e.cur, e.curRes, e.curElem = -1, nil, nil
	e.newMessage()
	for i, d := range s.drops {
		e.newRow()
		ok, err := e.pred(d.when)
		if err != nil {
			return e.runErr("drop rule "+d.name, err)
		}
		x.drops[i] = ok
	}
	for i, d := range s.datasets {
		switch {
		case d.format == fmtHL7 && e.m == nil:
			x.matched[i] = "skipped: an HL7 dataset, the message is FHIR"
			continue
		case d.format == fmtFHIR && e.root == nil:
			x.matched[i] = "skipped: a FHIR dataset, the message is HL7v2"
			continue
		}
		x.matched[i] = "matched"
		if d.when != nil {
			e.cur, e.curRes, e.curElem, e.ds = -1, nil, nil, d
			e.newRow()
			ok, err := e.pred(d.when)
			if err != nil {
				return e.runErr("dataset "+d.Name+" when", err)
			}
			if !ok {
				x.matched[i] = "not matched: when is false"
			}
		}
	}
	first := e.own.Len()
	dropped, err := e.run()
	x.dropped = dropped
	for i := first; i < e.own.Len(); i++ {
		d, vals := e.own.Row(i)
		row := make([]any, len(vals))
		for c, v := range vals {
			row[c] = v.Any()
		}
		x.rows[d] = append(x.rows[d], row)
	}
	return err
}

// WriteText prints the explanation.
func (x *Explainer) WriteText(w io.Writer) {
	s := x.ev.set
	fmt.Fprintln(w, "drop rules:")
	if len(s.drops) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for i, d := range s.drops {
		state := "no match"
		if x.drops[i] {
			state = "MATCHED"
			if x.dropped == d.name {
				state += ": the message feeds no dataset"
			} else {
				state += " (an earlier drop rule already dropped it)"
			}
		}
		fmt.Fprintf(w, "  %s: %s\n", d.name, state)
	}
	fmt.Fprintln(w, "datasets:")
	for i, d := range s.datasets {
		state := x.matched[i]
		if x.dropped != "" && state == "matched" {
			state = "matched, but dropped by " + x.dropped
		}
		fmt.Fprintf(w, "  %s (each %s): %s, %d rows\n", d.Name, d.Each, state, len(x.rows[i]))
		if d.when != nil {
			fmt.Fprintf(w, "    when: %s\n", d.when.Source().String())
		}
		for r, row := range x.rows[i] {
			fmt.Fprintf(w, "    row %d:\n", r+1)
			for ci, c := range d.cols {
				src := "expression " + c.From
				if c.path >= 0 {
					src = "path " + c.From
					if c.asYear {
						src += " (year)"
					}
				}
				fmt.Fprintf(w, "      %-18s %-10s = %-24s <- %s\n", c.Name, c.Type, FormatValue(row[ci]), src)
			}
		}
	}
	fmt.Fprintln(w, "everything else in the message is not exported (minimum necessary)")
}
