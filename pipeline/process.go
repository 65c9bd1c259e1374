package pipeline

import (
	"bytes"
	"errors"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/deid/leakguard"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/rules"
	"github.com/safeharbor/safeharbor/sinks/dataset"
)

// Format is the wire format of a record.
type Format uint8

// Formats.
const (
	FormatUnknown Format = iota
	FormatHL7            // HL7v2 ER7 (optionally MLLP-framed)
	FormatFHIR           // FHIR R4 JSON
)

// String names the format for logs and metrics.
func (f Format) String() string {
	switch f {
	case FormatHL7:
		return "hl7v2"
	case FormatFHIR:
		return "fhir"
	}
	return "unknown"
}

// Deidentifier de-identifies parsed HL7v2 messages; *deid.Engine implements it.
type Deidentifier interface {
	HL7(m *hl7.Message, rep *deid.Report) (deid.Result, error)
}

// FHIRDeidentifier is implemented by deidentifiers that also handle FHIR
// resources (*deid.Engine). Without it, FHIR records go to the DLQ with class
// "fhir_unsupported".
type FHIRDeidentifier interface {
	FHIR(v *fhir.Value, rep *deid.Report) (deid.Result, error)
}

// Dataset is one analytics dataset the rules fill.
type Dataset struct {
	Name   string
	Schema dataset.Schema
}

// Rules turns de-identified messages into dataset rows.
type Rules interface {
	// Version names the rule set; it is written into every row.
	Version() string
	// Datasets lists the datasets rows may be emitted to.
	Datasets() []Dataset
	// NewEvaluator returns an evaluator for one worker goroutine.
	NewEvaluator() Evaluator
}

// Evaluator evaluates rules for one goroutine at a time.
type Evaluator interface {
	// HL7 appends the rows of a de-identified HL7v2 message to out: dataset
	// indexes into Rules.Datasets(), values in that dataset's column order.
	HL7(m *hl7.Message, res deid.Result, out *rules.Rows) error
	// FHIR appends the rows of a de-identified FHIR resource or Bundle to out.
	FHIR(v *fhir.Value, res deid.Result, out *rules.Rows) error
}

// Error classes of records that go to the DLQ. They are fixed strings: a DLQ
// notice, log line or metric never carries a parser's message.
const (
	ClassEmpty           = "empty"
	ClassUnknownFormat   = "unknown_format"
	ClassHL7Parse        = "hl7_parse"
	ClassHL7NoType       = "hl7_no_message_type"
	ClassFHIRParse       = "fhir_parse"
	ClassDeid            = "deid"
	ClassFHIRUnsupported = "fhir_unsupported"
	ClassRules           = "rules"
	ClassTooLarge        = "too_large"
	ClassVaultInvalid    = "vault_invalid"
)

// sniff returns the record's format from its first bytes and the payload
// without MLLP framing.
func sniff(data []byte) (Format, []byte) {
	d := bytes.TrimLeft(data, " \t\r\n")
	if len(d) > 0 && d[0] == 0x0b { // MLLP start block
		d = d[1:]
		if i := bytes.IndexByte(d, 0x1c); i >= 0 {
			d = d[:i]
		}
		d = bytes.TrimLeft(d, " \t\r\n")
	}
	switch {
	case bytes.HasPrefix(d, []byte("MSH")):
		return FormatHL7, d
	case len(d) > 0 && d[0] == '{':
		return FormatFHIR, d
	}
	return FormatUnknown, d
}

// worker holds per-goroutine state.
type worker struct {
	p    *Pipeline
	gen  *generation // the rules generation of eval and deid
	eval Evaluator
	deid Deidentifier
	// evals keeps an evaluator per live generation: around a switch, the
	// records of other partitions may still use the old rules.
	evals map[*generation]Evaluator
	rep   deid.Report
	rows  *rules.Rows // the rows of the record in hand; handed to its job when it has any
	buf   []byte
	msg   hl7.Message
	guard leakGuard // output leak guard (leakguard.go)
}

func newWorker(p *Pipeline) *worker {
	return &worker{p: p, evals: map[*generation]Evaluator{}, rows: p.getRows(), guard: leakGuard{on: !p.cfg.NoLeakGuard}}
}

// use selects the evaluator and de-identifier of generation g.
func (w *worker) use(g *generation) {
	if g == w.gen {
		return
	}
	ev, ok := w.evals[g]
	if !ok {
		for old := range w.evals {
			if old.retired.Load() {
				delete(w.evals, old)
			}
		}
		if g.rules != nil {
			ev = g.rules.NewEvaluator()
		}
		w.evals[g] = ev
	}
	w.gen, w.eval, w.deid = g, ev, g.deid
}

// process parses, de-identifies and evaluates one job with the rules of
// its generation, filling its result.
func (w *worker) process(j *job) {
	defer close(j.done)
	w.use(j.gen)
	data := j.msg.Value
	if len(data) == 0 {
		j.class = ClassEmpty
		return
	}
	if len(data) > w.p.cfg.MaxRecordSize {
		j.class = ClassTooLarge
		return
	}
	f, payload := sniff(data)
	if f == FormatUnknown {
		f = w.p.topicFormat(j.msg.Topic)
	}
	j.format = f
	w.rows.Reset()
	switch f {
	case FormatHL7:
		m := &w.msg // reused: parsing allocates nothing once warm
		err := m.Reset(payload)
		if err != nil {
			j.class = ClassHL7Parse
			return
		}
		if typ, _ := m.Type(); typ == "" {
			// no MSH-9: a cut or empty header; nothing could route it
			j.class = ClassHL7NoType
			return
		}
		w.guard.harvestHL7(m)
		res, err := w.deid.HL7(m, &w.rep)
		if err != nil {
			j.class = ClassDeid
			return
		}
		j.pseudonym, j.msgType = res.Pseudonym, res.Type
		if w.eval != nil {
			if err := w.eval.HL7(m, res, w.rows); err != nil {
				j.class = ClassRules
				return
			}
		}
		if w.p.cfg.OutputHL7Topic != "" {
			j.out = m.AppendTo(nil)
		}
		if !w.checkLeaks(j, w.deid, res, j.out, leakguard.HL7) {
			j.out = nil
			return
		}
	case FormatFHIR:
		fd, ok := w.deid.(FHIRDeidentifier)
		if !ok {
			j.class = ClassFHIRUnsupported
			return
		}
		v, err := fhir.Parse(payload)
		if err != nil {
			j.class = ClassFHIRParse
			return
		}
		w.guard.harvestFHIR(v)
		res, err := fd.FHIR(v, &w.rep)
		if err != nil {
			j.class = ClassDeid
			return
		}
		j.pseudonym, j.msgType = res.Pseudonym, res.Type
		if w.eval != nil {
			if err := w.eval.FHIR(v, res, w.rows); err != nil {
				j.class = ClassRules
				return
			}
		}
		if w.p.cfg.OutputFHIRTopic != "" {
			j.out = v.AppendJSON(nil)
		}
		if !w.checkLeaks(j, w.deid, res, j.out, leakguard.JSON) {
			j.out = nil
			return
		}
	default:
		j.class = ClassUnknownFormat
		return
	}
	if w.rows.Len() > 0 {
		// the job takes the rows (their text lives in the Rows' arena, not in
		// the message buffer the worker reuses); the sequencer gives them back
		j.rows, w.rows = w.rows, w.p.getRows()
	}
}

// errClass maps an error to a PHI-free class for logs (never err.Error()).
func errClass(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, errStopped):
		return "stopped"
	}
	return "error"
}
