package main

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/hl7"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMLLPCommand runs the subcommand with its embedded broker, sends a
// message, gets AA, and stops it as a signal would.
func TestMLLPCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuf
	done := make(chan int, 1)
	go func() { done <- runMLLP(ctx, []string{"--listen", "127.0.0.1:0", "--topic", "raw"}, &out, &errb) }()
	re := regexp.MustCompile(`on (127\.0\.0\.1:\d+) `)
	var addr string
	for i := 0; i < 500 && addr == ""; i++ {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	if addr == "" {
		cancel()
		t.Fatalf("no listen address; stdout %q stderr %q", out.String(), errb.String())
	}
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	msg := []byte("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|CMD1|P|2.5.1\rPID|1||X1\r")
	if err := hl7.WriteMLLP(nc, msg); err != nil {
		t.Fatal(err)
	}
	b, err := hl7.NewMLLPReader(nc, 0).ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := hl7.Parse(b)
	if code, _ := a.Get("MSA-1"); code != "AA" {
		t.Fatalf("ACK %q", b)
	}
	if app, _ := a.Get("MSH-3"); app != "SAFEHARBOR" {
		t.Fatalf("ACK MSH-3 %q", app)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d; stderr %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("mllp did not stop")
	}
	if !strings.Contains(errb.String(), `"accepted":1`) {
		t.Fatalf("final log lacks the count: %s", errb.String())
	}
}

func TestMLLPCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--topic", "t", "--tls-cert", "x.pem"},
		{"--topic", "t", "--max-conns", "0"},
		{"--topic", "t", "--log-level", "loud"},
		{"--topic", "t", "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"},
		{"--topic", "t", "--key-file", "/nonexistent.key"},
		{"--bogus"},
	} {
		var out, errb bytes.Buffer
		if code := dispatch(append([]string{"mllp"}, args...), nil, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errb.String())
		}
	}
}
