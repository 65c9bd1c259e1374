package pipeline

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The Prometheus text exposition format (version 0.0.4) is written by hand:
// a handful of counters, gauges and histograms do not justify a dependency.
// Label values are topics, partitions, dataset names, sink names and error
// classes: never message content.

// counterVec is a counter family keyed by its label values.
type counterVec struct {
	name, help string
	labels     []string
	gauge      bool
	mu         sync.RWMutex
	vals       map[string]*atomic.Int64 // key: label values joined by \x00
}

func newCounterVec(name, help string, gauge bool, labels ...string) *counterVec {
	return &counterVec{name: name, help: help, labels: labels, gauge: gauge, vals: map[string]*atomic.Int64{}}
}

func (c *counterVec) get(lv ...string) *atomic.Int64 {
	k := strings.Join(lv, "\x00")
	c.mu.RLock()
	v := c.vals[k]
	c.mu.RUnlock()
	if v != nil {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v = c.vals[k]; v == nil {
		v = new(atomic.Int64)
		c.vals[k] = v
	}
	return v
}

// Add adds n to the series with label values lv.
func (c *counterVec) Add(n int64, lv ...string) { c.get(lv...).Add(n) }

// Set sets a gauge series.
func (c *counterVec) Set(n int64, lv ...string) { c.get(lv...).Store(n) }

// SetOnly makes the series with label values lv the only one, set to n
// (an info gauge such as the rules version in force).
func (c *counterVec) SetOnly(n int64, lv ...string) {
	k := strings.Join(lv, "\x00")
	v := new(atomic.Int64)
	v.Store(n)
	c.mu.Lock()
	c.vals = map[string]*atomic.Int64{k: v}
	c.mu.Unlock()
}

// Value returns the current value of a series (0 if absent).
func (c *counterVec) Value(lv ...string) int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if v := c.vals[strings.Join(lv, "\x00")]; v != nil {
		return v.Load()
	}
	return 0
}

// Names returns the label values of every series (joined by "/" when there are several labels), sorted.
func (c *counterVec) Names() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, 0, len(c.vals))
	for k := range c.vals {
		out = append(out, strings.ReplaceAll(k, "\x00", "/"))
	}
	sort.Strings(out)
	return out
}

// Sum returns the sum over every series.
func (c *counterVec) Sum() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var s int64
	for _, v := range c.vals {
		s += v.Load()
	}
	return s
}

func (c *counterVec) write(w io.Writer) {
	typ := "counter"
	if c.gauge {
		typ = "gauge"
	}
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", c.name, c.help, c.name, typ)
	c.mu.RLock()
	keys := make([]string, 0, len(c.vals))
	for k := range c.vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s%s %d\n", c.name, labelString(c.labels, strings.Split(k, "\x00"), "", ""), c.vals[k].Load())
	}
	c.mu.RUnlock()
}

func labelString(names, vals []string, extraName, extraVal string) string {
	if len(names) == 0 && extraName == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	n := 0
	for i, name := range names {
		if name == "" {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		v := ""
		if i < len(vals) {
			v = vals[i]
		}
		b.WriteString(name)
		b.WriteString(`="`)
		b.WriteString(escapeLabel(v))
		b.WriteByte('"')
		n++
	}
	if extraName != "" {
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(extraName)
		b.WriteString(`="`)
		b.WriteString(extraVal)
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

func escapeLabel(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return r.Replace(s)
}

// histogram is a Prometheus histogram without labels.
type histogram struct {
	name, help string
	bounds     []float64
	mu         sync.Mutex
	counts     []uint64 // len(bounds)+1, last is +Inf
	sum        float64
	n          uint64
}

func newHistogram(name, help string, bounds ...float64) *histogram {
	return &histogram{name: name, help: help, bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

// Observe records one value.
func (h *histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v)
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.n++
	h.mu.Unlock()
}

// ObserveMany records several values under one lock.
func (h *histogram) ObserveMany(vs []float64) {
	h.mu.Lock()
	for _, v := range vs {
		h.counts[sort.SearchFloat64s(h.bounds, v)]++
		h.sum += v
	}
	h.n += uint64(len(vs))
	h.mu.Unlock()
}

// Count returns the number of observations.
func (h *histogram) Count() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

func (h *histogram) write(w io.Writer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.name, h.help, h.name)
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", h.name, formatFloat(b), cum)
	}
	cum += h.counts[len(h.bounds)]
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", h.name, cum, h.name, formatFloat(h.sum), h.name, h.n)
}

func formatFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// Metrics holds the pipeline's Prometheus metrics. WriteTo renders them.
type Metrics struct {
	RecordsIn      *counterVec // topic
	RecordsOut     *counterVec // topic
	RecordsFailed  *counterVec // topic, class
	DLQ            *counterVec // topic
	LeakGuard      *counterVec // format, category: records the output leak guard sent to the DLQ
	Rows           *counterVec // dataset
	RowsRejected   *counterVec // dataset
	OutputMessages *counterVec // topic
	Commits        *counterVec // topic
	SinkErrors     *counterVec // sink
	Lag            *counterVec // topic, partition (gauge)
	Ready          *counterVec // gauge, no labels
	RulesInfo      *counterVec // version (gauge: 1 for the rules in force)
	RulesReloads   *counterVec // result: ok or error
	Latency        *histogram
	SegmentRecords *histogram
	FileRows       *histogram
	CheckpointSecs *histogram
}

// NewMetrics returns an empty metric set.
func NewMetrics() *Metrics {
	return &Metrics{
		RecordsIn:      newCounterVec("safeharbor_records_in_total", "Records fetched from Kafka.", false, "topic"),
		RecordsOut:     newCounterVec("safeharbor_records_out_total", "Records processed successfully (de-identified, vaulted).", false, "topic"),
		RecordsFailed:  newCounterVec("safeharbor_records_failed_total", "Records that could not be parsed or de-identified, by error class.", false, "topic", "class"),
		DLQ:            newCounterVec("safeharbor_dlq_total", "Records sent to the vault DLQ area.", false, "topic"),
		LeakGuard:      newCounterVec("safeharbor_leak_guard_hits_total", "Records whose de-identified output held an identifying value of the original (sent to the DLQ, never onward), by category.", false, "format", "category"),
		Rows:           newCounterVec("safeharbor_dataset_rows_total", "Rows appended to analytics datasets.", false, "dataset"),
		RowsRejected:   newCounterVec("safeharbor_dataset_rows_rejected_total", "Rows refused by a dataset schema.", false, "dataset"),
		OutputMessages: newCounterVec("safeharbor_output_messages_total", "Messages produced to output topics (de-identified and DLQ notices).", false, "topic"),
		Commits:        newCounterVec("safeharbor_commits_total", "Offset commits.", false, "topic"),
		SinkErrors:     newCounterVec("safeharbor_sink_errors_total", "Sink write or flush failures.", false, "sink"),
		Lag:            newCounterVec("safeharbor_consumer_lag", "Records behind the partition high watermark.", true, "topic", "partition"),
		Ready:          newCounterVec("safeharbor_ready", "1 when every sink is healthy.", true),
		RulesInfo:      newCounterVec("safeharbor_rules_info", "The version of the rules new records are evaluated with (value 1).", true, "version"),
		RulesReloads:   newCounterVec("safeharbor_rules_reloads_total", "Rules file reloads by result (ok: compiled, switched if changed; error: the running rules stay).", false, "result"),
		Latency: newHistogram("safeharbor_end_to_end_latency_seconds", "Kafka record timestamp to offset commit.",
			0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
		SegmentRecords: newHistogram("safeharbor_vault_segment_records", "Records per vault segment flushed.",
			1, 10, 100, 1000, 5000, 10000, 50000),
		FileRows: newHistogram("safeharbor_dataset_file_rows", "Rows per Parquet file flushed.",
			1, 10, 100, 1000, 10000, 100000, 1000000),
		CheckpointSecs: newHistogram("safeharbor_checkpoint_seconds", "Duration of flush+commit checkpoints.",
			0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
	}
}

// WritePrometheus writes every metric in the Prometheus text format.
func (m *Metrics) WritePrometheus(w io.Writer) {
	for _, c := range []*counterVec{m.RecordsIn, m.RecordsOut, m.RecordsFailed, m.DLQ, m.LeakGuard, m.Rows, m.RowsRejected,
		m.OutputMessages, m.Commits, m.SinkErrors, m.Lag, m.Ready, m.RulesInfo, m.RulesReloads} {
		c.write(w)
	}
	for _, h := range []*histogram{m.Latency, m.SegmentRecords, m.FileRows, m.CheckpointSecs} {
		h.write(w)
	}
}
