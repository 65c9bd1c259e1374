package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/rules"
	"github.com/safeharbor/safeharbor/sinks/store"
)

// rowsRules reads text from many places of HL7v2 messages: values viewed in
// the message buffer, escaped values, message attributes and pseudonyms.
const rowsRules = `version: 1
datasets:
  - name: lab
    each: OBX
    columns:
      - {name: p, type: string, from: pseudonym}
      - {name: t, type: string, from: msg.type}
      - {name: e, type: string, from: msg.event}
      - {name: code, type: string, from: OBX-3.1}
      - {name: label, type: string, from: OBX-3.2}
      - {name: units, type: string, from: OBX-6.1}
      - {name: v, type: float64, from: 'number(field("OBX-5"))'}
      - {name: vt, type: string, from: 'field("OBX-2") + "/" + field("OBX-11")'}
      - {name: y, type: int64, from: 'year(field("OBR-7"))'}
      - {name: sex, type: string, from: PID-8}
  - name: enc
    when: msg.type == "ADT"
    each: message
    columns:
      - {name: p, type: string, from: pseudonym}
      - {name: cls, type: string, from: PV1-2}
      - {name: dx, type: string, from: DG1-3.2}
      - {name: st, type: string, from: PID-11.4}
`

// TestStoredRowsEqualEvaluation: the rows the pipeline writes to Parquet
// (typed rows handed from workers to the sequencer, text in the rows' own
// arena while worker buffers are reused) are exactly the rows the rules
// produce for the same de-identified messages evaluated one at a time.
func TestStoredRowsEqualEvaluation(t *testing.T) {
	const parts = 2
	e := newEnv(t, parts, nil, nil)
	set, err := rules.Compile([]byte(rowsRules), "rows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	hl7s, _, _ := synthTraffic(7, 800, 0)
	e.produce(tHL7, hl7s)
	cfg := e.config()
	cfg.Rules = FromRuleSet(set)
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := runPipeline(t, p)
	waitFor(t, 60*time.Second, "all offsets committed", func() bool {
		return sumCommitted(e.groupOffsets(tHL7, parts)) == int64(len(hl7s))
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	// the same messages, evaluated directly with the boxed API
	want := map[string][]string{}
	ev := set.NewEvaluator()
	names := set.Datasets()
	for _, raw := range hl7s {
		m, err := hl7.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.eng.HL7(m, &deid.Report{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ev.HL7(m, res, func(ds int, row []any) {
			want[names[ds].Name] = append(want[names[ds].Name], formatRow(row))
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range names {
		got := e.datasetValues(t, d.Name, len(d.Columns))
		w := want[d.Name]
		slices.Sort(got)
		slices.Sort(w)
		if len(w) == 0 {
			t.Fatalf("dataset %s: no rows expected; the test needs traffic that feeds it", d.Name)
		}
		if !slices.Equal(got, w) {
			for i := range min(len(got), len(w)) {
				if got[i] != w[i] {
					t.Fatalf("dataset %s: %d rows stored, %d evaluated; first difference:\n stored    %s\n evaluated %s", d.Name, len(got), len(w), got[i], w[i])
				}
			}
			t.Fatalf("dataset %s: %d rows stored, %d evaluated", d.Name, len(got), len(w))
		}
		t.Logf("dataset %s: %d stored rows equal the evaluated ones", d.Name, len(got))
	}
}

func formatRow(row []any) string {
	parts := make([]string, len(row))
	for i, v := range row {
		parts[i] = fmt.Sprintf("%#v", v)
	}
	return strings.Join(parts, " | ")
}

// datasetValues reads the first n (user) columns of every row of a dataset.
func (e *env) datasetValues(t *testing.T, name string, n int) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	err := e.eachTable(ctx, name, func(_ store.Info, _ *file.Reader, tbl arrow.Table) error {
		rows := make([][]any, tbl.NumRows())
		for c := 0; c < n; c++ {
			r := 0
			for _, ch := range tbl.Column(c).Data().Chunks() {
				for j := 0; j < ch.Len(); j++ {
					var v any
					if !ch.IsNull(j) {
						switch a := ch.(type) {
						case *array.String:
							v = a.Value(j)
						case *array.Int64:
							v = a.Value(j)
						case *array.Float64:
							v = a.Value(j)
						default:
							return fmt.Errorf("column %d: unexpected %T", c, ch)
						}
					}
					rows[r] = append(rows[r], v)
					r++
				}
			}
		}
		for _, row := range rows {
			out = append(out, formatRow(row))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("dataset %s: %v", name, err)
	}
	return out
}
