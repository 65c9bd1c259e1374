// Command e2e measures the whole pipeline end to end: `safeharbor run -demo N`
// against a Kafka-protocol broker in a separate process (pipeline's embedded
// broker, started by this command with -broker), so that the peak RSS of the
// pipeline process does not include the broker's in-memory log. After each
// run, the same records are consumed raw with kafka-go from the same broker
// (one Reader per partition, no processing) as the baseline.
//
// The pipeline runs under `/usr/bin/time -v` (peak RSS, user CPU); its
// /metrics endpoint is scraped every 250 ms for the end-to-end latency
// histogram (Kafka record timestamp to offset commit) and the RSS of the
// process is sampled from /proc. Results are written as `go test -bench`
// lines (package github.com/safeharbor/safeharbor/bench/e2e) for cmd/report,
// and the RSS samples as CSV.
//
// Usage:
//
//	e2e -bin safeharbor -n 20000,100000 -rules ../examples/rules.yaml -o out/e2e.txt -rss out/e2e-rss.csv
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/safeharbor/safeharbor/pipeline"
)

var topics = []string{"hl7v2.in", "fhir.in", "safeharbor.dlq"}

const partitions = 4

func main() {
	broker := flag.Bool("broker", false, "internal: run only the embedded broker on -port until killed")
	port := flag.Int("port", 0, "broker port (with -broker)")
	bin := flag.String("bin", "safeharbor", "safeharbor binary")
	ns := flag.String("n", "20000", "comma-separated message counts, one run each")
	rulesFile := flag.String("rules", "", "rules file (SAFEHARBOR_RULES_FILE)")
	out := flag.String("o", "e2e.txt", "output, go test -bench format")
	rssOut := flag.String("rss", "e2e-rss.csv", "RSS samples: n,seconds,records,rss_mb")
	flag.Parse()
	if *broker {
		b, err := pipeline.StartEmbeddedBroker(*port, partitions, topics...)
		if err != nil {
			log.Fatal(err)
		}
		defer b.Close()
		fmt.Println("ready", strings.Join(b.Addrs(), ","))
		c := make(chan os.Signal, 1)
		signal.Notify(c, os.Interrupt, syscall.SIGTERM)
		<-c
		return
	}
	var res, csv strings.Builder
	res.WriteString("pkg: github.com/safeharbor/safeharbor/bench/e2e\n")
	csv.WriteString("n,seconds,records,rss_mb\n")
	for _, f := range strings.Split(*ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			log.Fatalf("e2e: bad -n %q", f)
		}
		line, err := runOnce(*bin, n, *rulesFile, &csv)
		if err != nil {
			log.Fatalf("e2e: n=%d: %v", n, err)
		}
		fmt.Print(line)
		res.WriteString(line)
	}
	if err := os.WriteFile(*out, []byte(res.String()), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*rssOut, []byte(csv.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func runOnce(bin string, n int, rulesFile string, csv *strings.Builder) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	bport := freePort()
	bc := exec.Command(self, "-broker", "-port", strconv.Itoa(bport))
	bout, _ := bc.StdoutPipe()
	bc.Stderr = os.Stderr
	if err := bc.Start(); err != nil {
		return "", err
	}
	defer func() { bc.Process.Signal(os.Interrupt); bc.Wait() }()
	if l, err := bufio.NewReader(bout).ReadString('\n'); err != nil || !strings.HasPrefix(l, "ready") {
		return "", fmt.Errorf("broker did not start: %q %v", l, err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", bport)

	dir, err := os.MkdirTemp("", "safeharbor-e2e-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(filepath.Join(dir, "var"), 0o700); err != nil {
		return "", err
	}
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.WriteFile(filepath.Join(dir, "var/deid.key"), []byte(hex.EncodeToString(key)), 0o600); err != nil {
		return "", err
	}
	rand.Read(key)
	if err := os.WriteFile(filepath.Join(dir, "var/vault.keyring"), []byte("bench:"+base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return "", err
	}
	rand.Read(key) // the audit key of run's local audit trail (every vault write is audited)
	if err := os.WriteFile(filepath.Join(dir, "var/audit.key"), []byte(hex.EncodeToString(key)), 0o600); err != nil {
		return "", err
	}
	mport := freePort()
	cmd := exec.Command("/usr/bin/time", "-v", bin, "run", "-demo", strconv.Itoa(n), "-demo-poison", "0")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SAFEHARBOR_KAFKA_BROKERS="+addr, fmt.Sprintf("SAFEHARBOR_METRICS_ADDR=127.0.0.1:%d", mport),
		"SAFEHARBOR_LOG_LEVEL=warn", "SAFEHARBOR_PIPELINE_CHECKPOINT_INTERVAL=1s")
	if rulesFile != "" {
		abs, _ := filepath.Abs(rulesFile)
		cmd.Env = append(cmd.Env, "SAFEHARBOR_RULES_FILE="+abs)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", err
	}
	var (
		mu       sync.Mutex
		lastHist []bucket
		done     atomic.Bool
	)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cl := &http.Client{Timeout: 200 * time.Millisecond}
		var lastRecs float64
		for !done.Load() {
			time.Sleep(250 * time.Millisecond)
			rss := childRSS(cmd.Process.Pid)
			recs := lastRecs
			if resp, err := cl.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", mport)); err == nil {
				body := new(bytes.Buffer)
				body.ReadFrom(resp.Body)
				resp.Body.Close()
				h, r := parseMetrics(body.String())
				recs, lastRecs = max(r, lastRecs), max(r, lastRecs)
				if len(h) > 0 {
					mu.Lock()
					lastHist = h
					mu.Unlock()
				}
			}
			if rss > 0 {
				mu.Lock()
				fmt.Fprintf(csv, "%d,%.2f,%.0f,%.1f\n", n, time.Since(start).Seconds(), recs, rss)
				mu.Unlock()
			}
		}
	}()
	err = cmd.Wait()
	wall := time.Since(start)
	done.Store(true)
	wg.Wait()
	if err != nil {
		return "", fmt.Errorf("%v\n%s\n%s", err, tail(stdout.String()), tail(stderr.String()))
	}
	tput := match(`throughput ([0-9.]+) msg/s`, stdout.String())
	peakKB := match(`Maximum resident set size \(kbytes\): ([0-9]+)`, stderr.String())
	user := match(`User time \(seconds\): ([0-9.]+)`, stderr.String())
	sys := match(`System time \(seconds\): ([0-9.]+)`, stderr.String())

	rawRate, rawN, err := rawConsume(addr)
	if err != nil {
		return "", fmt.Errorf("raw consume: %w", err)
	}
	if rawN != n {
		return "", fmt.Errorf("raw consume read %d records, want %d", rawN, n)
	}
	mu.Lock()
	p50, p99 := quantile(lastHist, 0.5), quantile(lastHist, 0.99)
	var histN float64
	if len(lastHist) > 0 {
		histN = lastHist[len(lastHist)-1].count
	}
	mu.Unlock()
	return fmt.Sprintf("BenchmarkE2EDemo/n=%d 1 %d ns/op %.0f msg/s %.0f raw_msg/s %.3f pipeline/raw %.1f p50-ms %.1f p99-ms %.0f latency-samples %.1f peak-RSS-MB %.2f user-s %.2f sys-s %.0f msg/cpu-s\n",
		n, wall.Nanoseconds(), tput, rawRate, tput/rawRate, p50*1000, p99*1000, histN, peakKB/1024, user, sys, float64(n)/(user+sys)), nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

func match(re, s string) float64 {
	m := regexp.MustCompile(re).FindAllStringSubmatch(s, -1)
	if len(m) == 0 {
		return math.NaN()
	}
	v, _ := strconv.ParseFloat(m[len(m)-1][1], 64)
	return v
}

// childRSS is the VmRSS (MB) of the first child of pid (/usr/bin/time's child).
func childRSS(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	st, err := os.ReadFile("/proc/" + f[0] + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(st), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

type bucket struct{ le, count float64 }

// parseMetrics returns the cumulative latency buckets and records processed.
func parseMetrics(s string) ([]bucket, float64) {
	var h []bucket
	var recs float64
	for _, l := range strings.Split(s, "\n") {
		if rest, ok := strings.CutPrefix(l, `safeharbor_end_to_end_latency_seconds_bucket{le="`); ok {
			le, cnt, _ := strings.Cut(rest, `"} `)
			v, err := strconv.ParseFloat(le, 64)
			if le == "+Inf" {
				v, err = math.Inf(1), nil
			}
			c, err2 := strconv.ParseFloat(strings.TrimSpace(cnt), 64)
			if err == nil && err2 == nil {
				h = append(h, bucket{v, c})
			}
		}
		if strings.HasPrefix(l, "safeharbor_records_out_total") {
			f := strings.Fields(l)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			recs += v
		}
	}
	sort.Slice(h, func(i, j int) bool { return h[i].le < h[j].le })
	return h, recs
}

// quantile interpolates linearly inside the cumulative histogram bucket.
func quantile(h []bucket, q float64) float64 {
	if len(h) == 0 || h[len(h)-1].count == 0 {
		return math.NaN()
	}
	target := q * h[len(h)-1].count
	prevLE, prevC := 0.0, 0.0
	for _, b := range h {
		if b.count >= target {
			if math.IsInf(b.le, 1) {
				return prevLE
			}
			if b.count == prevC {
				return b.le
			}
			return prevLE + (b.le-prevLE)*(target-prevC)/(b.count-prevC)
		}
		prevLE, prevC = b.le, b.count
	}
	return prevLE
}

// rawConsume reads every record of the input topics with kafka-go, one
// Reader per partition, and returns records/s and the record count.
func rawConsume(addr string) (float64, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	type tp struct {
		topic string
		part  int
		hwm   int64
	}
	conn, err := kafka.Dial("tcp", addr)
	if err != nil {
		return 0, 0, err
	}
	var parts []tp
	for _, t := range topics[:2] {
		ps, err := conn.ReadPartitions(t)
		if err != nil {
			conn.Close()
			return 0, 0, err
		}
		for _, p := range ps {
			pc, err := kafka.DialLeader(ctx, "tcp", addr, t, p.ID)
			if err != nil {
				conn.Close()
				return 0, 0, err
			}
			hwm, err := pc.ReadLastOffset()
			pc.Close()
			if err != nil {
				conn.Close()
				return 0, 0, err
			}
			if hwm > 0 {
				parts = append(parts, tp{t, p.ID, hwm})
			}
		}
	}
	conn.Close()
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(parts))
	start := time.Now()
	for _, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: p.topic, Partition: p.part,
				MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 200 * time.Millisecond, QueueCapacity: 1024})
			defer r.Close()
			for {
				m, err := r.FetchMessage(ctx)
				if err != nil {
					errs <- err
					return
				}
				total.Add(1)
				if m.Offset+1 >= p.hwm {
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	return float64(total.Load()) / el, int(total.Load()), nil
}
