package reliability

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/safeharbor/safeharbor/pipeline/ingest"
	"github.com/safeharbor/safeharbor/sinks/store"
)

// TestCrashRestart runs `safeharbor run` as a subprocess against a broker in
// the test process, produces seeded traffic while killing the process with
// SIGKILL at random moments and restarting it, then checks that every input
// offset has exactly one vault record (no loss, no duplicate record in
// another segment) and the same dataset rows per offset as a clean run with
// no kills. Logs (debug level) and /metrics must hold no identifier.
func TestCrashRestart(t *testing.T) {
	kills, n := 3, 4000
	if long() {
		kills, n = 20, 20000
	}
	seed := time.Now().UnixNano()
	if s := os.Getenv("SAFEHARBOR_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	rng := rand.New(rand.NewSource(seed))
	t.Logf("kill timing seed %d (SAFEHARBOR_CRASH_SEED to repeat)", seed)

	const parts = 3
	cluster, broker, err := ingest.StartEmbedded(ingest.EmbeddedConfig{Topics: allTopics, Partitions: parts})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	brokers := []string{broker}
	dir := t.TempDir()
	k := newKeys(t, dir)
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := runConfig{brokers: brokers, group: "crash", k: k, vaultDir: filepath.Join(dir, "vault"),
		anaDir: filepath.Join(dir, "analytics"), rulesFile: filepath.Join(repoRoot(t), "examples", "rules.yaml"),
		metricsAddr: metricsAddr, logLevel: "debug"}
	cfgFile := cfg.write(t, filepath.Join(dir, "crash.yaml"))

	tr := synthTraffic(7, n, 0.2)
	w := newWriter(brokers)
	defer w.Close()
	// Traffic is produced in one chunk per run, paced, so that kills land
	// while records are in flight.
	chunks := kills + 1
	chunk := func(i int) []kafka.Message {
		per := (len(tr.msgs) + chunks - 1) / chunks
		return tr.msgs[min(i*per, len(tr.msgs)):min((i+1)*per, len(tr.msgs))]
	}
	produceChunk := func(i int) chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			c := chunk(i)
			for j := 0; j < len(c); j += 100 {
				produce(t, w, c[j:min(j+100, len(c))])
				time.Sleep(time.Duration(20+rng.Intn(60)) * time.Millisecond)
			}
		}()
		return done
	}
	total := int64(len(tr.msgs))
	inputs := []string{tHL7, tFHIR}
	progress := func(group string) int64 {
		m, err := committed(t, brokers, group, inputs, parts)
		if err != nil {
			return -1
		}
		return sumOffsets(m)
	}

	logs := &lockedBuf{}
	if f := os.Getenv("SAFEHARBOR_REL_DUMP"); f != "" {
		t.Cleanup(func() { _ = os.WriteFile(f, []byte(logs.String()), 0o600) })
	}
	deadline := time.Now().Add(time.Duration(kills)*40*time.Second + 2*time.Minute)
	var killedAt []int64
	for i := 0; i < kills; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("kill phase exceeded its time budget after %d kills", i)
		}
		p := start(t, logs, nil, "run", "--config", cfgFile)
		var prod chan struct{}
		if rng.Intn(4) == 0 {
			// Some kills land during start-up or the group join.
			prod = produceChunk(i)
			time.Sleep(time.Duration(rng.Intn(1500)) * time.Millisecond)
		} else {
			waitReady(t, p, metricsAddr, logs)
			prod = produceChunk(i)
			time.Sleep(time.Duration(100+rng.Intn(2500)) * time.Millisecond)
		}
		if p.exited() {
			t.Fatalf("safeharbor exited on its own (run %d): %v\n%s", i, p.err, tail(logs.String(), 3000))
		}
		c := progress("crash")
		p.kill() // SIGKILL
		killedAt = append(killedAt, c)
		<-prod
	}
	t.Logf("%d kills; committed offsets seen just before each kill: %v", kills, killedAt)

	// Final run: must finish everything, then stop cleanly.
	p := start(t, logs, nil, "run", "--config", cfgFile)
	waitReady(t, p, metricsAddr, logs)
	<-produceChunk(kills)
	waitFor(t, 3*time.Minute, "all offsets committed after the last restart", func() bool {
		if p.exited() {
			t.Fatalf("safeharbor exited: %v\n%s", p.err, tail(logs.String(), 3000))
		}
		return progress("crash") == total
	}, logs)
	_, metrics, _ := httpGet("http://" + metricsAddr + "/metrics")
	if code := p.stop(t, 40*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\n%s", code, tail(logs.String(), 3000))
	}

	// Clean reference run: no kills, fresh sinks, its own group.
	cleanCfg := cfg
	cleanCfg.group, cleanCfg.vaultDir, cleanCfg.anaDir = "clean", filepath.Join(dir, "vault-clean"), filepath.Join(dir, "analytics-clean")
	cleanCfg.logLevel = "info"
	cleanLogs := &lockedBuf{}
	cleanCfg.metricsAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cp := start(t, cleanLogs, nil, "run", "--config", cleanCfg.write(t, filepath.Join(dir, "clean.yaml")))
	waitReady(t, cp, cleanCfg.metricsAddr, cleanLogs)
	waitFor(t, 3*time.Minute, "clean run committed everything", func() bool {
		if cp.exited() {
			t.Fatalf("clean run exited: %v\n%s", cp.err, tail(cleanLogs.String(), 3000))
		}
		return progress("clean") == total
	}, cleanLogs)
	if code := cp.stop(t, 40*time.Second); code != 0 {
		t.Fatalf("clean run exit code %d", code)
	}

	// Vault: every input offset exactly once.
	vst, err := store.NewLocal(cfg.vaultDir)
	if err != nil {
		t.Fatal(err)
	}
	v := k.openVault(t, vst)
	offs, segs, where := vaultOffsetSegs(t, v, vst, false)
	dlq, _ := vaultOffsets(t, v, vst, true)
	var lost, dup int
	var dupEx []string
	want := map[string]bool{}
	for _, tp := range inputs {
		for part := range parts {
			c, err := committed(t, brokers, "crash", []string{tp}, parts)
			if err != nil {
				t.Fatal(err)
			}
			for o := int64(0); o < c[tp+"/"+strconv.Itoa(part)]; o++ {
				want[fmt.Sprintf("%s/%d/%d", tp, part, o)] = true
			}
		}
	}
	if int64(len(want)) != total {
		t.Fatalf("expected offsets %d, want %d", len(want), total)
	}
	for key := range want {
		switch c := offs[key] + dlq[key]; {
		case c == 0:
			lost++
		case c > 1:
			dup++
			if len(dupEx) < 6 {
				dupEx = append(dupEx, key+" in "+strings.Join(where[key], ", "))
			}
		}
	}
	if len(offs)+len(dlq) != len(want) {
		t.Errorf("vault holds %d distinct offsets, want %d", len(offs)+len(dlq), len(want))
	}
	if lost != 0 || dup != 0 {
		t.Fatalf("vault: %d offsets lost, %d offsets with more than one record (of %d); e.g.\n%s\nsegments: %v", lost, dup, total, strings.Join(dupEx, "\n"), segs)
	}
	// The clean run has the same vault offsets.
	cst, _ := store.NewLocal(cleanCfg.vaultDir)
	cleanOffs, cleanSegs := vaultOffsets(t, k.openVault(t, cst), cst, false)
	if len(cleanOffs) != len(offs) {
		t.Fatalf("vault offsets: %d after kills, %d in the clean run", len(offs), len(cleanOffs))
	}

	// Datasets: rows per offset equal to the clean run.
	rows, _, files := parquetRows(t, cfg.anaDir)
	cleanRows, _, cleanFiles := parquetRows(t, cleanCfg.anaDir)
	var diff []string
	for key, c := range cleanRows {
		if rows[key] != c {
			diff = append(diff, fmt.Sprintf("%s: %d rows, clean %d", key, rows[key], c))
		}
	}
	for key, c := range rows {
		if _, ok := cleanRows[key]; !ok {
			diff = append(diff, fmt.Sprintf("%s: %d rows, clean none", key, c))
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Fatalf("dataset rows differ from the clean run at %d offsets, e.g. %v", len(diff), diff[:min(5, len(diff))])
	}
	var nrows int
	for _, c := range rows {
		nrows += c
	}

	// No identifier in logs (debug level) or /metrics.
	if l := leaks(logs.String()+metrics, tr.phi); len(l) > 0 {
		t.Fatalf("logs or /metrics contain %d identifier values from the input", len(l))
	}
	if !strings.Contains(metrics, "safeharbor") {
		t.Fatalf("/metrics scrape looks empty: %q", tail(metrics, 200))
	}
	t.Logf("RESULT crash: kills=%d records=%d vault_offsets=%d dlq=%d lost=%d duplicates=%d segments=%d (clean %d) rows=%d parquet_files=%d (clean %d)",
		kills, total, len(offs), len(dlq), lost, dup, len(segs), len(cleanSegs), nrows, files, cleanFiles)
}

// waitReady waits (bounded) until the process answers 200 on /readyz.
func waitReady(t testing.TB, p *proc, addr string, logs *lockedBuf) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if p.exited() {
			t.Fatalf("safeharbor exited: %v\n%s", p.err, tail(logs.String(), 3000))
		}
		if code, _, ok := httpGet("http://" + addr + "/readyz"); ok && code == 200 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("safeharbor not ready within 90s\n%s", tail(logs.String(), 3000))
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
