package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/safeharbor/safeharbor/config"
	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/pipeline/ingest"
	"github.com/safeharbor/safeharbor/sinks/access"
)

func init() {
	register(command{
		name:    "mllp",
		summary: "receive HL7v2 over MLLP and ACK each message once Kafka stored it",
		run: func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runMLLP(ctx, args, stdout, stderr)
		},
	})
}

// runMLLP runs the MLLP listener until ctx ends (SIGINT/SIGTERM), then shuts
// down gracefully: stop accepting, finish in-flight messages, flush, close.
func runMLLP(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mllp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:2575", "address to accept MLLP connections on")
	topic := fs.String("topic", "", "Kafka topic to write messages to (required)")
	brokers := fs.String("brokers", "", "comma-separated Kafka brokers (overrides the configuration's kafka.brokers); none starts an embedded broker on loopback (tests and demos)")
	cfgPath := fs.String("config", "", "run configuration file: its kafka.brokers, kafka.tls and kafka.sasl (and SAFEHARBOR_KAFKA_* overrides) secure the connection to Kafka, as for run")
	embeddedPort := fs.Int("embedded-port", 0, "port of the embedded broker when --brokers is empty (0 picks a free one)")
	tlsCert := fs.String("tls-cert", "", "PEM certificate file: serve MLLP over TLS 1.2+")
	tlsKey := fs.String("tls-key", "", "PEM private key file for --tls-cert")
	tlsClientCA := fs.String("tls-client-ca", "", "PEM CA file: require client certificates signed by it (mutual TLS)")
	keyFile := fs.String("key-file", "", "secret key file (32+ bytes): key records by HMAC(MSH-4, PID-3.1) instead of by connection")
	maxSize := fs.Int("max-message-size", ingest.DefaultMaxMessageSize, "largest message in bytes; larger frames get AR (keep below the broker's message.max.bytes)")
	maxConns := fs.Int("max-conns", ingest.DefaultMaxConns, "maximum concurrent connections; more are closed at once")
	idle := fs.Duration("idle-timeout", ingest.DefaultIdleTimeout, "close a connection with no message for this long")
	perPeer := fs.Int("max-conns-per-peer", ingest.DefaultMaxConnsPerPeer, "maximum concurrent connections from one IP address; more are closed at once")
	firstFrame := fs.Duration("first-frame-timeout", ingest.DefaultFirstFrameTimeout, "close a connection that has not sent a whole message this long after opening")
	writeTO := fs.Duration("write-timeout", ingest.DefaultWriteTimeout, "bound on writing one ACK")
	produceTO := fs.Duration("produce-timeout", ingest.DefaultProduceTimeout, "bound on storing one message; past it the sender gets AE")
	batchTO := fs.Duration("batch-timeout", 2*time.Millisecond, "how long a produce batch waits for messages from other connections")
	shutdownTO := fs.Duration("shutdown-timeout", 30*time.Second, "bound on finishing in-flight messages at shutdown")
	ackApp := fs.String("ack-app", "SAFEHARBOR", "MSH-3 of the ACKs (empty: the original's MSH-5)")
	ackFac := fs.String("ack-facility", "", "MSH-4 of the ACKs (empty: the original's MSH-6)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error (logs never carry message content)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "safeharbor mllp: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if *topic == "" {
		return usageErr("--topic is required")
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usageErr("--tls-cert and --tls-key go together")
	}
	if *tlsClientCA != "" && *tlsCert == "" {
		return usageErr("--tls-client-ca needs --tls-cert and --tls-key")
	}
	if *maxSize <= 0 || *maxConns <= 0 || *idle <= 0 || *writeTO <= 0 || *produceTO <= 0 || *batchTO <= 0 || *shutdownTO <= 0 ||
		*perPeer <= 0 || *firstFrame <= 0 {
		return usageErr("sizes, limits and timeouts must be positive")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usageErr("unknown --log-level %q", *logLevel)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	cfg := ingest.Config{
		MaxMessageSize: *maxSize, MaxConns: *maxConns, MaxConnsPerPeer: *perPeer, FirstFrameTimeout: *firstFrame,
		IdleTimeout: *idle, WriteTimeout: *writeTO, ProduceTimeout: *produceTO,
		AckApp: *ackApp, AckFacility: *ackFac, Logger: log,
	}
	if *tlsCert != "" {
		// The private key is a secret: readable by its owner only.
		if _, err := access.ReadSecretFile("--tls-key", *tlsKey); err != nil {
			return usageErr("%v", err)
		}
		tc, err := ingest.LoadTLSConfig(*tlsCert, *tlsKey, *tlsClientCA)
		if err != nil {
			return usageErr("%v", err)
		}
		cfg.TLS = tc
	}
	if *keyFile != "" {
		k, err := deid.LoadKeyFile(*keyFile)
		if err != nil {
			return usageErr("%v", err)
		}
		cfg.KeyHMAC = k
	}

	// Kafka security comes from the same configuration type as run's.
	kc, err := config.Load(*cfgPath, os.Getenv)
	if err != nil {
		return usageErr("%v", err)
	}
	seeds := kc.Kafka.Brokers
	if *brokers != "" {
		seeds = nil
		for _, b := range strings.Split(*brokers, ",") {
			if b = strings.TrimSpace(b); b != "" {
				seeds = append(seeds, b)
			}
		}
	}
	kcfg := ingest.KafkaConfig{Topic: *topic, BatchTimeout: *batchTO, BatchBytes: int64(*maxSize) + 64<<10}
	if len(seeds) > 0 {
		if errs := kc.Kafka.KafkaSecurity.Validate(); len(errs) > 0 {
			return usageErr("%s", strings.Join(errs, "; "))
		}
		if kcfg.TLS, err = kc.Kafka.TLSConfig(); err != nil {
			return usageErr("%v", err)
		}
		if kcfg.SASL, err = kc.Kafka.Mechanism(); err != nil {
			return usageErr("%v", err)
		}
		if kcfg.TLS == nil {
			log.Warn("Kafka connection is not encrypted: PHI crosses the network in clear (set kafka.tls in --config or SAFEHARBOR_KAFKA_TLS_ENABLED)")
		}
	}
	if len(seeds) == 0 {
		cluster, addr, err := ingest.StartEmbedded(ingest.EmbeddedConfig{Port: *embeddedPort, Topics: []string{*topic}})
		if err != nil {
			fmt.Fprintf(stderr, "safeharbor mllp: embedded broker: %v\n", err)
			return exitFail
		}
		defer cluster.Close()
		seeds = []string{addr}
		log.Info("embedded Kafka broker started (in memory; for tests and demos)", "addr", addr, "topic", *topic)
	}
	kcfg.Brokers = seeds
	prod, err := ingest.NewKafkaProducer(kcfg)
	if err != nil {
		return usageErr("%v", err)
	}
	srv, err := ingest.NewServer(cfg, prod)
	if err != nil {
		return usageErr("%v", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "safeharbor mllp: listen on %s: %v\n", *listen, errors.Unwrap(err))
		return exitFail
	}
	mode := "MLLP"
	if cfg.TLS != nil {
		mode = "MLLP over TLS"
	}
	fmt.Fprintf(stdout, "safeharbor mllp: %s on %s -> topic %s at %s\n", mode, ln.Addr(), *topic, strings.Join(seeds, ","))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	code := exitOK
	select {
	case <-ctx.Done():
		log.Info("shutting down: finishing in-flight messages")
	case err := <-served:
		log.Error("listener failed", "error_class", ingest.ErrorClass(err))
		code = exitFail
	}
	sctx, cancel := context.WithTimeout(context.Background(), *shutdownTO)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown deadline passed; in-flight messages were not acknowledged", "error_class", ingest.ErrorClass(err))
		code = exitFail
	}
	if err := prod.Close(); err != nil {
		log.Warn("closing the Kafka writer failed", "error_class", ingest.ErrorClass(err))
	}
	s := srv.Metrics().Snapshot()
	log.Info("stopped", "received", s.Received, "accepted", s.AckAccept, "errored", s.AckError, "rejected", s.AckReject)
	return code
}
