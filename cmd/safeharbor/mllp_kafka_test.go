package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/safeharbor/safeharbor/hl7"
)

// selfSigned returns a server TLS config for 127.0.0.1 and its CA PEM.
func selfSigned(t *testing.T) (*tls.Config, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kafka-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// startMLLP runs the mllp command with args and returns its address (or the
// exit code if it stopped first) and a stop function.
func startMLLP(t *testing.T, args ...string) (string, int, *syncBuf, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuf
	done := make(chan int, 1)
	go func() {
		done <- runMLLP(ctx, append([]string{"--listen", "127.0.0.1:0", "--topic", "raw", "--produce-timeout", "3s"}, args...), &out, &errb)
	}()
	re := regexp.MustCompile(`on (127\.0\.0\.1:\d+) `)
	for range 500 {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1], 0, &errb, func() { cancel(); <-done }
		}
		select {
		case code := <-done:
			cancel()
			return "", code, &errb, func() {}
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("mllp did not start: %s", errb.String())
	return "", 0, nil, nil
}

func sendOne(t *testing.T, addr string) string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	if err := hl7.WriteMLLP(nc, []byte("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|K1|P|2.5.1\rPID|1||X1\r")); err != nil {
		t.Fatal(err)
	}
	b, err := hl7.NewMLLPReader(nc, 0).ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := hl7.Parse(b)
	code, _ := m.Get("MSA-1")
	return code
}

// `mllp` speaks TLS and SASL to Kafka with the run configuration's kafka
// section: a broker that requires both acknowledges (AA); without the
// credentials it does not (AE), and a world-readable password file is refused.
func TestMLLPKafkaTLSAndSASL(t *testing.T) {
	srvTLS, caPEM := selfSigned(t)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "raw"), kfake.TLS(srvTLS),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "svc", "correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	dir := t.TempDir()
	ca := writeFile0600(t, filepath.Join(dir, "ca.pem"), string(caPEM))
	pw := writeFile0600(t, filepath.Join(dir, "pw"), "correct horse\n")
	mk := func(name, sasl string) string {
		return writeFile0600(t, filepath.Join(dir, name), "kafka:\n  brokers: ["+cluster.ListenAddrs()[0]+"]\n  tls:\n    enabled: true\n    ca_file: "+ca+"\n"+sasl)
	}
	good := mk("good.yaml", "  sasl: {mechanism: SCRAM-SHA-256, username: svc, password_file: "+pw+"}\n")
	addr, code, errb, stop := startMLLP(t, "--config", good)
	if addr == "" {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if got := sendOne(t, addr); got != "AA" {
		t.Fatalf("TLS+SASL: %s\n%s", got, errb.String())
	}
	stop()
	if strings.Contains(errb.String(), "correct horse") {
		t.Fatal("password logged")
	}

	// No SASL: the broker refuses, the sender gets AE (nothing ACKed unstored).
	addr, _, errb, stop = startMLLP(t, "--config", mk("nosasl.yaml", ""))
	if got := sendOne(t, addr); got != "AE" {
		t.Fatalf("without SASL: %s\n%s", got, errb.String())
	}
	stop()

	// A password file others can read is refused before anything starts.
	os.Chmod(pw, 0o644)
	if _, code, errb, _ := startMLLP(t, "--config", good); code != exitUsage || !strings.Contains(errb.String(), "chmod 600") {
		t.Fatalf("0644 password file: exit %d %s", code, errb.String())
	}
}

// The MLLP server's TLS private key is a secret file: readable by others, refused.
func TestMLLPTLSKeyPermissions(t *testing.T) {
	dir := t.TempDir()
	key := writeFile0600(t, filepath.Join(dir, "server.key"), "-----BEGIN EC PRIVATE KEY-----\nnot really\n-----END EC PRIVATE KEY-----\n")
	cert := writeFile0600(t, filepath.Join(dir, "server.pem"), "x")
	os.Chmod(key, 0o644)
	if _, code, errb, _ := startMLLP(t, "--tls-cert", cert, "--tls-key", key); code != exitUsage || !strings.Contains(errb.String(), "chmod 600") || strings.Contains(errb.String(), "not really") {
		t.Fatalf("0644 TLS key: exit %d %s", code, errb.String())
	}
}
