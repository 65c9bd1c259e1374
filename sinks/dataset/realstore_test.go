package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/internal/miniotest"
	"github.com/safeharbor/safeharbor/sinks/store"
)

func TestMain(m *testing.M) { os.Exit(miniotest.Main(m)) }

// writeAndReadBack writes 3 files (MaxRows 20) of 50 rows to st and reads them back through st.
func writeAndReadBack(t *testing.T, st store.Store) {
	t.Helper()
	w := newWriter(t, st, newClock(), func(c *Config) { c.MaxRows = 20 })
	for i := 0; i < 50; i++ {
		if err := w.Append(ctx, RowMeta{"adt", 1, int64(i)}, row(i)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := w.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Durable[SourcePartition{"adt", 1}] != 49 {
		t.Fatalf("durable %v", res.Durable)
	}
	var names []string
	if err := st.List(ctx, "dataset=encounters/", func(in store.Info) error { names = append(names, in.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(names) != 3 || names[0] != ObjectName("encounters", 2026, "adt", 1, 0, 19) {
		t.Fatalf("objects %v", names)
	}
	seen := 0
	for _, n := range names {
		data, err := st.Get(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		rb := readParquet(t, data)
		if rb.kv[MetaRulesVersion] != "rules-2026.05.1" {
			t.Fatalf("%s metadata %v", n, rb.kv)
		}
		for j := 0; j < rb.rows; j++ {
			if rb.cols[ColOffset][j] != int64(seen) || rb.cols["patient_pseudonym"][j] != row(seen)[0] {
				t.Fatalf("%s row %d mismatch", n, j)
			}
			seen++
		}
	}
	if seen != 50 {
		t.Fatalf("read %d rows", seen)
	}
	in, err := st.Stat(ctx, names[0])
	if err != nil || in.Metadata["safeharbor-rules-version"] != "rules-2026.05.1" {
		t.Fatalf("stat %+v %v", in, err)
	}
}

func TestLocalStore(t *testing.T) {
	st, err := store.NewLocal(filepath.Join(t.TempDir(), "objs"))
	if err != nil {
		t.Fatal(err)
	}
	writeAndReadBack(t, st)
}

func TestMinIOStore(t *testing.T) {
	s := miniotest.Shared(t)
	st, err := store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: s.NewBucket(t, false),
		AccessKey: s.AccessKey, SecretKey: s.SecretKey, CAFile: s.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	writeAndReadBack(t, st)
}

// duckDB runs SQL statements with DuckDB and returns one JSON result per
// statement. It uses the duckdb CLI from PATH, or Node with @duckdb/node-api
// from $SAFEHARBOR_DUCKDB_NODE_MODULES (a node_modules directory; install with
// `npm install --prefix DIR @duckdb/node-api@1.5.6-r.1`). It skips otherwise.
func duckDB(t *testing.T, stmts ...string) [][]map[string]any {
	t.Helper()
	var out [][]map[string]any
	if nm := os.Getenv("SAFEHARBOR_DUCKDB_NODE_MODULES"); nm != "" {
		if _, err := exec.LookPath("node"); err != nil {
			t.Skip("DuckDB check skipped: SAFEHARBOR_DUCKDB_NODE_MODULES is set but node is not installed")
		}
		script := filepath.Join(t.TempDir(), "q.js")
		os.WriteFile(script, []byte(`const { DuckDBInstance } = require(process.env.SAFEHARBOR_DUCKDB_NODE_MODULES + '/@duckdb/node-api');
(async () => {
  const c = await (await DuckDBInstance.create(':memory:')).connect();
  const res = [];
  for (const q of process.argv.slice(2)) res.push((await c.runAndReadAll(q)).getRowObjectsJson());
  console.log(JSON.stringify(res));
})().catch(e => { console.error(String(e)); process.exit(1); });
`), 0o600)
		cmd := exec.Command("node", append([]string{script}, stmts...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("duckdb (node): %v: %s", err, stderr.String())
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("duckdb output: %v: %s", err, b)
		}
		return out
	}
	if _, err := exec.LookPath("duckdb"); err == nil {
		for _, q := range stmts {
			b, err := exec.Command("duckdb", "-json", "-c", q).Output()
			if err != nil {
				t.Fatalf("duckdb: %v", err)
			}
			var rows []map[string]any
			if err := json.Unmarshal(b, &rows); err != nil {
				t.Fatalf("duckdb output: %v: %s", err, b)
			}
			out = append(out, rows)
		}
		return out
	}
	t.Skip("DuckDB check skipped: no duckdb on PATH and SAFEHARBOR_DUCKDB_NODE_MODULES unset (npm install --prefix DIR @duckdb/node-api@1.5.6-r.1, then set it to DIR/node_modules)")
	return nil
}

// TestDuckDBReadsDataset writes a two-year dataset, lays the objects out as
// files and checks that DuckDB reads every type, the nulls, the Hive year
// partition and the key-value metadata.
func TestDuckDBReadsDataset(t *testing.T) {
	ms := newMemStore()
	w := newWriter(t, ms, newClock(), nil)
	const n = 40
	var ageSum int64
	var nonNullZip, dead int
	var scoreSum float64
	for i := 0; i < n; i++ {
		v := row(i)
		if i >= 30 {
			v[5] = time.Date(2025, 12, 31, 23, 59, 59, 999_000_000, time.UTC)
		}
		if v[1] != nil {
			nonNullZip++
			ageSum += v[2].(int64)
			scoreSum += v[3].(float64)
			if v[4].(bool) {
				dead++
			}
		}
		if err := w.Append(ctx, RowMeta{"adt", 0, int64(i)}, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range ms.Objs {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o700)
		os.WriteFile(p, data, 0o600)
	}
	glob := filepath.Join(dir, "dataset=encounters", "**", "*.parquet")
	res := duckDB(t,
		fmt.Sprintf(`SELECT count(*)::INTEGER AS n, count(zip3)::INTEGER AS zips, sum(age)::BIGINT AS ages,
			round(sum(score), 3)::DOUBLE AS scores, count(*) FILTER (WHERE deceased)::INTEGER AS dead,
			min(_offset)::BIGINT AS lo, max(_offset)::BIGINT AS hi, count(DISTINCT _rules_version)::INTEGER AS rvs,
			any_value(_rules_version) AS rv, count(discharged)::INTEGER AS dis,
			count(*) FILTER (WHERE year = 2025)::INTEGER AS y2025,
			strftime(max(admitted) FILTER (WHERE year = 2025) AT TIME ZONE 'UTC', '%%Y-%%m-%%d %%H:%%M:%%S.%%g') AS last2025,
			any_value(typeof(admitted)) AS tstype
			FROM read_parquet('%s', hive_partitioning = true)`, glob),
		fmt.Sprintf(`SELECT count(*)::INTEGER AS files FROM parquet_kv_metadata('%s')
			WHERE decode(key) = 'safeharbor.rules_version' AND decode(value) = 'rules-2026.05.1'`, glob))
	got := res[0][0]
	want := map[string]any{"n": n, "zips": nonNullZip, "ages": ageSum, "scores": scoreSum, "dead": dead, "lo": 0, "hi": n - 1,
		"rvs": 1, "rv": "rules-2026.05.1", "dis": nonNullZip, "y2025": 10, "last2025": "2025-12-31 23:59:59.999",
		"tstype": "TIMESTAMP WITH TIME ZONE"}
	for k, v := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(v) {
			t.Errorf("duckdb %s = %v, want %v", k, got[k], v)
		}
	}
	if fmt.Sprint(res[1][0]["files"]) != "2" {
		t.Errorf("kv metadata in %v files, want 2", res[1][0]["files"])
	}
	if t.Failed() {
		t.Logf("duckdb row: %v", got)
	}
}
