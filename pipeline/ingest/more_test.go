package ingest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/hl7"
)

// fakePHI are the distinctive values phiMessage and the log test send.
var fakePHI = []string{"MRNQZX778", "ZQXWVUTSNAME", "QQGIVENZQ", "19450317", "QZVQ STREET", "QQCITYZQ",
	"555-0199", "qqzz.mail", "ACCTQZ9911", "999-88-7766", "NOTHL7SECRETZQ", "BIGNOTEZQ"}

func assertNoPHI(t *testing.T, logs string) {
	t.Helper()
	if logs == "" {
		t.Fatal("no logs captured")
	}
	for _, v := range fakePHI {
		if strings.Contains(logs, v) {
			t.Fatalf("logs contain the sent value %q", v)
		}
	}
}

// TestLogsCarryNoPHI drives every path (AA, AR non-HL7, AR oversized, AR bad
// frame, junk, AE, idle close) with distinctive fake PHI and checks the logs.
func TestLogsCarryNoPHI(t *testing.T) {
	cluster, broker := startBroker(t, EmbeddedConfig{})
	var logs logBuffer
	st := startServer(t, broker, Config{Logger: newLogger(&logs), MaxMessageSize: 2048, ProduceTimeout: 2 * time.Second})
	c := dial(t, st.addr)
	if a, err := c.send(phiMessage("CTLZQ1", "MRNQZX778")); err != nil || a.code != "AA" {
		t.Fatalf("%+v %v", a, err)
	}
	if a, err := c.send([]byte("NOTHL7SECRETZQ ZQXWVUTSNAME 999-88-7766")); err != nil || a.code != "AR" {
		t.Fatalf("%+v %v", a, err)
	}
	big := append(phiMessage("CTLZQ2", "MRNQZX778"), bytes.Repeat([]byte("NTE|1||BIGNOTEZQ ZQXWVUTSNAME\r"), 200)...)
	if a, err := c.send(big); err != nil || a.code != "AR" {
		t.Fatalf("%+v %v", a, err)
	}
	if err := c.sendRaw([]byte("ZQXWVUTSNAME junk outside frames\r")); err != nil {
		t.Fatal(err)
	}
	if err := c.sendRaw(hl7.AppendMLLP(nil, []byte("MSH|^~\\&|A|B|C|D|2024||ADT^A01|X|P|2.5\rPID|1||MRNQZX778\x0b\r"))); err != nil {
		t.Fatal(err)
	}
	if a, err := c.readAck(); err != nil || a.code != "AR" {
		t.Fatalf("%+v %v", a, err)
	}
	cluster.Close()
	if a, err := c.send(phiMessage("CTLZQ3", "MRNQZX778")); err != nil || a.code != "AE" {
		t.Fatalf("%+v %v", a, err)
	}
	// a connection that ends inside a frame
	c2 := dial(t, st.addr)
	_ = c2.sendRaw([]byte("\x0bMSH|^~\\&|QQGIVENZQ"))
	c2.nc.Close()
	for i := 0; i < 200 && !strings.Contains(logs.String(), "inside a frame"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	st.stop(t)
	out := logs.String()
	assertNoPHI(t, out)
	for _, want := range []string{"conn=", "remote=", "msg=", "error_class="} {
		if !strings.Contains(out, want) {
			t.Fatalf("logs lack %q", want)
		}
	}
	t.Logf("%d log lines, none with a sent value:\n%s", strings.Count(out, "\n"), out)
}

// TestTLS: a client trusting the test CA gets AA over TLS; a client with
// another CA, a plain-TCP client and a TLS 1.1 client are refused.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	caCert, caKey := makeCA(t, "safeharbor test CA")
	certFile, keyFile := filepath.Join(dir, "srv.pem"), filepath.Join(dir, "srv.key")
	makeLeaf(t, caCert, caKey, certFile, keyFile)
	tcfg, err := LoadTLSConfig(certFile, keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	p := &memProducer{}
	srv, addr := startMemServer(t, Config{TLS: tcfg}, p)

	good := x509.NewCertPool()
	good.AddCert(caCert)
	c, err := dialTLS(addr, &tls.Config{RootCAs: good})
	if err != nil {
		t.Fatalf("trusted client: %v", err)
	}
	defer c.nc.Close()
	if a, err := c.send(phiMessage("T1", "MRN1")); err != nil || a.code != "AA" {
		t.Fatalf("over TLS: %+v %v", a, err)
	}

	otherCA, _ := makeCA(t, "other CA")
	bad := x509.NewCertPool()
	bad.AddCert(otherCA)
	if c, err := dialTLS(addr, &tls.Config{RootCAs: bad}); err == nil {
		c.nc.Close()
		t.Fatal("client with the wrong CA connected")
	} else if !strings.Contains(err.Error(), "unknown authority") {
		t.Fatalf("wrong CA: unexpected error %v", err)
	}
	if c, err := dialTLS(addr, &tls.Config{RootCAs: good, MaxVersion: tls.VersionTLS11}); err == nil {
		c.nc.Close()
		t.Fatal("TLS 1.1 client connected")
	}
	plain := dial(t, addr)
	if _, err := plain.send(phiMessage("T2", "MRN1")); err == nil {
		t.Fatal("plain-TCP client got an ACK from a TLS server")
	}
	p.mu.Lock()
	n := len(p.recs)
	p.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d records, want 1", n)
	}
	if s := srv.Metrics().Snapshot(); s.TLSFailures < 2 {
		t.Fatalf("TLS failures %d", s.TLSFailures)
	}
	// mutual TLS: the CA file requires a client certificate
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	mcfg, err := LoadTLSConfig(certFile, keyFile, caFile)
	if err != nil {
		t.Fatal(err)
	}
	_, maddr := startMemServer(t, Config{TLS: mcfg}, &memProducer{})
	if c, err := dialTLS(maddr, &tls.Config{RootCAs: good}); err == nil {
		_, err = c.send(phiMessage("T3", "MRN1"))
		c.nc.Close()
		if err == nil {
			t.Fatal("mTLS server served a client without a certificate")
		}
	}
	if _, err := LoadTLSConfig(filepath.Join(dir, "missing.pem"), keyFile, ""); err == nil {
		t.Fatal("missing cert file accepted")
	}
}

func makeCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

func makeLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
}

// memConn is an in-memory net.Conn: reads come from in, writes go to out.
type memConn struct {
	in  io.Reader
	out bytes.Buffer
}

func (c *memConn) Read(p []byte) (int, error)       { return c.in.Read(p) }
func (c *memConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *memConn) Close() error                     { return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzIngestFrame: arbitrary bytes on a connection never crash the server;
// every answer is a well-formed ACK frame and there is at most one per frame.
func FuzzIngestFrame(f *testing.F) {
	f.Add(hl7.AppendMLLP(nil, phiMessage("F1", "MRN1")))
	f.Add([]byte("junk\x0bMSH|^~\\&|A\x1c\r\x0b\x0b\x1c"))
	f.Add(hl7.AppendMLLP(hl7.AppendMLLP(nil, []byte("MSH|^~\\&|A|B|C|D|2024||ADT^A01|X|P|2.5|||NE|NE\r")), []byte("not hl7")))
	f.Add([]byte("\x0bMSH|^~\\&|A|B"))
	f.Add(hl7.AppendMLLP(nil, bytes.Repeat([]byte("MSH|"), 300)))
	for _, m := range corpusMessages(f) {
		f.Add(hl7.AppendMLLP(nil, m))
		break
	}
	p := &memProducer{}
	srv, err := NewServer(Config{MaxMessageSize: 512}, p)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p.mu.Lock()
		p.fail = len(data)%3 == 0 // exercise AE too
		p.recs = p.recs[:0]       // keep memory flat over long runs
		p.mu.Unlock()
		c := &memConn{in: bytes.NewReader(data)}
		srv.ServeConn(c)
		r := hl7.NewMLLPReader(&c.out, 0)
		acks := 0
		for {
			b, err := r.ReadMessage()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("server wrote a bad frame: %v", err)
			}
			m, err := hl7.Parse(b)
			if err != nil {
				t.Fatalf("server wrote an unparseable ACK: %v", err)
			}
			if code, _ := m.Get("MSA-1"); code == "" {
				t.Fatal("ACK without MSA-1")
			}
			acks++
		}
		if frames := bytes.Count(data, []byte{0x1c}); acks > frames {
			t.Fatalf("%d ACKs for at most %d frames", acks, frames)
		}
	})
}

// BenchmarkMLLPIngest measures messages per second through MLLP, the Kafka
// writer (acks=all) and the embedded kfake broker, with AA (CA for enhanced-
// mode corpus messages) back to the client; each connection waits for its
// ACK before sending the next message, as MLLP senders do.
func BenchmarkMLLPIngest(b *testing.B) {
	for _, conns := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			cluster, broker := startBroker(b, EmbeddedConfig{})
			defer cluster.Close()
			st := startServer(b, broker, Config{})
			msgs := testMessages(b, 64)
			clients := make([]*client, conns)
			for i := range clients {
				clients[i] = dial(b, st.addr)
			}
			var next sync.Mutex
			n := 0
			bytesSent := 0
			for _, m := range msgs {
				bytesSent += len(m)
			}
			b.SetBytes(int64(bytesSent / len(msgs)))
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for ci := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						next.Lock()
						i := n
						n++
						next.Unlock()
						if i >= b.N {
							return
						}
						a, err := clients[ci].send(msgs[i%len(msgs)])
						if err != nil || (a.code != "AA" && a.code != "CA") {
							b.Errorf("ack %+v %v", a, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
		})
	}
}
