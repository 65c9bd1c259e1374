package pipeline

import (
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/internal/miniotest"
	"github.com/safeharbor/safeharbor/sinks/store"
)

// TestMinIOOutage: vault and analytics on a real MinIO; MinIO stops
// mid-stream: the pipeline reports not ready and commits nothing; after the
// restart everything is stored and committed, nothing lost or duplicated.
func TestMinIOOutage(t *testing.T) {
	srv := miniotest.Start(t)
	open := func() store.Store {
		s, err := store.NewS3(store.S3Config{Endpoint: srv.Endpoint, Bucket: srv.NewBucket(t, false),
			AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, CAFile: srv.CAFile})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const parts = 2
	e := newEnv(t, parts, open(), open())
	hl7s, _, _ := synthTraffic(4, 600, 0)
	cfg := e.config()
	cfg.FHIRTopic, cfg.OutputFHIRTopic = "", ""
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := runPipeline(t, p)
	e.produce(tHL7, hl7s[:300])
	waitFor(t, 60*time.Second, "first half committed", func() bool { return sumCommitted(e.groupOffsets(tHL7, parts)) == 300 })
	waitFor(t, 10*time.Second, "ready", p.Ready)

	srv.Stop()
	e.produce(tHL7, hl7s[300:])
	waitFor(t, 60*time.Second, "not ready while MinIO is down", func() bool { return !p.Ready() })
	// MinIO stays down for 30 s: all that time nothing is committed and the
	// pipeline reports not ready, retrying with backoff
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(time.Second) {
		if p.Ready() {
			t.Fatal("ready while MinIO is down")
		}
		if c := sumCommitted(e.groupOffsets(tHL7, parts)); c != 300 {
			t.Fatalf("committed %d offsets while the sinks were down, want 300", c)
		}
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 90*time.Second, "all committed after restart", func() bool { return sumCommitted(e.groupOffsets(tHL7, parts)) == 600 })
	waitFor(t, 10*time.Second, "ready again", p.Ready)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	n, offs := e.vaultCount(false)
	if len(offs) != 600 {
		t.Fatalf("vault holds %d distinct offsets (%d records), want 600", len(offs), n)
	}
	if rows := e.datasetRows("messages"); rows != 600 {
		t.Fatalf("dataset rows %d, want 600", rows)
	}
	t.Logf("vault records %d (distinct offsets %d), sink errors %d", n, len(offs), p.Metrics().SinkErrors.Sum())
}
