package pipeline

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// BenchmarkEndToEndHL7 measures, on one embedded broker, the end-to-end HL7v2
// throughput of the pipeline with local sinks (parse, de-identify, one dataset
// row per message, vault segment, Parquet file, offsets committed) next to a
// raw kafka-go consume of the same records (one Reader per partition, no
// processing). Reported: hl7_msg/s, raw_msg/s and pipeline/raw.
func BenchmarkEndToEndHL7(b *testing.B) {
	const parts = 4
	n := 60000
	if testing.Short() {
		n = 4000
	}
	hl7s, _, _ := synthTraffic(7, 2000, 0)
	var pipeSecs, rawSecs float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, parts, nil, nil)
		e.group = "bench"
		msgs := make([][]byte, n)
		for k := range msgs {
			msgs[k] = hl7s[k%len(hl7s)]
		}
		e.produce(tHL7, msgs)
		b.StartTimer()

		// Raw kafka-go consume.
		start := time.Now()
		var wg sync.WaitGroup
		for p := range parts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := kafka.NewReader(kafka.ReaderConfig{Brokers: e.broker.Addrs(), Topic: tHL7, Partition: p,
					MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 200 * time.Millisecond, QueueCapacity: 1024})
				defer r.Close()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				for {
					m, err := r.FetchMessage(ctx)
					if err != nil {
						b.Errorf("raw fetch: %v", err)
						return
					}
					if m.Offset+1 >= m.HighWaterMark {
						return
					}
				}
			}()
		}
		wg.Wait()
		rawSecs += time.Since(start).Seconds()

		// Pipeline.
		cfg := e.config()
		cfg.OutputHL7Topic, cfg.OutputFHIRTopic = "", ""
		cfg.CheckpointInterval = time.Second
		cfg.Logger = nil
		p, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		stop := runPipeline(b, p)
		// throughput, not start-up: the clock starts once the group is
		// joined and the partitions are assigned (a join takes a variable
		// second or so), and stops when every offset is committed
		waitForQuiet(b, time.Minute, func() bool { return p.Assigned() >= parts })
		start = time.Now()
		waitForQuiet(b, 2*time.Minute, func() bool { return sumCommitted(e.groupOffsets(tHL7, parts)) == int64(n) })
		pipeSecs += time.Since(start).Seconds()
		b.StopTimer()
		if err := stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	total := float64(n * b.N)
	b.ReportMetric(total/pipeSecs, "hl7_msg/s")
	b.ReportMetric(total/rawSecs, "raw_msg/s")
	b.ReportMetric(rawSecs/pipeSecs, "pipeline/raw")
}

// waitForQuiet is waitFor with a 20ms poll, for benchmarks.
func waitForQuiet(b *testing.B, timeout time.Duration, cond func() bool) {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out after %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
