package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/safeharbor/safeharbor/rules"
	"github.com/safeharbor/safeharbor/sinks/dataset"
	"github.com/safeharbor/safeharbor/sinks/store"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

// errStopped is returned when the hard shutdown deadline cut work short.
var errStopped = errors.New("pipeline: stopped before the work was done")

// ErrConfig is wrapped by configuration errors from New.
var ErrConfig = errors.New("pipeline: invalid configuration")

// Config configures a Pipeline. Secrets (SASL passwords, TLS keys) live in the
// Dialer and Transport, which the pipeline never logs.
type Config struct {
	// Brokers are the Kafka bootstrap addresses. Required.
	Brokers []string
	// Dialer connects consumers and the group coordinator (TLS, SASL); nil means plain TCP.
	Dialer *kafka.Dialer
	// Transport connects the producer (TLS, SASL); nil means plain TCP.
	Transport *kafka.Transport
	// GroupID is the consumer group. Required.
	GroupID string
	// HL7Topic and FHIRTopic are the input topics (at least one). The format
	// is detected per record from its first bytes; the topic decides only
	// when the bytes say nothing.
	HL7Topic, FHIRTopic string
	// OutputHL7Topic and OutputFHIRTopic, when set, receive the de-identified
	// messages (ER7 and JSON), produced with acks=all before offsets are committed.
	OutputHL7Topic, OutputFHIRTopic string
	// DLQTopic, when set, receives a PHI-free JSON notice per bad record.
	DLQTopic string

	// Deid de-identifies records (a *deid.Engine). Required.
	Deid Deidentifier
	// NoLeakGuard turns the output leak guard off (leakguard.go). UNSAFE: a
	// de-identification bug would then reach Parquet and the output topics.
	NoLeakGuard bool
	// Rules turns de-identified records into dataset rows; nil means no
	// datasets (or the rules of RulesWatcher when it is set). SetRules
	// replaces them while the pipeline runs.
	Rules Rules
	// RulesWatcher, when set, holds the rules file: the pipeline reloads it
	// when the file changes (polled every RulesPollInterval) and on
	// ReloadRules (wire SIGHUP to it). Do not also call the watcher's Run.
	RulesWatcher *rules.Watcher
	// RulesPollInterval is how often the rules file is checked for changes
	// (default 1s; negative: never, only ReloadRules).
	RulesPollInterval time.Duration
	// DeidFor, when set, returns the de-identifier to use with a rules
	// version (the engine records the version in its provenance); it is
	// called on every rules switch. Nil: Deid serves every version.
	DeidFor func(rulesVersion string) (Deidentifier, error)
	// Vault stores every original (and bad records under dlq/). Required.
	// Rules whose file says `phi: store: none` (FromRuleSet) keep originals
	// out of the vault; bad records still go to dlq/.
	Vault *vault.Vault
	// VaultWriter bounds vault segments.
	VaultWriter vault.WriterConfig
	// Auditor, when set, records every vault segment written before the
	// offsets of its records are committed (see audit.go).
	Auditor VaultAuditor
	// Analytics receives the Parquet datasets; required when Rules is set.
	Analytics store.Store
	// DatasetMaxRows and DatasetMaxBytes roll Parquet files (0 = dataset defaults).
	DatasetMaxRows  int
	DatasetMaxBytes int64

	// Workers parse and de-identify in parallel (default GOMAXPROCS).
	Workers int
	// QueueSize bounds the records in flight per partition (default 2048);
	// the worker queue holds Workers*64.
	QueueSize int
	// CheckpointInterval is how often sinks are flushed and offsets committed (default 5s).
	CheckpointInterval time.Duration
	// MaxWait bounds a fetch's wait for new data (default 500ms, at most 1s).
	MaxWait time.Duration
	// SessionTimeout, RebalanceTimeout and HeartbeatInterval tune the group
	// (defaults 10s, 20s, 1s).
	SessionTimeout, RebalanceTimeout, HeartbeatInterval time.Duration
	// ShutdownTimeout bounds the drain, flush and commit after the context ends (default 30s).
	ShutdownTimeout time.Duration
	// MaxOutbox bounds buffered output messages before records wait for a
	// checkpoint (default 50000).
	MaxOutbox int
	// MaxRecordSize: larger records go to the DLQ as too_large (default and
	// maximum vault.MaxRecordSize).
	MaxRecordSize int
	// StartOffset is where a partition without a committed offset starts
	// (kafka.FirstOffset, the default, or kafka.LastOffset).
	StartOffset int64

	// Logger receives structured logs without PHI (default slog.Default()).
	Logger *slog.Logger
	// Metrics collects the Prometheus metrics (default NewMetrics()).
	Metrics *Metrics
}

// job is one record travelling through the pipeline.
type job struct {
	msg  kafka.Message
	done chan struct{}
	// results, written by a worker before done is closed
	format    Format
	class     string
	reason    string // PHI-free detail of class (the leak guard's finding)
	pseudonym string
	msgType   string
	out       []byte
	rows      *rules.Rows // nil when the record yields no rows
	// gen is the rules generation the record is evaluated with; the
	// sequencer releases it after handing the record to the sinks.
	gen *generation
}

// partState is the pipeline's memory of one input partition, kept across
// group generations.
type partState struct {
	topic     string
	partition int
	// owner is the generation the partition is assigned in, nil when not ours (Pipeline.mu).
	owner *kafka.Generation
	// committed is the next offset known committed in the group (Pipeline.mu), -1 unknown.
	committed int64

	mu     sync.Mutex
	handed int64   // highest offset handed to every sink, -1 none
	lat    []int64 // record timestamps (unix ns) handed since the last checkpoint
}

// Pipeline consumes HL7v2 and FHIR records, de-identifies them, stores the
// originals in the vault and rows in Parquet datasets, and commits an offset
// only after every output for it is durable.
type Pipeline struct {
	cfg Config
	log *slog.Logger
	m   *Metrics

	rowsPool sync.Pool // of *rules.Rows

	vw          *vault.Writer
	audq        *auditQueue
	out         *outbox
	topics      []string
	jobs        chan *job
	kick        chan struct{}
	lastKick    atomic.Int64 // unix nanos of the last caught-up kick
	kickPending atomic.Bool  // a deferred caught-up kick is scheduled
	hardCtx     context.Context
	hardStop    context.CancelFunc

	mu      sync.Mutex
	parts   map[string]*partState
	failing map[string]string // sink -> error class

	// genMu guards cur, gens and shut: the rules generation records are
	// tagged with, every generation whose writers are open, and whether
	// Run has closed them.
	genMu    sync.RWMutex
	cur      *generation
	gens     []*generation
	shut     bool
	reloadMu sync.Mutex // serializes ReloadRules

	ckMu         sync.Mutex
	handMu       sync.RWMutex // held for reading while a record is handed to the sinks; a checkpoint holds it from snapshot to flush
	rejectWarned sync.Map     // dataset name -> true once a rejection was logged at warn
	joined       atomic.Bool
	stopping     atomic.Bool
	running      atomic.Bool
}

// New validates cfg and builds a Pipeline (no connections are made).
func New(cfg Config) (*Pipeline, error) {
	if len(cfg.Brokers) == 0 {
		return nil, fmt.Errorf("%w: no brokers", ErrConfig)
	}
	if cfg.GroupID == "" {
		return nil, fmt.Errorf("%w: no consumer group", ErrConfig)
	}
	if cfg.HL7Topic == "" && cfg.FHIRTopic == "" {
		return nil, fmt.Errorf("%w: no input topic", ErrConfig)
	}
	if cfg.HL7Topic == cfg.FHIRTopic {
		cfg.FHIRTopic = ""
	}
	if cfg.Deid == nil {
		return nil, fmt.Errorf("%w: no de-identification engine", ErrConfig)
	}
	if cfg.Vault == nil {
		return nil, fmt.Errorf("%w: no vault", ErrConfig)
	}
	if cfg.Rules == nil && cfg.RulesWatcher != nil {
		cfg.Rules = FromRuleSet(cfg.RulesWatcher.Set())
	}
	if cfg.RulesPollInterval == 0 {
		cfg.RulesPollInterval = time.Second
	}
	if cfg.Rules != nil && cfg.Analytics == nil {
		return nil, fmt.Errorf("%w: rules need an analytics store", ErrConfig)
	}
	for _, t := range []string{cfg.OutputHL7Topic, cfg.OutputFHIRTopic, cfg.DLQTopic} {
		if t != "" && (t == cfg.HL7Topic || t == cfg.FHIRTopic) {
			return nil, fmt.Errorf("%w: output topic %q is also an input topic", ErrConfig, t)
		}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 2048
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = 5 * time.Second
	}
	if cfg.MaxWait <= 0 || cfg.MaxWait > time.Second {
		cfg.MaxWait = 500 * time.Millisecond
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 10 * time.Second
	}
	if cfg.RebalanceTimeout <= 0 {
		cfg.RebalanceTimeout = 20 * time.Second
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.MaxOutbox <= 0 {
		cfg.MaxOutbox = 50000
	}
	if cfg.MaxRecordSize <= 0 || cfg.MaxRecordSize > vault.MaxRecordSize {
		cfg.MaxRecordSize = vault.MaxRecordSize
	}
	if cfg.StartOffset != kafka.LastOffset {
		cfg.StartOffset = kafka.FirstOffset
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	p := &Pipeline{
		cfg:     cfg,
		log:     cfg.Logger,
		m:       cfg.Metrics,
		jobs:    make(chan *job, cfg.Workers*64),
		kick:    make(chan struct{}, 1),
		parts:   map[string]*partState{},
		failing: map[string]string{},
	}
	for _, t := range []string{cfg.HL7Topic, cfg.FHIRTopic} {
		if t != "" {
			p.topics = append(p.topics, t)
		}
	}
	wc := cfg.VaultWriter
	userOnFlush := wc.OnFlush
	p.audq = &auditQueue{a: cfg.Auditor}
	wc.OnFlush = func(r vault.FlushResult) {
		p.m.SegmentRecords.Observe(float64(r.Records))
		p.audq.add(r)
		if userOnFlush != nil {
			userOnFlush(r)
		}
	}
	p.vw = cfg.Vault.NewWriter(wc)
	g, err := p.newGeneration(cfg.Rules, cfg.Deid)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	p.cur, p.gens = g, []*generation{g}
	if g.rules != nil {
		p.m.RulesInfo.SetOnly(1, g.version)
	}
	if cfg.OutputHL7Topic != "" || cfg.OutputFHIRTopic != "" || cfg.DLQTopic != "" {
		p.out = newOutbox(cfg, p.m)
	}
	p.m.Ready.Set(0)
	return p, nil
}

// Metrics returns the pipeline's metrics.
func (p *Pipeline) Metrics() *Metrics { return p.m }

// topicFormat is the format a topic carries when the bytes do not tell.
func (p *Pipeline) topicFormat(topic string) Format {
	switch topic {
	case p.cfg.HL7Topic:
		return FormatHL7
	case p.cfg.FHIRTopic:
		return FormatFHIR
	}
	return FormatUnknown
}

// Ready reports whether the pipeline has joined its group and every sink is healthy.
func (p *Pipeline) Ready() bool {
	if !p.joined.Load() || p.stopping.Load() {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.failing) == 0
}

// FailingSinks lists the sinks currently failing (names only).
func (p *Pipeline) FailingSinks() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var s []string
	for k := range p.failing {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

func (p *Pipeline) sinkFail(sink string, err error) {
	p.m.SinkErrors.Add(1, sink)
	p.mu.Lock()
	_, was := p.failing[sink]
	p.failing[sink] = "error"
	p.mu.Unlock()
	p.m.Ready.Set(0)
	if !was {
		// Sink errors name objects (pseudonyms, partitions, offsets) and endpoints, never record content.
		p.log.Warn("sink failing; not committing until it recovers", "sink", sink, "err", err.Error())
	}
}

func (p *Pipeline) sinkOK(sink string) {
	p.mu.Lock()
	_, was := p.failing[sink]
	delete(p.failing, sink)
	p.mu.Unlock()
	if was {
		p.log.Info("sink recovered", "sink", sink)
	}
	if p.Ready() {
		p.m.Ready.Set(1)
	}
}

// Handler serves /metrics (Prometheus text format), /healthz and /readyz.
func (p *Pipeline) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		p.m.WritePrometheus(w)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if p.Ready() {
			io.WriteString(w, "ready\n")
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		switch f := p.FailingSinks(); {
		case p.stopping.Load():
			io.WriteString(w, "not ready: stopping\n")
		case len(f) > 0:
			fmt.Fprintf(w, "not ready: failing sinks %v\n", f)
		default:
			io.WriteString(w, "not ready: not in the consumer group yet\n")
		}
	})
	return mux
}

// discardUncommitted deletes vault segments and Parquet files of one
// partition that start at or after the committed offset. Failing to delete
// is logged: the replay then overwrites what has the same boundaries, and
// readers can deduplicate rows by _source/_partition/_offset.
func (p *Pipeline) discardUncommitted(ctx context.Context, topic string, partition int, from int64) {
	segs, err := p.cfg.Vault.DiscardFrom(ctx, topic, int32(partition), from)
	if err != nil {
		p.log.Warn("discarding uncommitted vault segments failed", "topic", topic, "partition", partition, "err", errClass(err))
	}
	files := 0
	names := map[string]bool{}
	for _, g := range p.liveGens() {
		for _, n := range g.names {
			names[n] = true
		}
	}
	for n := range names {
		gone, err := dataset.DiscardFrom(ctx, p.cfg.Analytics, n, topic, int32(partition), from)
		if err != nil {
			p.log.Warn("discarding uncommitted dataset files failed", "topic", topic, "partition", partition, "err", errClass(err))
		}
		files += len(gone)
	}
	if len(segs)+files > 0 {
		p.log.Info("removed outputs written after the last commit by a previous owner", "topic", topic,
			"partition", partition, "from_offset", from, "vault_segments", len(segs), "dataset_files", files)
	}
}

func partKey(topic string, partition int) string { return topic + "/" + strconv.Itoa(partition) }

func (p *Pipeline) part(topic string, partition int) *partState {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := partKey(topic, partition)
	ps := p.parts[k]
	if ps == nil {
		ps = &partState{topic: topic, partition: partition, committed: -1, handed: -1}
		p.parts[k] = ps
	}
	return ps
}

// Run consumes until ctx ends, then stops fetching, finishes the records in
// flight, flushes every sink and commits, within ShutdownTimeout. It returns
// nil after a clean shutdown.
func (p *Pipeline) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("pipeline: Run called twice")
	}
	p.hardCtx, p.hardStop = context.WithCancel(context.Background())
	defer p.hardStop()

	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                p.cfg.GroupID,
		Brokers:           p.cfg.Brokers,
		Dialer:            p.cfg.Dialer,
		Topics:            p.topics,
		HeartbeatInterval: p.cfg.HeartbeatInterval,
		SessionTimeout:    p.cfg.SessionTimeout,
		RebalanceTimeout:  p.cfg.RebalanceTimeout,
		JoinGroupBackoff:  time.Second,
		StartOffset:       p.cfg.StartOffset,
		Timeout:           10 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("pipeline: consumer group: %w", err)
	}

	var wg sync.WaitGroup
	for range p.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(p)
			for j := range p.jobs {
				w.process(j)
			}
		}()
	}
	ckDone := make(chan struct{})
	ckCtx, ckStop := context.WithCancel(p.hardCtx)
	go func() {
		defer close(ckDone)
		p.checkpointLoop(ckCtx)
	}()

	groupDone := make(chan struct{})
	go func() {
		defer close(groupDone)
		p.groupLoop(ctx, cg)
	}()
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		if p.cfg.RulesWatcher != nil && p.cfg.RulesPollInterval > 0 {
			p.watchRules(ctx)
		}
	}()

	<-ctx.Done()
	<-watchDone
	p.stopping.Store(true)
	p.m.Ready.Set(0)
	p.log.Info("stopping: finishing records in flight", "deadline", p.cfg.ShutdownTimeout.String())
	timer := time.AfterFunc(p.cfg.ShutdownTimeout, p.hardStop)
	defer timer.Stop()
	// Closing the group ends the generation: partition consumers stop
	// fetching, drain, flush and commit; then the member leaves the group.
	closed := make(chan struct{})
	go func() { cg.Close(); close(closed) }()
	select {
	case <-closed:
	case <-p.hardCtx.Done():
	}
	<-groupDone
	ckStop()
	<-ckDone
	// Anything still buffered (partitions already revoked) is flushed; no commit is possible without a generation.
	var ferr error
	if p.hardCtx.Err() == nil {
		ferr = p.flushAll(p.hardCtx)
	}
	close(p.jobs)
	wg.Wait()
	p.genMu.Lock()
	p.shut = true
	gens := p.gens
	p.genMu.Unlock()
	for _, g := range gens {
		for _, w := range g.ds {
			if _, err := w.Close(p.hardCtx); err != nil && !errors.Is(err, dataset.ErrClosed) && ferr == nil {
				ferr = err
			}
		}
	}
	if p.out != nil {
		p.out.close()
	}
	if p.hardCtx.Err() != nil {
		return fmt.Errorf("pipeline: shutdown deadline of %s exceeded: %w", p.cfg.ShutdownTimeout, errStopped)
	}
	if ferr != nil {
		return fmt.Errorf("pipeline: final flush: %w", ferr)
	}
	p.log.Info("stopped cleanly")
	return nil
}

// groupLoop takes each generation and starts one consumer per assigned partition.
func (p *Pipeline) groupLoop(ctx context.Context, cg *kafka.ConsumerGroup) {
	for {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
				return
			}
			// cannot join the group (the broker is away): not ready
			p.sinkFail("kafka-group", errors.New(errClass(err)))
			p.log.Warn("consumer group", "group", p.cfg.GroupID, "err", err.Error())
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		p.sinkOK("kafka-group")
		p.joined.Store(true)
		if p.Ready() {
			p.m.Ready.Set(1)
		}
		n := 0
		for topic, as := range gen.Assignments {
			for _, a := range as {
				n++
				gen.Start(func(gctx context.Context) { p.consume(gctx, gen, topic, a) })
			}
		}
		p.log.Info("joined consumer group", "group", p.cfg.GroupID, "generation", gen.ID, "partitions", n)
	}
}

// consume reads one partition for one generation.
func (p *Pipeline) consume(gctx context.Context, gen *kafka.Generation, topic string, a kafka.PartitionAssignment) {
	ps := p.part(topic, a.ID)
	p.mu.Lock()
	ps.owner = gen
	if a.Offset >= 0 && a.Offset > ps.committed {
		ps.committed = a.Offset
	}
	p.mu.Unlock()
	start := a.Offset
	ps.mu.Lock()
	if ps.handed >= 0 && (start < 0 || ps.handed+1 > start) {
		// Everything up to handed is already in our sinks (maybe not yet committed).
		start = ps.handed + 1
	}
	last := ps.handed
	fresh := ps.handed < 0
	ps.mu.Unlock()
	if fresh {
		// Outputs at or after the committed offset were written by an owner
		// that never committed them (it crashed): the replay writes them
		// again, perhaps cut into other files, so remove them first. Without
		// a committed offset the replay starts at the partition's first (or
		// last) offset: outputs from there on are uncommitted too.
		from := a.Offset
		if from < 0 {
			d := p.cfg.Dialer
			if d == nil {
				d = &kafka.Dialer{Timeout: 10 * time.Second}
			}
			if c, err := d.DialLeader(gctx, "tcp", p.cfg.Brokers[0], topic, a.ID); err != nil {
				p.log.Warn("resolving the start offset failed; uncommitted outputs are not discarded", "topic", topic, "partition", a.ID, "err", errClass(err))
			} else {
				first, last, err := c.ReadOffsets()
				c.Close()
				switch {
				case err != nil:
					p.log.Warn("resolving the start offset failed; uncommitted outputs are not discarded", "topic", topic, "partition", a.ID, "err", errClass(err))
				case start == kafka.LastOffset:
					from = last
				default:
					from = first
				}
			}
		}
		if from >= 0 {
			p.discardUncommitted(gctx, topic, a.ID, from)
		}
	}

	// kafka-go retries failed fetches inside the Reader and reports them
	// only to its ErrorLogger: that is where a broker outage shows
	var fetchErrs atomic.Int64    // errors reported since the watcher last looked
	var lastFetchErr atomic.Int64 // unix nanos of the last reported fetch error
	r := kafka.NewReader(kafka.ReaderConfig{
		ErrorLogger: kafka.LoggerFunc(func(string, ...any) {
			lastFetchErr.Store(time.Now().UnixNano())
			fetchErrs.Add(1)
		}),
		Brokers:        p.cfg.Brokers,
		Dialer:         p.cfg.Dialer,
		Topic:          topic,
		Partition:      a.ID,
		MinBytes:       1,
		MaxBytes:       max(16<<20, p.cfg.MaxRecordSize+1<<20),
		MaxWait:        readerMaxWait(p.cfg.MaxWait),
		QueueCapacity:  1024,
		ReadBackoffMin: 50 * time.Millisecond,
		ReadBackoffMax: time.Second,
	})
	if err := r.SetOffset(start); err != nil {
		p.log.Error("set offset", "topic", topic, "partition", a.ID, "err", err.Error())
	}
	ordered := make(chan *job, p.cfg.QueueSize)
	seqDone := make(chan struct{})
	go p.sequence(ps, ordered, seqDone)
	p.log.Debug("partition assigned", "topic", topic, "partition", a.ID, "start", start, "generation", gen.ID)
	pstr := strconv.Itoa(a.ID)
	// the input counts for readiness like a sink: a broker that cannot be
	// read makes the process not ready until a fetch succeeds again
	input := "kafka-input " + topic + "/" + pstr
	var inputMu sync.Mutex
	inputFailing := false
	setInput := func(failing bool) {
		inputMu.Lock()
		defer inputMu.Unlock()
		if failing == inputFailing {
			return
		}
		inputFailing = failing
		if failing {
			p.sinkFail(input, errors.New("fetch error"))
		} else {
			p.sinkOK(input)
		}
	}
	defer setInput(false)
	watchDone := make(chan struct{})
	defer close(watchDone)
	go func() {
		t := time.NewTicker(inputWatchTick)
		defer t.Stop()
		var seen time.Time // the last error the watcher saw
		for {
			select {
			case <-watchDone:
				return
			case <-t.C:
				if n := fetchErrs.Swap(0); n > 0 {
					last := time.Unix(0, lastFetchErr.Load())
					if persistent(n, seen, last) {
						setInput(true)
					} else {
						p.log.Debug("fetch failed once; the reader retries", "topic", topic, "partition", a.ID)
					}
					seen = last
				} else if time.Since(time.Unix(0, lastFetchErr.Load())) > inputQuiet {
					// the Reader retries at least every second: quiet means recovered
					setInput(false)
				}
			}
		}
	}()
	for {
		msg, err := r.FetchMessage(gctx)
		if err != nil {
			if gctx.Err() != nil {
				break
			}
			// past its retries the Reader returns the error instead of logging it
			lastFetchErr.Store(time.Now().UnixNano())
			setInput(true)
			p.log.Warn("fetch", "topic", topic, "partition", a.ID, "err", errClass(err))
			select {
			case <-gctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		if msg.Offset <= last {
			continue
		}
		last = msg.Offset
		p.m.RecordsIn.Add(1, topic)
		p.m.Lag.Set(max(0, msg.HighWaterMark-msg.Offset-1), topic, pstr)
		j := &job{msg: msg, done: make(chan struct{}), gen: p.acquire()}
		ordered <- j
		p.jobs <- j
	}
	r.Close()
	close(ordered)
	<-seqDone
	// Make what we handed durable and commit it before the partition moves on.
	cctx, cancel := context.WithTimeout(p.hardCtx, p.cfg.RebalanceTimeout/2)
	if err := p.checkpoint(cctx); err != nil {
		p.log.Warn("final checkpoint of revoked partition failed; the next owner replays from the last commit",
			"topic", topic, "partition", a.ID, "err", errClass(err))
	}
	cancel()
	p.mu.Lock()
	if ps.owner == gen {
		ps.owner = nil
	}
	p.mu.Unlock()
	p.log.Debug("partition released", "topic", topic, "partition", a.ID, "generation", gen.ID)
}

// sequence hands the jobs of one partition to the sinks in offset order.
func (p *Pipeline) sequence(ps *partState, ordered <-chan *job, done chan<- struct{}) {
	defer close(done)
	for j := range ordered {
		<-j.done
		// a checkpoint's snapshot and flush must not see records handed
		// meanwhile (they would be stored without being committed)
		p.handMu.RLock()
		err := p.hand(ps, j)
		p.handMu.RUnlock()
		j.gen.release()
		if err == nil && j.msg.Offset+1 >= j.msg.HighWaterMark {
			// caught up with the partition: commit now rather than at the
			// next tick (at most every 200 ms), so a stream that pauses is
			// committed, and its latency measured, without waiting
			p.kickCaughtUp()
		}
		if err != nil {
			// Hard stop: drop the rest (not committed, replayed later).
			for j := range ordered {
				<-j.done
				j.gen.release()
			}
			return
		}
	}
}

// retry runs fn until it succeeds, fails permanently, or the hard stop.
func (p *Pipeline) retry(sink string, fn func(attempt int) (permanent bool, err error)) error {
	backoff := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		perm, err := fn(attempt)
		if err == nil || perm {
			return err
		}
		p.sinkFail(sink, err)
		select {
		case <-p.hardCtx.Done():
			return errStopped
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// hand writes one processed record to every sink.
func (p *Pipeline) hand(ps *partState, j *job) error {
	ctx := p.hardCtx
	msg := &j.msg
	rec := vault.Record{
		Source: msg.Topic, Partition: int32(msg.Partition), Offset: msg.Offset,
		Pseudonym: j.pseudonym, MessageType: j.msgType, Time: msg.Time, Data: msg.Value,
	}
	if !vault.ValidPseudonym(rec.Pseudonym) {
		rec.Pseudonym = ""
	}
	g := j.gen
	if j.class == "" && !g.phiNone {
		err := p.retry("vault", func(attempt int) (bool, error) {
			_, err := p.vw.Write(ctx, rec)
			switch {
			case err == nil:
				return false, nil
			case attempt > 0 && errors.Is(err, vault.ErrOffsetOrder):
				return false, nil // the earlier attempt buffered it; its segment flush failed
			case errors.Is(err, vault.ErrInvalid):
				return true, err
			}
			return false, err
		})
		switch {
		case errors.Is(err, vault.ErrInvalid):
			j.class = ClassVaultInvalid
		case err != nil:
			return err
		}
	}
	if j.class != "" {
		rec.Pseudonym, rec.MessageType = "", j.format.String()
		if len(rec.Data) > vault.MaxRecordSize {
			rec.Data = rec.Data[:vault.MaxRecordSize]
		}
		err := p.retry("vault", func(attempt int) (bool, error) {
			_, err := p.vw.WriteDLQ(ctx, rec)
			switch {
			case err == nil:
				return false, nil
			case attempt > 0 && errors.Is(err, vault.ErrOffsetOrder):
				return false, nil
			case errors.Is(err, vault.ErrInvalid), errors.Is(err, vault.ErrOffsetOrder):
				return true, err
			}
			return false, err
		})
		if err != nil && !errors.Is(err, vault.ErrInvalid) && !errors.Is(err, vault.ErrOffsetOrder) {
			return err
		}
		p.m.RecordsFailed.Add(1, msg.Topic, j.class)
		p.m.DLQ.Add(1, msg.Topic)
		p.log.Debug("record to DLQ", "topic", msg.Topic, "partition", msg.Partition, "offset", msg.Offset,
			"class", j.class, "format", j.format.String(), "reason", j.reason)
		if p.cfg.DLQTopic != "" {
			if err := p.out.add(ctx, p, dlqNotice(p.cfg.DLQTopic, msg, j)); err != nil {
				return err
			}
		}
	} else {
		meta := dataset.RowMeta{Source: msg.Topic, Partition: int32(msg.Partition), Offset: msg.Offset}
		for i := 0; j.rows != nil && i < j.rows.Len(); i++ {
			ds, vals := j.rows.Row(i)
			if ds < 0 || ds >= len(g.ds) {
				continue
			}
			err := g.appendRow(ctx, ds, meta, vals)
			var re *dataset.RowError
			switch {
			case err == nil:
				p.m.Rows.Add(1, g.names[ds])
			case errors.As(err, &re):
				p.m.RowsRejected.Add(1, g.names[ds])
				// RowError names the dataset, column and Go type, never the value.
				// The first rejection of a dataset is a warning, later ones debug (see the metric).
				lvl := slog.LevelDebug
				if _, seen := p.rejectWarned.LoadOrStore(g.names[ds], true); !seen {
					lvl = slog.LevelWarn
				}
				p.log.Log(ctx, lvl, "row rejected", "dataset", g.names[ds], "topic", msg.Topic,
					"partition", msg.Partition, "offset", msg.Offset, "column", re.Column, "reason", re.Reason)
			default:
				// The row is buffered; the roll that followed failed. The checkpoint retries it.
				p.m.Rows.Add(1, g.names[ds])
				p.sinkFail("dataset", err)
			}
		}
		if j.rows != nil {
			p.putRows(j.rows)
			j.rows = nil
		}
		if len(j.out) > 0 {
			topic := p.cfg.OutputHL7Topic
			if j.format == FormatFHIR {
				topic = p.cfg.OutputFHIRTopic
			}
			if err := p.out.add(ctx, p, outputMessage(topic, msg, j)); err != nil {
				return err
			}
		}
		p.m.RecordsOut.Add(1, msg.Topic)
	}
	ps.mu.Lock()
	ps.handed = msg.Offset
	ps.lat = append(ps.lat, msg.Time.UnixNano())
	ps.mu.Unlock()
	return nil
}

// kickCaughtUp asks for an early checkpoint, at most one per 200 ms.
// A kick inside the 200 ms window is deferred to its end, not dropped: the
// last records of a burst are committed right after it too.
func (p *Pipeline) kickCaughtUp() {
	const gap = int64(200 * time.Millisecond)
	now := time.Now().UnixNano()
	last := p.lastKick.Load()
	if now-last >= gap {
		if p.lastKick.CompareAndSwap(last, now) {
			p.kickCheckpoint()
		}
		return
	}
	if p.kickPending.CompareAndSwap(false, true) {
		time.AfterFunc(time.Duration(last+gap-now), func() {
			p.kickPending.Store(false)
			p.lastKick.Store(time.Now().UnixNano())
			p.kickCheckpoint() // a non-blocking send: harmless once stopped
		})
	}
}

func (p *Pipeline) kickCheckpoint() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *Pipeline) checkpointLoop(ctx context.Context) {
	t := time.NewTicker(p.cfg.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.kick:
		}
		cctx, cancel := context.WithTimeout(ctx, max(10*time.Second, 2*p.cfg.CheckpointInterval))
		if err := p.checkpoint(cctx); err != nil {
			p.log.Debug("checkpoint failed; retrying", "err", errClass(err))
		}
		cancel()
	}
}

// flushAll makes everything handed so far durable in every sink.
func (p *Pipeline) flushAll(ctx context.Context) error {
	if _, err := p.vw.Flush(ctx); err != nil {
		p.sinkFail("vault", err)
		return err
	}
	if err := p.audq.commit(ctx); err != nil {
		p.sinkFail("audit", err)
		return err
	}
	p.sinkOK("vault")
	for _, g := range p.liveGens() {
		for i, w := range g.ds {
			res, err := w.Flush(ctx)
			for _, f := range res.Files {
				p.m.FileRows.Observe(float64(f.Rows))
			}
			if errors.Is(err, dataset.ErrClosed) {
				continue // retired meanwhile: it was flushed before it closed
			}
			if err != nil {
				p.sinkFail("dataset", err)
				return fmt.Errorf("dataset %s: %w", g.names[i], err)
			}
		}
	}
	p.sinkOK("dataset")
	if p.out != nil {
		if err := p.out.flush(ctx); err != nil {
			p.sinkFail("kafka-output", err)
			return err
		}
		p.sinkOK("kafka-output")
	}
	return nil
}

// pauseHandoff takes handMu for writing, giving up when ctx ends (a
// sequencer may be retrying a failing sink while it holds the read lock).
func (p *Pipeline) pauseHandoff(ctx context.Context) error {
	acquired := make(chan struct{})
	go func() {
		p.handMu.Lock()
		close(acquired)
	}()
	select {
	case <-acquired:
		return nil
	case <-ctx.Done():
		go func() {
			<-acquired
			p.handMu.Unlock()
		}()
		return ctx.Err()
	}
}

// checkpoint flushes every sink and then commits, per owned partition, the
// offset after the last record handed before the flush began.
func (p *Pipeline) checkpoint(ctx context.Context) error {
	p.ckMu.Lock()
	defer p.ckMu.Unlock()
	start := time.Now()
	type snap struct {
		ps     *partState
		gen    *kafka.Generation
		handed int64
		lat    []int64
	}
	var snaps []snap
	// Hand-off to the sinks pauses from the snapshot until the flush is
	// done, so every stored vault segment and Parquet file ends at or before
	// the offsets committed below: a crash then leaves only whole segments
	// and files after the commit, which the next owner deletes before it
	// replays (discardUncommitted). Without the pause a segment could hold
	// both committed and uncommitted records and be stored twice.
	if err := p.pauseHandoff(ctx); err != nil {
		return err
	}
	handPaused := true
	resume := func() {
		if handPaused {
			handPaused = false
			p.handMu.Unlock()
		}
	}
	defer resume()
	p.mu.Lock()
	for _, ps := range p.parts {
		if ps.owner != nil {
			snaps = append(snaps, snap{ps: ps, gen: ps.owner})
		}
	}
	p.mu.Unlock()
	for i := range snaps {
		s := &snaps[i]
		s.ps.mu.Lock()
		s.handed, s.lat = s.ps.handed, s.ps.lat
		s.ps.lat = nil
		s.ps.mu.Unlock()
	}
	restore := func() {
		for _, s := range snaps {
			s.ps.mu.Lock()
			s.ps.lat = append(s.lat, s.ps.lat...)
			s.ps.mu.Unlock()
		}
	}
	// Generations no record references any more: flushed now, closed after the commit.
	old := p.retirable()
	if err := p.flushAll(ctx); err != nil {
		restore()
		return err
	}
	resume()
	defer p.retire(ctx, old)
	byGen := map[*kafka.Generation]map[string]map[int]int64{}
	var commit []snap
	p.mu.Lock()
	for _, s := range snaps {
		if s.ps.owner != s.gen || s.handed < 0 || s.handed+1 <= s.ps.committed {
			continue
		}
		g := byGen[s.gen]
		if g == nil {
			g = map[string]map[int]int64{}
			byGen[s.gen] = g
		}
		if g[s.ps.topic] == nil {
			g[s.ps.topic] = map[int]int64{}
		}
		g[s.ps.topic][s.ps.partition] = s.handed + 1
		commit = append(commit, s)
	}
	p.mu.Unlock()
	var cerr error
	for gen, offs := range byGen {
		if err := gen.CommitOffsets(offs); err != nil {
			p.log.Warn("offset commit failed; will retry", "group", p.cfg.GroupID, "generation", gen.ID, "err", err.Error())
			cerr = err
			continue
		}
		now := time.Now()
		p.mu.Lock()
		for _, s := range commit {
			if s.gen != gen {
				continue
			}
			if s.handed+1 > s.ps.committed {
				s.ps.committed = s.handed + 1
			}
			p.m.Commits.Add(1, s.ps.topic)
		}
		p.mu.Unlock()
		for _, s := range commit {
			if s.gen != gen {
				continue
			}
			secs := make([]float64, len(s.lat))
			for i, t := range s.lat {
				secs[i] = now.Sub(time.Unix(0, t)).Seconds()
			}
			p.m.Latency.ObserveMany(secs)
			s.lat = nil
		}
	}
	if cerr != nil {
		// Latency samples of failed commits are dropped; the records are durable and the next commit covers them.
		return cerr
	}
	p.m.CheckpointSecs.Observe(time.Since(start).Seconds())
	return nil
}

// Committed returns the next offset committed by this member for a
// partition, or -1 when unknown (for tests and progress reports).
func (p *Pipeline) Committed(topic string, partition int) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ps := p.parts[partKey(topic, partition)]; ps != nil {
		return ps.committed
	}
	return -1
}

// Assigned returns the number of input partitions this member currently owns.
func (p *Pipeline) Assigned() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, ps := range p.parts {
		if ps.owner != nil {
			n++
		}
	}
	return n
}

// getRows returns an empty Rows for a worker to evaluate into.
func (p *Pipeline) getRows() *rules.Rows {
	if r, ok := p.rowsPool.Get().(*rules.Rows); ok {
		return r
	}
	return new(rules.Rows)
}

// putRows recycles a job's Rows once the sinks have copied its rows.
func (p *Pipeline) putRows(r *rules.Rows) {
	r.Reset()
	p.rowsPool.Put(r)
}
