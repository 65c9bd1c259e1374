package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/safeharbor/safeharbor/config"
	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/internal/synth"
	"github.com/safeharbor/safeharbor/pipeline"
	"github.com/safeharbor/safeharbor/rules"
	"github.com/safeharbor/safeharbor/sinks/access"
	"github.com/safeharbor/safeharbor/sinks/audit"
	"github.com/safeharbor/safeharbor/sinks/policy"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

func init() {
	register(command{name: "run", summary: "run the streaming pipeline (Kafka -> de-identify -> vault + Parquet)", run: runRun})
}

func runRun(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration file (default: embedded defaults; SAFEHARBOR_* overrides)")
	demo := fs.Int("demo", 0, "produce N synthetic messages (mixed HL7v2 and FHIR) into the input topics, show progress, stop when all are committed")
	seed := fs.Int64("demo-seed", 1, "seed of the synthetic traffic")
	fhirShare := fs.Float64("demo-fhir", 0.2, "share of FHIR resources in the demo traffic")
	poison := fs.Int("demo-poison", 1000, "one malformed record every N demo messages (0 = none), to show the DLQ")
	logLevel := fs.String("log-level", "", "override log_level (debug, info, warn, error)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "run: unexpected arguments; use -config FILE")
		return exitUsage
	}
	c, err := config.Load(*cfgPath, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if *logLevel != "" {
		c.LogLevel = *logLevel
	} else if *demo > 0 && *cfgPath == "" && os.Getenv("SAFEHARBOR_LOG_LEVEL") == "" {
		c.LogLevel = "warn" // keep the progress line readable
	}
	if errs := c.Validate(false); len(errs) > 0 {
		fmt.Fprintln(stderr, "run: invalid configuration:")
		for _, e := range errs {
			fmt.Fprintln(stderr, "  "+e)
		}
		return exitUsage
	}
	var h slog.Handler
	hopts := &slog.HandlerOptions{Level: config.LogLevels[strings.ToLower(c.LogLevel)]}
	if c.LogFormat == "text" {
		h = slog.NewTextHandler(stderr, hopts)
	} else {
		h = slog.NewJSONHandler(stderr, hopts)
	}
	log := slog.New(h)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Key files first: a configuration error is reported before anything is opened.
	if _, err := deid.LoadKeyFile(c.Keys.DeidKeyFile); err != nil {
		fmt.Fprintf(stderr, "run: keys.deid_key_file: %v\n", err)
		return exitUsage
	}
	if _, err := vault.LoadKeyring(c.Keys.KeyringFile); err != nil {
		fmt.Fprintf(stderr, "run: keys.vault_keyring_file: %v\n", err)
		return exitUsage
	}
	guard, err := openRunGuard(ctx, c, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "run: %v\n", err)
		return exitCode(err)
	}
	defer func() {
		if err := guard.Close(); err != nil {
			log.Error("closing the audit trail failed", "error", err.Error())
		}
	}()
	go guard.RunAnchoring(ctx, func(err error) { log.Error("audit anchor failed", "error", err.Error()) })
	r, err := build(c, log, guard)
	if err != nil {
		fmt.Fprintf(stderr, "run: %v\n", err)
		return exitUsage
	}
	defer r.close()

	if c.RulesFile != "" {
		// SIGHUP reloads the rules file (a change of the file is noticed
		// by polling too). A file that does not compile is logged with
		// its positions and the running rules stay.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					_ = r.p.ReloadRules() // logged and counted in safeharbor_rules_reloads_total
				}
			}
		}()
	}
	if c.MetricsAddr != "" {
		ln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			fmt.Fprintf(stderr, "run: metrics_addr: %v\n", err)
			return exitUsage
		}
		srv := &http.Server{Handler: r.p.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		log.Info("serving /metrics, /healthz, /readyz", "addr", ln.Addr().String())
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var d *demoRun
	if *demo > 0 {
		d = &demoRun{n: *demo, seed: *seed, fhirShare: *fhirShare, poison: *poison, cfg: c, brokers: r.brokers,
			p: r.p, out: stderr, transport: r.transport}
		go d.run(runCtx, cancel)
	}
	err = r.p.Run(runCtx)
	if d != nil {
		d.summary(stdout, c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "run: %v\n", err)
		return exitFail
	}
	if d != nil && d.failed != nil {
		fmt.Fprintf(stderr, "run: demo: %v\n", d.failed)
		return exitFail
	}
	return exitOK
}

type running struct {
	p         *pipeline.Pipeline
	broker    *pipeline.EmbeddedBroker
	brokers   []string
	transport *kafka.Transport
}

func (r *running) close() {
	if r.broker != nil {
		r.broker.Close()
	}
}

// build loads keys, opens the sinks, starts the embedded broker if no
// brokers are configured, and builds the pipeline. Errors name files and
// settings, never key material.
func build(c *config.Run, log *slog.Logger, guard *access.Guard) (*running, error) {
	key, err := deid.LoadKeyFile(c.Keys.DeidKeyFile)
	if err != nil {
		return nil, fmt.Errorf("keys.deid_key_file: %w", err)
	}
	kr, err := vault.LoadKeyring(c.Keys.KeyringFile)
	if err != nil {
		return nil, fmt.Errorf("keys.vault_keyring_file: %w", err)
	}
	var rw *rules.Watcher
	rulesVersion := ""
	if c.RulesFile != "" {
		rw, err = rules.NewWatcher(c.RulesFile, time.Second, log)
		if err != nil {
			return nil, fmt.Errorf("rules_file: %w", err)
		}
		rulesVersion = rw.Set().Version()
	}
	profile, _ := deid.ParseProfile(c.Keys.DeidProfile)
	eng, err := deid.New(deid.Config{Key: key, Profile: profile, RulesVersion: rulesVersion})
	if err != nil {
		return nil, err
	}
	// The engine records the rules version in its provenance: a rules
	// switch gets an engine of its own (same key and profile).
	deidFor := func(version string) (pipeline.Deidentifier, error) {
		return deid.New(deid.Config{Key: key, Profile: profile, RulesVersion: version})
	}
	ctx := context.Background()
	vstore, err := c.Vault.Open(ctx, "vault")
	if err != nil {
		return nil, err
	}
	astore, err := c.Analytics.Open(ctx, "analytics")
	if err != nil {
		return nil, err
	}
	v, err := vault.New(vault.Config{Store: vstore, Keyring: kr})
	if err != nil {
		return nil, err
	}
	r := &running{brokers: c.Kafka.Brokers}
	var dialer *kafka.Dialer
	if len(r.brokers) == 0 {
		t := c.Kafka.Topics
		b, err := pipeline.StartEmbeddedBroker(c.Kafka.Embedded.Port, c.Kafka.Embedded.Partitions, t.HL7, t.FHIR, t.HL7Out, t.FHIROut, t.DLQ)
		if err != nil {
			return nil, err
		}
		r.broker, r.brokers = b, b.Addrs()
		log.Info("embedded Kafka-protocol broker started (in memory, loopback only)", "addr", strings.Join(r.brokers, ","))
	} else {
		dialer, r.transport, err = c.Kafka.Security()
		if err != nil {
			return nil, err
		}
	}
	noGuard := c.LeakGuard != nil && !*c.LeakGuard
	if noGuard {
		log.Warn("leak_guard: false: the output leak guard is OFF (unsafe): de-identified output is not checked for identifiers of its original")
	}
	start := kafka.FirstOffset
	if c.Pipeline.StartFrom == "latest" {
		start = kafka.LastOffset
	}
	p, err := pipeline.New(pipeline.Config{
		Brokers: r.brokers, Dialer: dialer, Transport: r.transport, GroupID: c.Kafka.Group,
		HL7Topic: c.Kafka.Topics.HL7, FHIRTopic: c.Kafka.Topics.FHIR,
		OutputHL7Topic: c.Kafka.Topics.HL7Out, OutputFHIRTopic: c.Kafka.Topics.FHIROut, DLQTopic: c.Kafka.Topics.DLQ,
		Deid: eng, DeidFor: deidFor, RulesWatcher: rw, Vault: v, Analytics: astore, Auditor: guard,
		Workers: c.Pipeline.Workers, QueueSize: c.Pipeline.QueueSize,
		CheckpointInterval: c.Pipeline.CheckpointInterval.Duration, ShutdownTimeout: c.Pipeline.ShutdownTimeout.Duration,
		StartOffset: start, Logger: log, NoLeakGuard: noGuard,
	})
	if err != nil {
		r.close()
		return nil, err
	}
	r.p = p
	return r, nil
}

// openRunGuard opens the access guard of the pipeline: the system access
// configuration when one exists (its policy must allow the running account to
// store), else the run configuration's local audit trail (keys.audit_key_file,
// audit.log, audit.anchor_dir). The authorization is audited.
func openRunGuard(ctx context.Context, c *config.Run, stderr io.Writer) (*access.Guard, error) {
	acfg, err := access.LoadConfig(accessLoad)
	if errors.Is(err, access.ErrNoConfig) {
		acfg = access.LocalConfig(c.Audit.Log, c.Keys.AuditKeyFile, c.Audit.AnchorDir)
	} else if err != nil {
		return nil, usagef("%v", err)
	}
	if err := acfg.CheckSeparate(c.Vault.Dir, c.Analytics.Dir); err != nil {
		return nil, usagef("%v", err)
	}
	opts := accessOpen
	opts.Client = "pipeline"
	if opts.AlertLog == nil {
		opts.AlertLog = stderr
	}
	g, err := access.Open(ctx, acfg, opts)
	if err != nil {
		var te *access.TrustError
		var ke *audit.KeyError
		if errors.As(err, &te) || errors.As(err, &ke) {
			return nil, usagef("%v (keys.audit_key_file)", err)
		}
		return nil, err
	}
	where := c.Vault.Where()
	if len(where) > 200 {
		where = where[:200]
	}
	ev := audit.Event{Entity: "vault", RecordID: where, Action: audit.ActionCreate, Reason: "pipeline start"}
	d, err := g.Authorize(ctx, policy.ActionStore, false, ev)
	if err != nil {
		g.Close()
		return nil, err
	}
	ev.Outcome, ev.Detail = audit.OutcomeAllowed, map[string]string{"policy_via": d.Via}
	if err := g.Record(ctx, ev); err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

// demoRun produces synthetic traffic into the input topics and reports progress.
type demoRun struct {
	n         int
	seed      int64
	fhirShare float64
	poison    int
	cfg       *config.Run
	brokers   []string
	transport *kafka.Transport
	p         *pipeline.Pipeline
	out       io.Writer

	start, end time.Time
	produced   int
	failed     error
}

func (d *demoRun) run(ctx context.Context, stopPipeline context.CancelFunc) {
	defer stopPipeline()
	d.start = time.Now()
	w := &kafka.Writer{Addr: kafka.TCP(d.brokers...), Balancer: &kafka.RoundRobin{}, BatchSize: 1000,
		BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	if d.transport != nil {
		w.Transport = d.transport
	}
	defer w.Close()
	g := synth.New(d.seed, synth.Options{})
	kinds := []string{"Patient", "Encounter", "Observation", "Condition"}
	t := d.cfg.Kafka.Topics
	done := make(chan struct{})
	go func() {
		defer close(done)
		batch := make([]kafka.Message, 0, 1000)
		acc := 0.0
		for i := 0; i < d.n && ctx.Err() == nil; i++ {
			var m kafka.Message
			acc += d.fhirShare
			switch {
			case d.poison > 0 && i%d.poison == d.poison-1:
				if i%2 == 0 {
					m = kafka.Message{Topic: t.HL7, Value: []byte("PID|this is not an HL7 message")}
				} else {
					m = kafka.Message{Topic: t.FHIR, Value: []byte(`{"resourceType": "Patient", "name": [`)}
				}
			case acc >= 1 && t.FHIR != "":
				acc--
				m = kafka.Message{Topic: t.FHIR, Value: g.FHIRResource(kinds[i%len(kinds)])}
			default:
				topic := t.HL7
				if topic == "" {
					topic = t.FHIR
				}
				m = kafka.Message{Topic: topic, Value: g.HL7()}
			}
			batch = append(batch, m)
			if len(batch) == cap(batch) || i == d.n-1 {
				if err := w.WriteMessages(ctx, batch...); err != nil {
					if ctx.Err() == nil {
						d.failed = fmt.Errorf("producing synthetic traffic: %w", err)
					}
					return
				}
				d.produced += len(batch)
				batch = batch[:0]
			}
		}
	}()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			<-done
			fmt.Fprintln(d.out)
			return
		case <-tick.C:
		}
		m := d.p.Metrics()
		in, outN, dlq := m.RecordsIn.Sum(), m.RecordsOut.Sum(), m.DLQ.Sum()
		el := time.Since(d.start).Seconds()
		fmt.Fprintf(d.out, "\rproduced %d/%d  processed %d  rows %d  DLQ %d  committed %d  %.0f msg/s  %s   ",
			d.produced, d.n, in, m.Rows.Sum(), dlq, d.committed(), float64(outN+dlq)/el, readyWord(d.p))
		select {
		case <-done:
			if d.failed != nil {
				fmt.Fprintln(d.out)
				return
			}
			if d.committed() >= int64(d.n) {
				d.end = time.Now()
				fmt.Fprintln(d.out)
				return
			}
		default:
		}
	}
}

func readyWord(p *pipeline.Pipeline) string {
	if p.Ready() {
		return "ready"
	}
	return "not ready"
}

// committed sums the committed offsets of the input partitions (the demo's
// topics start empty, so offsets equal record counts).
func (d *demoRun) committed() int64 {
	var s int64
	for _, t := range []string{d.cfg.Kafka.Topics.HL7, d.cfg.Kafka.Topics.FHIR} {
		if t == "" {
			continue
		}
		for part := range int(d.cfg.Kafka.Embedded.Partitions) {
			if c := d.p.Committed(t, part); c > 0 {
				s += c
			}
		}
	}
	return s
}

func (d *demoRun) summary(w io.Writer, c *config.Run) {
	m := d.p.Metrics()
	end := d.end
	if end.IsZero() {
		end = time.Now()
	}
	el := end.Sub(d.start)
	processed := m.RecordsOut.Sum() + m.DLQ.Sum()
	fmt.Fprintf(w, "\nSummary\n  records produced   %d\n  records processed  %d (vaulted %d, DLQ %d)\n  offsets committed  %d\n",
		d.produced, processed, m.RecordsOut.Sum(), m.DLQ.Sum(), d.committed())
	fmt.Fprintf(w, "  elapsed            %s   throughput %.0f msg/s (end to end, committed)\n", el.Round(time.Millisecond), float64(d.committed())/el.Seconds())
	var names []string
	for _, n := range m.Rows.Names() {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "  datasets:")
	for _, n := range names {
		fmt.Fprintf(w, "    %-22s %d rows\n", n, m.Rows.Value(n))
	}
	if len(names) == 0 {
		fmt.Fprintln(w, "    (none: no rules_file configured)")
	}
	fmt.Fprintf(w, "  vault (encrypted originals)  %s\n  analytics (Parquet)          %s\n", c.Vault.Where(), c.Analytics.Where())
	if !c.Analytics.S3.Set() && len(names) > 0 {
		fmt.Fprintf(w, "\nOpen the Parquet with DuckDB, for example:\n  duckdb -c \"SELECT * FROM read_parquet('%s/dataset=%s/*/*.parquet') LIMIT 5\"\n",
			strings.TrimSuffix(c.Analytics.Dir, "/"), pick(names, "lab_results"))
	}
}

func pick(names []string, want string) string {
	for _, n := range names {
		if n == want {
			return n
		}
	}
	return names[0]
}
