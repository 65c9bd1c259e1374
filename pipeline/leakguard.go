package pipeline

import (
	"strconv"
	"unsafe"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/deid/leakguard"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/rules"
)

// ClassLeakGuard is the DLQ class of a record whose de-identified output
// still held an identifying value of its original (the output leak guard):
// nothing of it goes to Parquet or the de-identified topics.
const ClassLeakGuard = "leak_guard"

// dateShifter is implemented by de-identifiers with a date-shift profile
// (*deid.Engine): shifted output dates are not leaks.
type dateShifter interface {
	DateShift(res deid.Result) (days int, ok bool)
}

// leakGuard is a worker's output leak guard: the values harvested from the
// record in hand (before de-identification edits it in place).
type leakGuard struct {
	on  bool
	set leakguard.Set
}

func (g *leakGuard) harvestHL7(m *hl7.Message) {
	if g.on {
		g.set.Reset()
		g.set.HarvestHL7(m)
	}
}

func (g *leakGuard) harvestFHIR(v *fhir.Value) {
	if g.on {
		g.set.Reset()
		g.set.HarvestFHIR(v)
	}
}

// check looks for harvested values in everything of the record that would
// leave: the dataset rows' strings and the de-identified message (out, when
// an output topic is set). A hit marks the job for the DLQ with a PHI-free
// reason and counts it.
func (w *worker) checkLeaks(j *job, d Deidentifier, res deid.Result, out []byte, syn leakguard.Syntax) bool {
	g := &w.guard
	if !g.on {
		return true
	}
	if s, ok := d.(dateShifter); ok {
		if days, ok := s.DateShift(res); ok {
			g.set.SetDateShift(days)
		}
	}
	hit, found := g.set.Find(out, syn)
	if !found {
		hit, found = w.rowLeak(j)
	}
	if !found {
		return true
	}
	j.class, j.reason = ClassLeakGuard, hit.Error()
	w.p.m.LeakGuard.Add(1, j.format.String(), hit.Category.String())
	return false
}

// rowLeak checks the string values of the record's dataset rows.
func (w *worker) rowLeak(j *job) (*leakguard.Hit, bool) {
	rows := w.rows
	for i := 0; i < rows.Len(); i++ {
		ds, vals := rows.Row(i)
		for c, v := range vals {
			if v.Type != rules.String || v.Str == "" {
				continue
			}
			if h, ok := w.guard.set.Find(unsafeBytes(v.Str), leakguard.Text); ok {
				name := strconv.Itoa(ds)
				if g := j.gen; g != nil && ds >= 0 && ds < len(g.names) {
					name = g.names[ds]
				}
				h.Where = "dataset " + name + " column " + strconv.Itoa(c+1)
				return h, true
			}
		}
	}
	return nil, false
}

// unsafeBytes views s as bytes without copying (read only).
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
