package reliability

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/segmentio/kafka-go"

	"github.com/safeharbor/safeharbor/internal/miniotest"
	"github.com/safeharbor/safeharbor/internal/synth"
	"github.com/safeharbor/safeharbor/sinks/store"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

func TestMain(m *testing.M) {
	code := miniotest.Main(m)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// long reports whether the long variants run (SAFEHARBOR_LONG=1).
func long() bool { return os.Getenv("SAFEHARBOR_LONG") == "1" }

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// binary builds cmd/safeharbor once per test process and returns its path.
func binary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "safeharbor-rel-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "safeharbor")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/safeharbor/safeharbor/cmd/safeharbor")
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// repoRoot is the module root (the parent of this package's directory).
func repoRoot(t testing.TB) string {
	t.Helper()
	_, f, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(f))
}

func randBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func write0600(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// keys holds throwaway key files (mode 0600) and their secret text.
type keys struct {
	deidKey, keyring string
	auditKey         string // run's local audit trail key (no system access configuration in tests)
	secrets          []string
}

func newKeys(t testing.TB, dir string) keys {
	t.Helper()
	dk := hex.EncodeToString(randBytes(t, 32))
	vk := base64.StdEncoding.EncodeToString(randBytes(t, 32))
	ak := hex.EncodeToString(randBytes(t, 32))
	return keys{
		deidKey:  write0600(t, filepath.Join(dir, "deid.key"), []byte(dk+"\n")),
		keyring:  write0600(t, filepath.Join(dir, "vault.keyring"), []byte("# test\nk1:"+vk+"\n")),
		auditKey: write0600(t, filepath.Join(dir, "audit.key"), []byte(ak+"\n")),
		secrets:  []string{dk, vk, ak},
	}
}

func (k keys) openVault(t testing.TB, st store.Store) *vault.Vault {
	t.Helper()
	kr, err := vault.LoadKeyring(k.keyring)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(vault.Config{Store: st, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Topics used by every test.
const (
	tHL7   = "hl7.in"
	tFHIR  = "fhir.in"
	tHL7o  = "hl7.out"
	tFHIRo = "fhir.out"
	tDLQ   = "safeharbor.dlq"
)

var allTopics = []string{tHL7, tFHIR, tHL7o, tFHIRo, tDLQ}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// runConfig writes a `safeharbor run` configuration file.
type runConfig struct {
	brokers             []string
	group               string
	k                   keys
	vaultDir, anaDir    string
	vaultS3             string // extra YAML under vault: (replaces dir)
	rulesFile           string
	metricsAddr         string
	logLevel            string
	checkpoint, workers string
}

func (c runConfig) write(t testing.TB, path string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "kafka:\n  brokers: [%s]\n  group: %s\n", strings.Join(c.brokers, ", "), c.group)
	fmt.Fprintf(&b, "  topics: {hl7: %s, fhir: %s, hl7_out: %s, fhir_out: %s, dlq: %s}\n", tHL7, tFHIR, tHL7o, tFHIRo, tDLQ)
	fmt.Fprintf(&b, "keys:\n  deid_key_file: %s\n  vault_keyring_file: %s\n", c.k.deidKey, c.k.keyring)
	if c.k.auditKey != "" {
		// Each configuration gets its own audit trail (one writer per log file).
		ad := strings.TrimSuffix(path, filepath.Ext(path)) + "-audit"
		fmt.Fprintf(&b, "  audit_key_file: %s\naudit:\n  log: %s\n  anchor_dir: %s\n", c.k.auditKey, filepath.Join(ad, "audit.jsonl"), filepath.Join(ad, "anchors"))
	}
	if c.vaultS3 != "" {
		fmt.Fprintf(&b, "vault:\n%s", c.vaultS3)
	} else {
		fmt.Fprintf(&b, "vault:\n  dir: %s\n", c.vaultDir)
	}
	fmt.Fprintf(&b, "analytics:\n  dir: %s\n", c.anaDir)
	if c.rulesFile != "" {
		fmt.Fprintf(&b, "rules_file: %s\n", c.rulesFile)
	}
	cp, w := c.checkpoint, c.workers
	if cp == "" {
		cp = "300ms"
	}
	if w == "" {
		w = "2"
	}
	fmt.Fprintf(&b, "pipeline:\n  checkpoint_interval: %s\n  shutdown_timeout: 15s\n  workers: %s\n", cp, w)
	fmt.Fprintf(&b, "metrics_addr: %q\nlog_level: %s\nlog_format: json\n", c.metricsAddr, c.logLevel)
	return write0600(t, path, []byte(b.String()))
}

// proc is a safeharbor subprocess that dies with the test.
type proc struct {
	cmd  *exec.Cmd
	out  *lockedBuf
	done chan struct{}
	err  error
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs the binary with args; its stdout and stderr go to out.
// Pdeathsig and a Cleanup make sure it never outlives the test.
func start(t testing.TB, out *lockedBuf, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to timeout for a clean exit.
func (p *proc) stop(t testing.TB, timeout time.Duration) int {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
		t.Fatalf("safeharbor did not stop within %s after SIGTERM", timeout)
	}
	return p.cmd.ProcessState.ExitCode()
}

// runCmd runs the binary to completion (bounded) and returns exit code and output.
func runCmd(t testing.TB, env []string, stdin []byte, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("safeharbor %v: timed out", args)
	}
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("safeharbor %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// httpGet fetches a URL with a short timeout; ok is false on any error.
func httpGet(url string) (int, string, bool) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", false
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), true
}

// producer writes messages with acks=all.
func newWriter(brokers []string) *kafka.Writer {
	return &kafka.Writer{Addr: kafka.TCP(brokers...), Balancer: &kafka.RoundRobin{}, BatchSize: 500,
		BatchTimeout: 2 * time.Millisecond, BatchBytes: 16 << 20, RequiredAcks: kafka.RequireAll}
}

func produce(t testing.TB, w *kafka.Writer, msgs []kafka.Message) {
	t.Helper()
	for len(msgs) > 0 {
		n := min(500, len(msgs))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := w.WriteMessages(ctx, msgs[:n]...)
		cancel()
		if err != nil {
			t.Fatalf("produce: %v", err)
		}
		msgs = msgs[n:]
	}
}

// traffic is seeded synthetic input: messages for the two input topics and the PHI values they carry.
type traffic struct {
	msgs []kafka.Message
	phi  []string
}

func synthTraffic(seed int64, n int, fhirShare float64) traffic {
	g := synth.New(seed, synth.Options{Patients: 80, PHIDensity: 1})
	var tr traffic
	seen := map[int]bool{}
	kinds := []string{"Patient", "Encounter", "Observation", "Condition"}
	acc := 0.0
	for i := range n {
		acc += fhirShare
		if acc >= 1 {
			acc--
			tr.msgs = append(tr.msgs, kafka.Message{Topic: tFHIR, Value: g.FHIRResource(kinds[i%len(kinds)])})
		} else {
			tr.msgs = append(tr.msgs, kafka.Message{Topic: tHL7, Value: g.HL7()})
		}
		if p := g.LastPatient(); p >= 0 && !seen[p] {
			seen[p] = true
			tr.phi = append(tr.phi, g.Patient(p).PHIValues()...)
		}
	}
	return tr
}

// committed returns the group's committed offsets per "topic/partition".
func committed(t testing.TB, brokers []string, group string, topics []string, parts int) (map[string]int64, error) {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second}
	req := &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{}}
	for _, tp := range topics {
		for p := range parts {
			req.Topics[tp] = append(req.Topics[tp], p)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := c.OffsetFetch(ctx, req)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for tp, ps := range resp.Topics {
		for _, p := range ps {
			out[tp+"/"+strconv.Itoa(p.Partition)] = p.CommittedOffset
		}
	}
	return out, nil
}

func sumOffsets(m map[string]int64) int64 {
	var s int64
	for _, v := range m {
		if v > 0 {
			s += v
		}
	}
	return s
}

// waitFor polls cond every 200ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool, logs ...*lockedBuf) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			var l string
			for _, b := range logs {
				l += tail(b.String(), 4000)
			}
			t.Fatalf("timed out after %s waiting for %s\n%s", timeout, what, l)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// vaultOffsets counts the vault records per "source/partition/offset" in the
// segments/ (dlq=false) or dlq/ area, and returns the segment names.
func vaultOffsets(t testing.TB, v *vault.Vault, st store.Store, dlq bool) (map[string]int, []string) {
	offs, segs, _ := vaultOffsetSegs(t, v, st, dlq)
	return offs, segs
}

// vaultOffsetSegs is vaultOffsets plus the segments holding each offset.
func vaultOffsetSegs(t testing.TB, v *vault.Vault, st store.Store, dlq bool) (map[string]int, []string, map[string][]string) {
	t.Helper()
	prefix := "segments/"
	if dlq {
		prefix = "dlq/"
	}
	ctx := context.Background()
	offs := map[string]int{}
	where := map[string][]string{}
	var segs []string
	err := st.List(ctx, prefix, func(info store.Info) error {
		refs, err := v.Refs(ctx, info.Name)
		if err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		segs = append(segs, info.Name)
		for _, r := range refs {
			key := fmt.Sprintf("%s/%d/%d", r.Source, r.Partition, r.Offset)
			offs[key]++
			where[key] = append(where[key], fmt.Sprintf("%s#%d", info.Name, r.Index))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("vault list %s: %v", prefix, err)
	}
	return offs, segs, where
}

// parquetRows reads every Parquet object of a local analytics store
// directory and returns the rows per "source/partition/offset", plus every
// string cell (to look for identifiers).
func parquetRows(t testing.TB, dir string) (rows map[string]int, strs []string, files int) {
	t.Helper()
	st, err := store.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return parquetRowsStore(t, st)
}

func parquetRowsStore(t testing.TB, st store.Store) (rows map[string]int, strs []string, files int) {
	t.Helper()
	rows = map[string]int{}
	ctx := context.Background()
	err := st.List(ctx, "dataset=", func(info store.Info) error {
		if !strings.HasSuffix(info.Name, ".parquet") {
			return nil
		}
		files++
		data, err := st.Get(ctx, info.Name)
		if err != nil {
			return err
		}
		rdr, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		defer rdr.Close()
		fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		tbl, err := fr.ReadTable(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		defer tbl.Release()
		n := int(tbl.NumRows())
		src, part, off := make([]string, n), make([]string, n), make([]string, n)
		for i := 0; i < int(tbl.NumCols()); i++ {
			name := tbl.Schema().Field(i).Name
			k := 0
			for _, ch := range tbl.Column(i).Data().Chunks() {
				for j := 0; j < ch.Len(); j, k = j+1, k+1 {
					if ch.IsNull(j) {
						continue
					}
					s := ch.ValueStr(j)
					if _, ok := ch.(*array.String); ok {
						strs = append(strs, s)
					}
					switch name {
					case "_source":
						src[k] = s
					case "_partition":
						part[k] = s
					case "_offset":
						off[k] = s
					}
				}
			}
		}
		for k := range n {
			rows[src[k]+"/"+part[k]+"/"+off[k]]++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read parquet: %v", err)
	}
	return
}

// leaks returns the values (≥ 4 characters) of phi found in text.
func leaks(text string, phi []string) []string {
	var out []string
	for _, v := range phi {
		if len(v) >= 4 && strings.Contains(text, v) {
			out = append(out, v)
		}
	}
	return out
}
