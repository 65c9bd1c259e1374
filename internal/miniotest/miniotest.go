package miniotest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Environment variables read by this package.
const (
	// EnvBin names the MinIO server binary.
	EnvBin = "SAFEHARBOR_MINIO_BIN"
	// EnvRequire, when "1", turns a missing binary into a test failure instead of a skip.
	EnvRequire = "SAFEHARBOR_REQUIRE_MINIO"
)

// Server is a running MinIO server on 127.0.0.1 with TLS and SSE-S3 (static KMS key).
type Server struct {
	// Endpoint is "127.0.0.1:port" (HTTPS).
	Endpoint string
	// AccessKey and SecretKey are the random root credentials.
	AccessKey, SecretKey string
	// CAFile is the PEM file of the throwaway CA that signed the server certificate.
	CAFile string
	// CertPool trusts only that CA.
	CertPool *x509.CertPool
	// DataDir is the server's data directory (walk it to inspect what reached the disk).
	DataDir string

	bin      string
	base     string // temp root holding data, certs, home and the log
	certsDir string
	console  string
	kmsKey   string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	seq  int
}

// Binary finds the MinIO server binary: $SAFEHARBOR_MINIO_BIN, else $(go env GOPATH)/bin/minio.
func Binary() (string, error) {
	if p := os.Getenv(EnvBin); p != "" {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			return "", fmt.Errorf("miniotest: %s=%s: not a file", EnvBin, p)
		}
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	if gopath == "" {
		if h, err := os.UserHomeDir(); err == nil {
			gopath = filepath.Join(h, "go")
		}
	}
	for _, g := range filepath.SplitList(gopath) {
		p := filepath.Join(g, "bin", "minio")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("miniotest: minio server binary not found (set " + EnvBin + " or run make minio)")
}

func requireOrSkip(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv(EnvRequire) == "1" {
		tb.Fatalf("MinIO required (%s=1) but unavailable: %v", EnvRequire, err)
	}
	tb.Skip("minio not installed: run make minio")
}

// Start starts a fresh server for one test; it is stopped and its files removed in Cleanup.
// Without a binary it skips the test, or fails it when SAFEHARBOR_REQUIRE_MINIO=1.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		requireOrSkip(tb, err)
	}
	s, err := start(bin)
	if err != nil {
		tb.Fatalf("miniotest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

var shared struct {
	mu  sync.Mutex
	srv *Server
	err error
	bin error
}

// Shared returns the package-wide server, starting it on first use. Pair it with Main in
// TestMain so it is stopped when the tests end:
//
//	func TestMain(m *testing.M) { os.Exit(miniotest.Main(m)) }
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		return shared.srv
	}
	if shared.bin != nil {
		requireOrSkip(tb, shared.bin)
	}
	if shared.err != nil {
		tb.Fatalf("miniotest: shared server failed to start: %v", shared.err)
	}
	bin, err := Binary()
	if err != nil {
		shared.bin = err
		requireOrSkip(tb, err)
	}
	shared.srv, shared.err = start(bin)
	if shared.err != nil {
		tb.Fatalf("miniotest: %v", shared.err)
	}
	return shared.srv
}

// Main runs the tests and then stops the shared server, if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	if shared.srv != nil {
		shared.srv.Close()
		shared.srv = nil
	}
	shared.mu.Unlock()
	return code
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(bin string) (*Server, error) {
	base, err := os.MkdirTemp("", "miniotest-")
	if err != nil {
		return nil, err
	}
	s := &Server{
		bin:       bin,
		base:      base,
		DataDir:   filepath.Join(base, "data"),
		certsDir:  filepath.Join(base, "certs"),
		AccessKey: "ak" + randHex(8),
		SecretKey: randHex(20),
	}
	kb := make([]byte, 32)
	_, _ = rand.Read(kb)
	s.kmsKey = "miniotest-key:" + base64.StdEncoding.EncodeToString(kb)
	for _, d := range []string{s.DataDir, filepath.Join(s.certsDir, "CAs"), filepath.Join(base, "home")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			os.RemoveAll(base)
			return nil, err
		}
	}
	if err := s.writeCerts(); err != nil {
		os.RemoveAll(base)
		return nil, err
	}
	var lastErr error
	for range 3 { // a picked port can be taken before the server binds it
		p, err1 := freePort()
		q, err2 := freePort()
		if err := errors.Join(err1, err2); err != nil {
			os.RemoveAll(base)
			return nil, err
		}
		s.Endpoint = "127.0.0.1:" + strconv.Itoa(p)
		s.console = "127.0.0.1:" + strconv.Itoa(q)
		if lastErr = s.launch(); lastErr == nil {
			return s, nil
		}
	}
	os.RemoveAll(base)
	return nil, lastErr
}

func (s *Server) writeCerts() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "safeharbor miniotest CA " + randHex(4)},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		return err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	s.CAFile = filepath.Join(s.certsDir, "CAs", "ca.crt")
	files := map[string][]byte{
		s.CAFile:                                 caPEM,
		filepath.Join(s.certsDir, "public.crt"):  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		filepath.Join(s.certsDir, "private.key"): pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
	for p, b := range files {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return err
		}
	}
	s.CertPool = x509.NewCertPool()
	s.CertPool.AddCert(caCert)
	return nil
}

func (s *Server) logPath() string { return filepath.Join(s.base, "minio.log") }

// launch starts the process and waits until /minio/health/live answers over TLS.
func (s *Server) launch() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logf, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	s.seq++
	fmt.Fprintf(logf, "=== miniotest launch %d on %s\n", s.seq, s.Endpoint)
	cmd := exec.Command(s.bin, "server", s.DataDir,
		"--address", s.Endpoint, "--console-address", s.console,
		"--certs-dir", s.certsDir, "--quiet")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(s.base, "home"),
		"MINIO_ROOT_USER=" + s.AccessKey,
		"MINIO_ROOT_PASSWORD=" + s.SecretKey,
		"MINIO_KMS_SECRET_KEY=" + s.kmsKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	s.cmd, s.done = cmd, done

	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: s.CertPool, MinVersion: tls.VersionTLS12},
	}}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			s.cmd = nil
			return fmt.Errorf("minio exited during startup; log tail:\n%s", s.logTail())
		default:
		}
		resp, err := hc.Get("https://" + s.Endpoint + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stopLocked()
	return fmt.Errorf("minio did not become live on %s within 90s; log tail:\n%s", s.Endpoint, s.logTail())
}

// logTail returns the end of the server log with any credential lines removed.
func (s *Server) logTail() string {
	f, err := os.Open(s.logPath())
	if err != nil {
		return "(no log)"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		low := strings.ToLower(l)
		if strings.Contains(low, "rootuser") || strings.Contains(low, "rootpass") || strings.Contains(low, "secret") ||
			strings.Contains(l, s.AccessKey) || strings.Contains(l, s.SecretKey) {
			l = "(line with credentials removed)"
		}
		lines = append(lines, l)
	}
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// Stop stops the server (SIGTERM, then SIGKILL after 10s), keeping its data for Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Restart stops the server if it runs and starts it again on the same port and data.
func (s *Server) Restart() error {
	s.Stop()
	var err error
	for range 20 { // the port may linger briefly after the old process exits
		if err = s.launch(); err == nil {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return err
}

// Close stops the server and removes its files.
func (s *Server) Close() {
	s.Stop()
	_ = os.RemoveAll(s.base)
}

// Client returns a minio-go client that trusts the test CA.
func (s *Server) Client(tb testing.TB) *minio.Client {
	tb.Helper()
	cl, err := s.client()
	if err != nil {
		tb.Fatalf("miniotest: client: %v", err)
	}
	return cl
}

func (s *Server) client() (*minio.Client, error) {
	tr, err := minio.DefaultTransport(true)
	if err != nil {
		return nil, err
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: s.CertPool, MinVersion: tls.VersionTLS12}
	return minio.New(s.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure:    true,
		Transport: tr,
	})
}

// NewBucket creates a bucket with a random name (with object lock if asked) and returns it.
func (s *Server) NewBucket(tb testing.TB, objectLock bool) string {
	tb.Helper()
	cl := s.Client(tb)
	name := "t-" + randHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.MakeBucket(ctx, name, minio.MakeBucketOptions{ObjectLocking: objectLock}); err != nil {
		tb.Fatalf("miniotest: make bucket: %v", err)
	}
	return name
}
