package pipeline

import (
	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/rules"
	"github.com/safeharbor/safeharbor/sinks/dataset"
)

// FromRuleSet adapts a compiled rules file to Rules. Every column is nullable
// (an absent source value gives a null). The file's `phi: store: none`
// keeps originals out of the vault (bad records still go to the vault DLQ),
// so they cannot be re-identified later.
func FromRuleSet(s *rules.Set) Rules { return ruleSet{s} }

type ruleSet struct{ s *rules.Set }

func (r ruleSet) Version() string { return r.s.Version() }

// PHIStore is the rules file's phi.store: "original" or "none".
func (r ruleSet) PHIStore() string { return r.s.PHIStore() }

func (r ruleSet) Datasets() []Dataset {
	var out []Dataset
	for _, d := range r.s.Datasets() {
		ds := Dataset{Name: d.Name}
		for _, c := range d.Columns {
			var t dataset.ColType
			switch c.Type {
			case rules.String:
				t = dataset.String
			case rules.Int64:
				t = dataset.Int64
			case rules.Float64:
				t = dataset.Float64
			case rules.Bool:
				t = dataset.Bool
			case rules.Timestamp:
				t = dataset.Timestamp
			}
			ds.Schema.Columns = append(ds.Schema.Columns, dataset.Column{Name: c.Name, Type: t, Nullable: true})
		}
		out = append(out, ds)
	}
	return out
}

func (r ruleSet) NewEvaluator() Evaluator { return ruleEval{r.s.NewEvaluator()} }

type ruleEval struct{ e *rules.Evaluator }

func (r ruleEval) HL7(m *hl7.Message, res deid.Result, out *rules.Rows) error {
	_, err := r.e.HL7Rows(m, res, out)
	return err
}

func (r ruleEval) FHIR(v *fhir.Value, res deid.Result, out *rules.Rows) error {
	_, err := r.e.FHIRRows(v, res, out)
	return err
}

// setRow stages typed values in a dataset row without boxing them.
func setRow(r *dataset.Row, vals []rules.Value) {
	for i, v := range vals {
		switch v.Type {
		case rules.String:
			r.SetString(i, v.Str)
		case rules.Int64:
			r.SetInt64(i, v.Int64())
		case rules.Float64:
			r.SetFloat64(i, v.Float64())
		case rules.Bool:
			r.SetBool(i, v.Bool())
		case rules.Timestamp:
			r.SetTime(i, v.Time())
		default:
			r.SetNull(i)
		}
	}
}
