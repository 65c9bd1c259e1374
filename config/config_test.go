package config

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, mode)
	return path
}

func noEnv(string) string { return "" }

// Secret files (SASL password, S3 keys, TLS private key) readable by group or
// others are refused wherever they are read, and never quoted.
func TestSecretFilePermissionsChecked(t *testing.T) {
	dir := t.TempDir()
	pw := write(t, filepath.Join(dir, "pw"), "sasl-pass-123", 0o644)
	ak := write(t, filepath.Join(dir, "ak"), "ACCESSKEY123", 0o644)
	sk := write(t, filepath.Join(dir, "sk"), "SECRETKEY456", 0o600)
	cfg := write(t, filepath.Join(dir, "c.yaml"), fmt.Sprintf(`kafka:
  brokers: ["k1:9093"]
  tls: {enabled: true}
  sasl: {mechanism: SCRAM-SHA-512, username: svc, password_file: %s}
vault:
  s3: {endpoint: "127.0.0.1:1", bucket: b, access_key_file: %s, secret_key_file: %s}
`, pw, ak, sk), 0o600)
	c, err := Load(cfg, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(c.Validate(true), "\n")
	for _, want := range []string{"kafka.sasl.password_file", "vault.s3.access_key_file"} {
		if !strings.Contains(all, want) || !strings.Contains(all, "chmod 600") {
			t.Errorf("Validate does not refuse %s:\n%s", want, all)
		}
	}
	if strings.Contains(all, "vault.s3.secret_key_file") {
		t.Errorf("0600 secret refused:\n%s", all)
	}
	if _, _, err := c.Kafka.Security(); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("Security with a 0644 password file: %v", err)
	}
	if _, err := c.Vault.Open(context.Background(), "vault"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("Open with a 0644 access key file: %v", err)
	}
	for _, s := range []string{"sasl-pass-123", "ACCESSKEY123", "SECRETKEY456"} {
		if strings.Contains(all, s) {
			t.Fatal("secret quoted")
		}
	}
	os.Chmod(pw, 0o600)
	if _, _, err := c.Kafka.Security(); err != nil {
		t.Fatalf("0600 password file: %v", err)
	}
}

func TestDefaultsAndEnv(t *testing.T) {
	c, err := Load("", func(k string) string {
		return map[string]string{"SAFEHARBOR_KAFKA_SASL_PASSWORD": "pw", "SAFEHARBOR_AUDIT_LOG": "/x/a.jsonl"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Kafka.SASL.Password != "pw" || c.Audit.Log != "/x/a.jsonl" || c.Keys.AuditKeyFile != "var/audit.key" {
		t.Fatalf("%+v", c)
	}
	if strings.Contains(c.Redacted(), "pw\n") || !strings.Contains(c.Redacted(), "<redacted>") {
		t.Fatalf("redacted:\n%s", c.Redacted())
	}
}

// Example: load the embedded defaults plus a file and the environment, then validate.
func ExampleLoad() {
	c, err := Load("", func(string) string { return "" })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Kafka.Topics.HL7, c.Vault.Where(), len(c.Validate(false)))
	// Output: hl7v2.in var/vault 0
}
