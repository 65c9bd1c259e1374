package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheckRedactsAndReports(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "c.yaml")
	os.WriteFile(f, []byte("kafka:\n  brokers: [\"k1:9093\"]\n  tls: {enabled: true}\n  sasl: {mechanism: SCRAM-SHA-256, username: svc}\n"), 0o600)
	t.Setenv("SAFEHARBOR_KAFKA_SASL_PASSWORD", "s3cr3t-value")
	var out, errb bytes.Buffer
	if code := dispatch([]string{"config", "check", "-no-files", f}, nil, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.Contains(out.String(), "s3cr3t-value") || !strings.Contains(out.String(), "<redacted>") {
		t.Fatalf("secret not redacted:\n%s", out.String())
	}
	os.WriteFile(f, []byte("kafka:\n  group: \"\"\n  bogus: 1\n"), 0o600)
	out.Reset()
	errb.Reset()
	if code := dispatch([]string{"config", "check", f}, nil, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "bogus") {
		t.Fatalf("unknown key: exit %d: %s", code, errb.String())
	}
	os.WriteFile(f, []byte("kafka:\n  group: \"\"\npipeline: {start_from: middle}\n"), 0o600)
	errb.Reset()
	if code := dispatch([]string{"config", "check", "-no-files", f}, nil, &out, &errb); code != exitUsage ||
		!strings.Contains(errb.String(), "kafka.group") || !strings.Contains(errb.String(), "start_from") {
		t.Fatalf("invalid values: exit %d: %s", code, errb.String())
	}
}
