package reliability

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/internal/miniotest"
)

// TestKeyFilesRefused: world-readable key files are refused by run, deid and
// vault (exit 2, the message names the file setting, never key material);
// run without key files fails with exit 2; there is no default key.
func TestKeyFilesRefused(t *testing.T) {
	dir := t.TempDir()
	k := newKeys(t, dir)
	loose := keys{deidKey: filepath.Join(dir, "loose-deid.key"), keyring: filepath.Join(dir, "loose.keyring")}
	for _, c := range [][2]string{{k.deidKey, loose.deidKey}, {k.keyring, loose.keyring}} {
		data, _ := os.ReadFile(c[0])
		if err := os.WriteFile(c[1], data, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(c[1], 0o644)
	}
	nCfg := 0
	cfg := func(dk, kr string) string {
		nCfg++
		return runConfig{brokers: []string{"127.0.0.1:1"}, group: "g", k: keys{deidKey: dk, keyring: kr},
			vaultDir: filepath.Join(dir, "v"), anaDir: filepath.Join(dir, "a"), logLevel: "debug"}.write(t, filepath.Join(dir, "c"+strconv.Itoa(nCfg)+".yaml"))
	}
	// The vault commands take the policy, audit trail and key from the access
	// configuration (owned by the running account, named as the service account).
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	write0600(t, filepath.Join(dir, "audit.key"), []byte(strings.Repeat("ab", 32)))
	write0600(t, filepath.Join(dir, "policy.yaml"), []byte("version: 1\nusers: ["+me.Username+"]\nallow:\n  erase: ["+me.Username+"]\n"))
	accessCfg := write0600(t, filepath.Join(dir, "access.yaml"), []byte("service_account: "+me.Username+
		"\npolicy: policy.yaml\naudit:\n  log: audit.jsonl\n  key_file: audit.key\nanchor:\n  dir: anchors\n"))
	hl7 := synthTraffic(1, 1, 0).msgs[0].Value
	cases := []struct {
		name, want string
		args       []string
		stdin      []byte
	}{
		{"run world-readable deid key", "group or others", []string{"run", "--config", cfg(loose.deidKey, k.keyring)}, nil},
		{"run world-readable keyring", "group or others", []string{"run", "--config", cfg(k.deidKey, loose.keyring)}, nil},
		{"run missing key files", "deid_key_file", []string{"run", "--config", cfg(filepath.Join(dir, "none.key"), filepath.Join(dir, "none.keyring"))}, nil},
		{"deid world-readable key", "group or others", []string{"deid", "--key-file", loose.deidKey, "-"}, hl7},
		{"deid without key", "key", []string{"deid", "-"}, hl7},
		{"vault erase world-readable keyring", "group or others", []string{"vault", "erase", "--vault-dir", filepath.Join(dir, "v"), "--keyring", loose.keyring,
			"--pseudonym", "p1", "--reason", "test"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := runCmd(t, []string{"SAFEHARBOR_KEY_FILE=", "SAFEHARBOR_ACCESS_CONFIG=" + accessCfg}, c.stdin, c.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2:\n%s", code, tail(out, 2000))
			}
			if !strings.Contains(strings.ToLower(out), c.want) {
				t.Fatalf("message does not name %q:\n%s", c.want, tail(out, 2000))
			}
			t.Logf("exit 2: %s", strings.TrimSpace(tail(out, 300)))
			for _, s := range k.secrets {
				if strings.Contains(out, s) {
					t.Fatal("output contains key material")
				}
			}
		})
	}
	// No default key: run with the embedded defaults in an empty directory.
	empty := t.TempDir()
	ctxCode, out := runInDir(t, empty, "run")
	if ctxCode != 2 || !strings.Contains(out, "deid_key_file") {
		t.Fatalf("run with defaults and no key files: exit %d, want 2 naming keys.deid_key_file:\n%s", ctxCode, tail(out, 2000))
	}
}

// runInDir runs the binary in dir with a clean SAFEHARBOR_* environment.
func runInDir(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	old, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(old)
	return runCmd(t, nil, nil, args...)
}

// wrongCA writes a throwaway CA certificate that signed nothing.
func wrongCA(t *testing.T, path string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "wrong CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return write0600(t, path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestTLSVerifiedByDefault: `safeharbor run` with the vault on a real MinIO
// (TLS) refuses a server its CA file does not vouch for, and also with no CA
// file (system roots); with the right CA, config check passes and prints no
// secret. Secrets from the environment are redacted.
func TestTLSVerifiedByDefault(t *testing.T) {
	srv := miniotest.Start(t)
	dir := t.TempDir()
	k := newKeys(t, dir)
	bucket := srv.NewBucket(t, false)
	ak := write0600(t, filepath.Join(dir, "ak"), []byte(srv.AccessKey+"\n"))
	sk := write0600(t, filepath.Join(dir, "sk"), []byte(srv.SecretKey+"\n"))
	bad := wrongCA(t, filepath.Join(dir, "wrong-ca.pem"))
	conf := func(name, ca string) string {
		s3 := "  s3:\n    endpoint: " + srv.Endpoint + "\n    bucket: " + bucket + "\n    access_key_file: " + ak + "\n    secret_key_file: " + sk + "\n"
		if ca != "" {
			s3 += "    ca_file: " + ca + "\n"
		}
		return runConfig{brokers: []string{"127.0.0.1:1"}, group: "g", k: k, vaultS3: s3,
			anaDir: filepath.Join(dir, "a"), logLevel: "debug"}.write(t, filepath.Join(dir, name))
	}
	secrets := append([]string{srv.SecretKey}, k.secrets...)
	for _, c := range []struct{ name, ca string }{{"wrong CA", bad}, {"system roots", ""}} {
		t.Run(c.name, func(t *testing.T) {
			code, out := runCmd(t, nil, nil, "run", "--config", conf("tls.yaml", c.ca))
			if code != 2 || !strings.Contains(out, "vault.s3") || !strings.Contains(strings.ToLower(out), "certificate") {
				t.Fatalf("exit %d, want 2 with a certificate error naming vault.s3:\n%s", code, tail(out, 2000))
			}
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Fatal("output contains a secret")
				}
			}
		})
	}
	// config check with the right CA and secrets from files and the environment.
	envSecret := "env-secret-Xq81zzPLANT"
	code, out := runCmd(t, []string{"SAFEHARBOR_ANALYTICS_S3_SECRET_KEY=" + envSecret}, nil, "config", "check", conf("ok.yaml", srv.CAFile))
	if code != 0 {
		t.Fatalf("config check: exit %d\n%s", code, out)
	}
	for _, s := range append(secrets, envSecret) {
		if strings.Contains(out, s) {
			t.Fatalf("config check printed a secret:\n%s", out)
		}
	}
	if !strings.Contains(out, "<redacted>") {
		t.Fatalf("config check does not show the environment secret as <redacted>:\n%s", out)
	}
}
