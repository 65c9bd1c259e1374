package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/safeharbor/safeharbor/sinks/store"
)

var ctx = context.Background()

var allTypes = Schema{Columns: []Column{
	{Name: "patient_pseudonym", Type: String},
	{Name: "zip3", Type: String, Nullable: true},
	{Name: "age", Type: Int64, Nullable: true},
	{Name: "score", Type: Float64, Nullable: true},
	{Name: "deceased", Type: Bool, Nullable: true},
	{Name: "admitted", Type: Timestamp},
	{Name: "discharged", Type: Timestamp, Nullable: true},
}, YearColumn: "admitted"}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock { return &clock{t: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)} }

func row(i int) []any {
	adm := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Hour + 123*time.Millisecond)
	vals := []any{fmt.Sprintf("PSN-%05d", i), "021", int64(40 + i%50), float64(i) / 4, i%2 == 0, adm, adm.Add(72 * time.Hour)}
	if i%3 == 0 { // nulls in every nullable column
		vals[1], vals[2], vals[3], vals[4], vals[6] = nil, nil, nil, nil, nil
	}
	return vals
}

type readBack struct {
	cols map[string][]any
	kv   map[string]string
	rows int
}

func readParquet(t *testing.T, data []byte) readBack {
	t.Helper()
	rdr, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	rb := readBack{cols: map[string][]any{}, kv: map[string]string{}, rows: int(tbl.NumRows())}
	kv := rdr.MetaData().KeyValueMetadata()
	for i, k := range kv.Keys() {
		rb.kv[k] = kv.Values()[i]
	}
	for i := 0; i < int(tbl.NumCols()); i++ {
		col := tbl.Column(i)
		var vals []any
		for _, ch := range col.Data().Chunks() {
			for j := 0; j < ch.Len(); j++ {
				if ch.IsNull(j) {
					vals = append(vals, nil)
					continue
				}
				switch a := ch.(type) {
				case *array.String:
					vals = append(vals, a.Value(j))
				case *array.Int64:
					vals = append(vals, a.Value(j))
				case *array.Int32:
					vals = append(vals, a.Value(j))
				case *array.Float64:
					vals = append(vals, a.Value(j))
				case *array.Boolean:
					vals = append(vals, a.Value(j))
				case *array.Timestamp:
					tt := a.DataType().(*arrow.TimestampType)
					if tt.Unit != arrow.Millisecond || tt.TimeZone != "UTC" {
						t.Fatalf("column %s: timestamp type %s", col.Name(), tt)
					}
					vals = append(vals, time.UnixMilli(int64(a.Value(j))).UTC())
				default:
					t.Fatalf("column %s: unexpected array type %T", col.Name(), ch)
				}
			}
		}
		rb.cols[col.Name()] = vals
	}
	return rb
}

func newWriter(t *testing.T, st store.Store, c *clock, mut func(*Config)) *Writer {
	t.Helper()
	cfg := Config{Name: "encounters", Schema: allTypes, Store: st, RulesVersion: "rules-2026.05.1", Now: c.now}
	if mut != nil {
		mut(&cfg)
	}
	w, err := NewWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestRoundTripEveryTypeAndNulls(t *testing.T) {
	ms := newMemStore()
	w := newWriter(t, ms, newClock(), nil)
	const n = 50
	for i := 0; i < n; i++ {
		if err := w.Append(ctx, RowMeta{"adt-feed", 3, int64(1000 + i)}, row(i)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := w.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := "dataset=encounters/year=2026/part-adt-feed-3-00000000000000001000-00000000000000001049.parquet"
	if len(res.Files) != 1 || res.Files[0].Object != want || res.Files[0].Rows != n {
		t.Fatalf("files %+v", res.Files)
	}
	if d := res.Durable[SourcePartition{"adt-feed", 3}]; d != 1049 {
		t.Fatalf("durable %d", d)
	}
	if ms.Opts[want].Metadata["safeharbor-rules-version"] != "rules-2026.05.1" {
		t.Fatalf("object metadata %v", ms.Opts[want].Metadata)
	}
	rb := readParquet(t, ms.Objs[want])
	if rb.rows != n {
		t.Fatalf("%d rows", rb.rows)
	}
	for i := 0; i < n; i++ {
		exp := row(i)
		for c, col := range allTypes.Columns {
			got := rb.cols[col.Name][i]
			e := exp[c]
			if tm, ok := e.(time.Time); ok {
				e = tm.Truncate(time.Millisecond)
				if !got.(time.Time).Equal(e.(time.Time)) {
					t.Fatalf("row %d %s: got %v want %v", i, col.Name, got, e)
				}
				continue
			}
			if got != e {
				t.Fatalf("row %d %s: got %#v want %#v", i, col.Name, got, e)
			}
		}
		if rb.cols[ColSource][i] != "adt-feed" || rb.cols[ColPartition][i] != int32(3) ||
			rb.cols[ColOffset][i] != int64(1000+i) || rb.cols[ColRulesVersion][i] != "rules-2026.05.1" {
			t.Fatalf("row %d fixed columns wrong", i)
		}
	}
	for k, v := range map[string]string{MetaRulesVersion: "rules-2026.05.1", MetaDataset: "encounters", MetaSource: "adt-feed",
		MetaPartition: "3", MetaFirstOffset: "1000", MetaLastOffset: "1049"} {
		if rb.kv[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, rb.kv[k], v)
		}
	}
	if !bytes.Contains(ms.Objs[want], []byte("PAR1")) {
		t.Fatal("not parquet")
	}
}

func TestYearPartitionsAndDurableOffsets(t *testing.T) {
	ms := newMemStore()
	w := newWriter(t, ms, newClock(), func(c *Config) { c.MaxRows = 3 })
	y := func(year, i int) []any {
		v := row(i)
		v[5] = time.Date(year, 6, 1, 0, 0, 0, 0, time.UTC)
		return v
	}
	sp := SourcePartition{"adt", 0}
	// offsets 0..2 are 2025, 3 is 2026, 4..5 are 2025: the 2025 file rolls at 3 rows
	// (offsets 0,1,2) while offset 3 (2026) is still buffered.
	for i, yr := range []int{2025, 2025, 2025, 2026, 2025, 2025} {
		if err := w.Append(ctx, RowMeta{"adt", 0, int64(i)}, y(yr, i)); err != nil {
			t.Fatal(err)
		}
	}
	if d, ok := w.Durable()[sp]; !ok || d != 2 {
		t.Fatalf("durable after first roll: %d %v", d, ok)
	}
	res, err := w.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Durable[sp] != 5 {
		t.Fatalf("durable after flush %d", res.Durable[sp])
	}
	names := ms.Names()
	want := []string{
		"dataset=encounters/year=2025/part-adt-0-00000000000000000000-00000000000000000002.parquet",
		"dataset=encounters/year=2025/part-adt-0-00000000000000000004-00000000000000000005.parquet",
		"dataset=encounters/year=2026/part-adt-0-00000000000000000003-00000000000000000003.parquet",
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Fatalf("names:\n%s", strings.Join(names, "\n"))
	}
}

func TestProcessingYearWithoutYearColumn(t *testing.T) {
	ms := newMemStore()
	c := newClock()
	s := Schema{Columns: []Column{{Name: "v", Type: Int64}}}
	w := newWriter(t, ms, c, func(cfg *Config) { cfg.Schema = s })
	w.Append(ctx, RowMeta{"s", 1, 7}, []any{int64(1)})
	res, err := w.Flush(ctx)
	if err != nil || len(res.Files) != 1 || !strings.HasPrefix(res.Files[0].Object, "dataset=encounters/year=2026/part-s-1-") {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestReplayOverwritesSameObject(t *testing.T) {
	ms := newMemStore()
	write := func() []string {
		w := newWriter(t, ms, newClock(), func(c *Config) { c.MaxRows = 40 })
		for i := 0; i < 100; i++ {
			if err := w.Append(ctx, RowMeta{"lab", 2, int64(500 + i)}, row(i)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
		return ms.Names()
	}
	first := write()
	snapshot := map[string][]byte{}
	for _, n := range first {
		snapshot[n] = ms.Objs[n]
	}
	second := write()
	if len(first) != 3 || strings.Join(first, ",") != strings.Join(second, ",") {
		t.Fatalf("replay changed names:\n%v\n%v", first, second)
	}
	for _, n := range second {
		if !bytes.Equal(snapshot[n], ms.Objs[n]) {
			t.Fatalf("replay changed content of %s", n)
		}
	}
	if ms.Puts != 6 {
		t.Fatalf("%d puts", ms.Puts)
	}
}

func TestRollLimits(t *testing.T) {
	t.Run("rows", func(t *testing.T) {
		ms := newMemStore()
		w := newWriter(t, ms, newClock(), func(c *Config) { c.MaxRows = 10 })
		for i := 0; i < 25; i++ {
			w.Append(ctx, RowMeta{"a", 0, int64(i)}, row(i))
		}
		if ms.Puts != 2 {
			t.Fatalf("%d files after 25 rows with MaxRows 10", ms.Puts)
		}
		w.Flush(ctx)
		for _, n := range ms.Names() {
			if r := readParquet(t, ms.Objs[n]).rows; r > 10 {
				t.Fatalf("%s has %d rows", n, r)
			}
		}
		if ms.Puts != 3 {
			t.Fatalf("%d files", ms.Puts)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		ms := newMemStore()
		w := newWriter(t, ms, newClock(), func(c *Config) { c.MaxBytes = 1000 })
		for i := 0; i < 100; i++ {
			w.Append(ctx, RowMeta{"a", 0, int64(i)}, row(i))
		}
		if ms.Puts < 5 || ms.Puts > 20 {
			t.Fatalf("%d files for ~100 rows of ~100 bytes with MaxBytes 1000", ms.Puts)
		}
	})
	t.Run("age", func(t *testing.T) {
		ms := newMemStore()
		c := newClock()
		w := newWriter(t, ms, c, func(cfg *Config) { cfg.MaxAge = time.Minute })
		w.Append(ctx, RowMeta{"a", 0, 1}, row(1))
		if res, _ := w.FlushDue(ctx); len(res.Files) != 0 {
			t.Fatal("flushed before MaxAge")
		}
		c.add(61 * time.Second)
		res, err := w.FlushDue(ctx)
		if err != nil || len(res.Files) != 1 || res.Durable[SourcePartition{"a", 0}] != 1 {
			t.Fatalf("FlushDue: %+v %v", res, err)
		}
		// Append itself notices age (checked every 256 rows).
		for i := 2; i < 2+300; i++ {
			if i == 100 {
				c.add(2 * time.Minute)
			}
			w.Append(ctx, RowMeta{"a", 0, int64(i)}, row(i))
		}
		if ms.Puts != 2 {
			t.Fatalf("%d files; want an age roll during appends", ms.Puts)
		}
	})
}

func TestRowErrorsNeverEchoValues(t *testing.T) {
	ms := newMemStore()
	w := newWriter(t, ms, newClock(), nil)
	phi := "John Smith"
	bad := func(mut func([]any) []any) []any { return mut(row(1)) }
	cases := []struct {
		name string
		meta RowMeta
		vals []any
		want string
	}{
		{"wrong type", RowMeta{"a", 0, 1}, bad(func(v []any) []any { v[2] = phi; return v }), `column "age": want int64, got string`},
		{"null in non-null", RowMeta{"a", 0, 1}, bad(func(v []any) []any { v[0] = nil; return v }), `column "patient_pseudonym": null`},
		{"too few", RowMeta{"a", 0, 1}, []any{phi}, "1 values for 7 columns"},
		{"bad source", RowMeta{phi, 0, 1}, row(1), "source must be"},
		{"negative offset", RowMeta{"a", 0, -1}, row(1), "negative offset"},
		{"year out of range", RowMeta{"a", 0, 1}, bad(func(v []any) []any { v[5] = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC); return v }), "outside years"},
	}
	for _, c := range cases {
		err := w.Append(ctx, c.meta, c.vals)
		var re *RowError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "John") {
			t.Errorf("%s: error echoes a value: %v", c.name, err)
		}
	}
	// Refused rows leave no partial state: good rows still line up.
	w.Append(ctx, RowMeta{"a", 0, 5}, row(5))
	if err := w.Append(ctx, RowMeta{"a", 0, 4}, row(4)); err == nil || !strings.Contains(err.Error(), "offset before") {
		t.Fatalf("offset going back: %v", err)
	}
	w.Append(ctx, RowMeta{"a", 0, 6}, row(6))
	res, err := w.Flush(ctx)
	if err != nil || len(res.Files) != 1 {
		t.Fatal(err)
	}
	rb := readParquet(t, ms.Objs[res.Files[0].Object])
	if rb.rows != 2 || rb.cols["patient_pseudonym"][1] != "PSN-00006" || rb.cols[ColOffset][1] != int64(6) {
		t.Fatalf("read back %+v", rb.cols)
	}
}

type failingStore struct {
	*memStore
	fail bool
}

func (f *failingStore) Put(ctx context.Context, name string, data []byte, o store.PutOptions) error {
	if f.fail {
		return errors.New("injected: store unavailable")
	}
	return f.memStore.Put(ctx, name, data, o)
}

func TestFlushFailureKeepsRowsAndOffsets(t *testing.T) {
	fs := &failingStore{memStore: newMemStore(), fail: true}
	w := newWriter(t, fs, newClock(), nil)
	sp := SourcePartition{"a", 0}
	for i := 0; i < 5; i++ {
		w.Append(ctx, RowMeta{"a", 0, int64(i)}, row(i))
	}
	res, err := w.Flush(ctx)
	if err == nil || len(res.Files) != 0 {
		t.Fatalf("flush against failing store: %+v %v", res, err)
	}
	if _, ok := res.Durable[sp]; ok {
		t.Fatalf("offsets reported durable after a failed put: %v", res.Durable)
	}
	w.Append(ctx, RowMeta{"a", 0, 5}, row(5))
	fs.fail = false
	res, err = w.Flush(ctx)
	if err != nil || len(res.Files) != 2 || res.Durable[sp] != 5 {
		t.Fatalf("retry: %+v %v", res, err)
	}
	if res.Files[0].FirstOffset != 0 || res.Files[0].LastOffset != 4 || res.Files[1].FirstOffset != 5 {
		t.Fatalf("files %+v", res.Files)
	}
}

func TestTypedRow(t *testing.T) {
	ms := newMemStore()
	w := newWriter(t, ms, newClock(), nil)
	r := w.NewRow()
	fill := func(i int) {
		r.Reset(RowMeta{"a", 0, int64(i)})
		r.SetString(0, fmt.Sprintf("PSN-%05d", i))
		r.SetNull(1)
		r.SetInt64(2, int64(i))
		r.SetFloat64(3, 1.5)
		r.SetBool(4, true)
		r.SetTime(5, time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC))
		r.SetNull(6)
	}
	fill(1)
	if err := w.AppendRow(ctx, r); err != nil {
		t.Fatal(err)
	}
	fill(2)
	r.SetInt64(0, 5) // wrong type for a string column
	if err := w.AppendRow(ctx, r); err == nil || !strings.Contains(err.Error(), `column "patient_pseudonym": want string, got int64`) {
		t.Fatalf("wrong setter: %v", err)
	}
	r.Reset(RowMeta{"a", 0, 3})
	r.SetString(0, "PSN-3")
	if err := w.AppendRow(ctx, r); err == nil || !strings.Contains(err.Error(), `column "zip3": not set`) {
		t.Fatalf("unset column: %v", err)
	}
	fill(4)
	r.SetNull(0)
	if err := w.AppendRow(ctx, r); err == nil || !strings.Contains(err.Error(), "null in a non-nullable") {
		t.Fatalf("null: %v", err)
	}
	fill(5)
	if err := w.AppendRow(ctx, r); err != nil {
		t.Fatal(err)
	}
	res, err := w.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rb := readParquet(t, ms.Objs[res.Files[0].Object])
	if rb.rows != 2 || rb.cols["age"][1] != int64(5) || rb.cols["score"][0] != 1.5 || rb.cols["zip3"][0] != nil ||
		!rb.cols["admitted"][0].(time.Time).Equal(time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)) {
		t.Fatalf("read back %+v", rb.cols)
	}
}

func TestBackgroundMatchesSynchronous(t *testing.T) {
	write := func(bg int, st store.Store) FlushResult {
		w := newWriter(t, st, newClock(), func(c *Config) { c.MaxRows = 64; c.Background = bg })
		for i := 0; i < 1000; i++ {
			if err := w.Append(ctx, RowMeta{"adt", int32(i % 3), int64(i)}, row(i)); err != nil {
				t.Fatal(err)
			}
		}
		res, err := w.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	syncStore, bgStore := newMemStore(), newMemStore()
	rs, rb := write(0, syncStore), write(2, bgStore)
	if strings.Join(syncStore.Names(), ",") != strings.Join(bgStore.Names(), ",") || len(syncStore.Names()) < 15 {
		t.Fatalf("object sets differ: %d vs %d", len(syncStore.Names()), len(bgStore.Names()))
	}
	for _, n := range syncStore.Names() {
		if !bytes.Equal(syncStore.Objs[n], bgStore.Objs[n]) {
			t.Fatalf("%s differs", n)
		}
	}
	for p := int32(0); p < 3; p++ {
		sp := SourcePartition{"adt", p}
		if rs.Durable[sp] != rb.Durable[sp] || rb.Durable[sp] < 997 {
			t.Fatalf("durable %v vs %v", rs.Durable, rb.Durable)
		}
	}
}

func TestBackgroundPutFailure(t *testing.T) {
	fs := &failingStore{memStore: newMemStore(), fail: true}
	w := newWriter(t, fs, newClock(), func(c *Config) { c.MaxRows = 10; c.Background = 1 })
	sp := SourcePartition{"a", 0}
	var appendErr error
	for i := 0; i < 35 && appendErr == nil; i++ {
		appendErr = w.Append(ctx, RowMeta{"a", 0, int64(i)}, row(i))
	}
	// A failed background put surfaces at a later roll (backpressure) or at Flush.
	res, err := w.Flush(ctx)
	if err == nil && appendErr == nil {
		t.Fatal("no error from a failing store")
	}
	if d, ok := res.Durable[sp]; ok {
		t.Fatalf("durable %d reported while nothing is stored", d)
	}
	fs.fail = false
	res, err = w.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := int64(34)
	if appendErr != nil {
		last = -1
		for _, f := range res.Files {
			last = max(last, f.LastOffset)
		}
	}
	if res.Durable[sp] != last {
		t.Fatalf("durable %d, want %d (files %+v)", res.Durable[sp], last, res.Files)
	}
	for _, n := range fs.Names() {
		readParquet(t, fs.Objs[n])
	}
}

func TestConfigAndSchemaValidation(t *testing.T) {
	ms := newMemStore()
	cases := []struct {
		s    Schema
		want string
	}{
		{Schema{}, "no columns"},
		{Schema{Columns: []Column{{Name: "a", Type: Int64}, {Name: "a", Type: Int64}}}, "duplicate"},
		{Schema{Columns: []Column{{Name: "_source", Type: String}}}, "reserved"},
		{Schema{Columns: []Column{{Name: "a b", Type: String}}}, "name must be"},
		{Schema{Columns: []Column{{Name: "a", Type: 99}}}, "unknown type"},
		{Schema{Columns: []Column{{Name: "a", Type: String}}, YearColumn: "a"}, "non-nullable timestamp"},
		{Schema{Columns: []Column{{Name: "a", Type: Timestamp, Nullable: true}}, YearColumn: "a"}, "non-nullable timestamp"},
		{Schema{Columns: []Column{{Name: "a", Type: String}}, YearColumn: "b"}, "not in the schema"},
	}
	for _, c := range cases {
		_, err := NewWriter(Config{Name: "d", Schema: c.s, Store: ms, RulesVersion: "v1"})
		var se *SchemaError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("schema %+v: err %v, want %q", c.s, err, c.want)
		}
	}
	ok := Schema{Columns: []Column{{Name: "a", Type: String}}}
	if _, err := NewWriter(Config{Name: "d", Schema: ok, Store: ms}); err == nil {
		t.Error("missing rules version accepted")
	}
	if _, err := NewWriter(Config{Name: "../x", Schema: ok, Store: ms, RulesVersion: "v"}); err == nil {
		t.Error("bad dataset name accepted")
	}
	if _, err := NewWriter(Config{Name: "d", Schema: ok, RulesVersion: "v"}); err == nil {
		t.Error("missing store accepted")
	}
	for _, n := range []string{"string", "int64", "float64", "bool", "timestamp"} {
		ct, err := ParseColType(n)
		if err != nil || ct.String() != n {
			t.Errorf("ParseColType(%s) = %v %v", n, ct, err)
		}
	}
	if _, err := ParseColType("decimal"); err == nil {
		t.Error("unknown type parsed")
	}
}

// discardStore counts bytes and drops them.
type discardStore struct {
	memStore
	bytes int64
}

func (d *discardStore) Put(_ context.Context, _ string, data []byte, _ store.PutOptions) error {
	d.bytes += int64(len(data))
	return nil
}

var cpuAtStart time.Duration

var benchSchema = Schema{Columns: []Column{
	{Name: "pseudonym", Type: String}, {Name: "zip3", Type: String, Nullable: true}, {Name: "code", Type: String},
	{Name: "age", Type: Int64}, {Name: "count", Type: Int64, Nullable: true}, {Name: "score", Type: Float64},
	{Name: "flag", Type: Bool}, {Name: "at", Type: Timestamp},
}, YearColumn: "at"}

type benchData struct {
	pseud []string
	codes []string
	base  time.Time
}

func newBenchData() benchData {
	d := benchData{pseud: make([]string, 1024), codes: []string{"E11.9", "I10", "J45.909", "Z00.00"},
		base: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	for i := range d.pseud {
		d.pseud[i] = fmt.Sprintf("PSN-%08x", i*7919)
	}
	return d
}

func benchWriter(b *testing.B) (*Writer, *discardStore) {
	cpuAtStart = processCPU()
	ds := &discardStore{}
	w, err := NewWriter(Config{Name: "bench", Schema: benchSchema, Store: ds, RulesVersion: "v1", MaxRows: 100_000, Background: 1})
	if err != nil {
		b.Fatal(err)
	}
	return w, ds
}

func finishBench(b *testing.B, w *Writer, ds *discardStore) {
	if _, err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	// rows per CPU-second of the whole process (appending, encoding, zstd, GC):
	// the throughput one dedicated core gives, whatever else loads the machine.
	if cpu := processCPU() - cpuAtStart; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "rows/cpu-s")
	}
	b.ReportMetric(float64(ds.bytes)/float64(b.N), "parquet-B/row")
}

// BenchmarkDatasetWrite appends b.N rows of 8 columns (3 strings, 2 int64,
// float64, bool, timestamp) over 4 partitions with the typed Row setters,
// including the zstd Parquet encoding of every file (100,000 rows each).
func BenchmarkDatasetWrite(b *testing.B) {
	w, ds := benchWriter(b)
	d := newBenchData()
	r := w.NewRow()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Reset(RowMeta{"adt", int32(i & 3), int64(i)})
		r.SetString(0, d.pseud[i&1023])
		r.SetString(1, "021")
		r.SetString(2, d.codes[i&3])
		r.SetInt64(3, int64(i%90))
		r.SetNull(4)
		r.SetFloat64(5, float64(i&1023)*0.5)
		r.SetBool(6, i&1 == 0)
		r.SetTime(7, d.base.Add(time.Duration(i&4095)*time.Second))
		if err := w.AppendRow(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	finishBench(b, w, ds)
}

// BenchmarkDatasetWriteAny is BenchmarkDatasetWrite through Append([]any).
func BenchmarkDatasetWriteAny(b *testing.B) {
	w, ds := benchWriter(b)
	d := newBenchData()
	vals := make([]any, 8)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vals[0] = d.pseud[i&1023]
		vals[1] = "021"
		vals[2] = d.codes[i&3]
		vals[3] = int64(i % 90)
		vals[4] = nil
		vals[5] = float64(i&1023) * 0.5
		vals[6] = i&1 == 0
		vals[7] = d.base.Add(time.Duration(i&4095) * time.Second)
		if err := w.Append(ctx, RowMeta{"adt", int32(i & 3), int64(i)}, vals); err != nil {
			b.Fatal(err)
		}
	}
	finishBench(b, w, ds)
}

// TestRowsPerMessage: one message (one offset) yields several rows; all are
// kept, and a file never splits them, so a replay writes the same files.
func TestRowsPerMessage(t *testing.T) {
	write := func() map[string]int {
		ms := newMemStore()
		w := newWriter(t, ms, newClock(), func(c *Config) { c.MaxRows = 4 })
		for off := 0; off < 6; off++ {
			for k := 0; k < 3; k++ { // three OBX rows per message
				if err := w.Append(ctx, RowMeta{"oru", 0, int64(off)}, row(off)); err != nil {
					t.Fatalf("offset %d row %d: %v", off, k, err)
				}
			}
		}
		res, err := w.Flush(ctx)
		if err != nil || res.Durable[SourcePartition{"oru", 0}] != 5 {
			t.Fatalf("flush: %v %v", err, res.Durable)
		}
		files := map[string]int{}
		total := 0
		for _, n := range ms.Names() {
			rb := readParquet(t, ms.Objs[n])
			files[n] = rb.rows
			total += rb.rows
			offs := map[any]bool{}
			for _, o := range rb.cols[ColOffset] {
				offs[o] = true
			}
			for o := range offs {
				cnt := 0
				for _, x := range rb.cols[ColOffset] {
					if x == o {
						cnt++
					}
				}
				if cnt != 3 {
					t.Errorf("%s: offset %v has %d of its 3 rows", n, o, cnt)
				}
			}
		}
		if total != 18 {
			t.Fatalf("%d rows stored, want 18", total)
		}
		return files
	}
	a, b := write(), write()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("replay wrote different files: %v vs %v", a, b)
	}
}

func TestDiscardFrom(t *testing.T) {
	ms := newMemStore()
	w := newWriter(t, ms, newClock(), func(c *Config) { c.MaxRows = 2 })
	for off := 0; off < 6; off++ {
		if err := w.Append(ctx, RowMeta{"oru", 0, int64(off)}, row(off)); err != nil {
			t.Fatal(err)
		}
		if err := w.Append(ctx, RowMeta{"oru-0", 1, int64(off)}, row(off)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	before := len(ms.Names())
	gone, err := DiscardFrom(ctx, ms, "encounters", "oru", 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != 2 || len(ms.Names()) != before-2 {
		t.Fatalf("deleted %v of %d files", gone, before)
	}
	kept, other := 0, 0
	for _, n := range ms.Names() {
		switch {
		case strings.Contains(n, "/part-oru-0-0"): // topic oru, partition 0
			kept++
			if !strings.Contains(n, "-00000000000000000000-") {
				t.Fatalf("kept %s", n)
			}
		case strings.Contains(n, "/part-oru-0-1-"): // topic oru-0, partition 1: untouched
			other++
		}
	}
	if kept != 1 || other != 3 {
		t.Fatalf("kept %d of oru/0, %d of oru-0/1", kept, other)
	}
}
