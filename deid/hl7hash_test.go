package deid

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestUpper8: the word-at-a-time ASCII upper-casing agrees with a byte loop.
func TestUpper8(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(x uint64) {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], x)
		for i, c := range b {
			if c >= 'a' && c <= 'z' {
				b[i] = c - 32
			}
		}
		if want := binary.LittleEndian.Uint64(b[:]); upper8(x) != want {
			t.Fatalf("upper8(%#x) = %#x, want %#x", x, upper8(x), want)
		}
	}
	for c := 0; c < 256; c++ {
		check(uint64(c) * 0x0101010101010101)
		check(uint64(c) << 24)
	}
	for i := 0; i < 200000; i++ {
		check(r.Uint64())
	}
}

// TestFoldHash: equal up to ASCII case means equal hashes; the hash sees
// every byte and the length.
func TestFoldHash(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alpha := "aAzZ09 ^&~-_.@\x00\x7f\x80\xe9"
	seen := map[uint64]string{}
	for i := 0; i < 50000; i++ {
		b := make([]byte, r.IntN(24))
		for j := range b {
			b[j] = alpha[r.IntN(len(alpha))]
		}
		s := string(b)
		u := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r - 32
			}
			return r
		}, s)
		if strings.ContainsRune(s, 0xFFFD) || len(u) != len(s) {
			u = asciiUpper(s)
		}
		if foldHash(s) != foldHash(u) || foldHashBytes(b) != foldHash(u) {
			t.Fatalf("%q and %q hash differently", s, u)
		}
		if prev, ok := seen[foldHash(u)]; ok && prev != u {
			t.Fatalf("collision: %q and %q", prev, u)
		}
		seen[foldHash(u)] = u
	}
	if foldHash("ab") == foldHash("ab\x00") || foldHash("") == foldHash("\x00") {
		t.Fatal("trailing NUL bytes do not change the hash")
	}
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// TestEightDigits agrees with a byte loop.
func TestEightDigits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 300000; i++ {
		var b [9]byte
		for j := range b {
			if r.IntN(4) > 0 {
				b[j] = '0' + byte(r.IntN(10))
			} else {
				b[j] = byte(r.IntN(256))
			}
		}
		want := true
		for _, c := range b[:8] {
			want = want && c >= '0' && c <= '9'
		}
		if eightDigits(b[:]) != want {
			t.Fatalf("eightDigits(%q) = %v", b[:8], !want)
		}
	}
}
