package miniotest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestSSES3AndRestart(t *testing.T) {
	s := Shared(t)
	ctx := context.Background()
	cl := s.Client(t)
	b := s.NewBucket(t, false)
	body := []byte("hello sse payload")
	if _, err := cl.PutObject(ctx, b, "x/obj", bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{ServerSideEncryption: encrypt.NewSSE()}); err != nil {
		t.Fatalf("put with SSE-S3: %v", err)
	}
	st, err := cl.StatObject(ctx, b, "x/obj", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Metadata.Get("X-Amz-Server-Side-Encryption"); got != "AES256" {
		t.Fatalf("stat SSE header = %q, want AES256", got)
	}
	// The payload is encrypted at rest: the plaintext is not in any file under DataDir.
	assertNotOnDisk(t, s.DataDir, body)
}

func assertNotOnDisk(t *testing.T, dir string, needle []byte) {
	t.Helper()
	n := 0
	err := walkFiles(dir, func(p string, b []byte) {
		n++
		if bytes.Contains(b, needle) {
			t.Errorf("plaintext found in %s", p)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no files under data dir")
	}
}

func TestOtherCARefused(t *testing.T) {
	s := Shared(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	other, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(other)
	tr, _ := minio.DefaultTransport(true)
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	cl, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Secure: true, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = cl.ListBuckets(ctx)
	if err == nil {
		t.Fatal("client trusting another CA connected")
	}
	if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("want a certificate error, got %v", err)
	}
}

func TestStopRestartKeepsData(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	b := s.NewBucket(t, true)
	cl := s.Client(t)
	if _, err := cl.PutObject(ctx, b, "k", strings.NewReader("v"), 1, minio.PutObjectOptions{ServerSideEncryption: encrypt.NewSSE()}); err != nil {
		t.Fatal(err)
	}
	ep := s.Endpoint
	s.Stop()
	if _, err := cl.StatObject(ctx, b, "k", minio.StatObjectOptions{}); err == nil {
		t.Fatal("stat succeeded while server stopped")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Endpoint != ep {
		t.Fatalf("endpoint changed %s -> %s", ep, s.Endpoint)
	}
	if _, err := cl.StatObject(ctx, b, "k", minio.StatObjectOptions{}); err != nil {
		t.Fatalf("object lost across restart: %v", err)
	}
	en, _, _, _, err := cl.GetObjectLockConfig(ctx, b)
	if err != nil || en != "Enabled" {
		t.Fatalf("object lock: %q %v", en, err)
	}
}
