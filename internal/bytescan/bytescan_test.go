package bytescan

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAppendIndexes agrees with a byte loop, also when dst is not empty.
func TestAppendIndexes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 20000; i++ {
		b := make([]byte, r.IntN(40))
		for j := range b {
			b[j] = "|^a\x00\xff\x7c\x7d"[r.IntN(7)]
		}
		from, n := r.IntN(len(b)+1), r.IntN(45)
		pre := []int32{-1, -2}[:r.IntN(3)]
		want := slices.Clone(pre)
		for j, k := from, 0; j < len(b) && k < n; j++ {
			if b[j] == '|' {
				want = append(want, int32(j))
				k++
			}
		}
		got := AppendIndexes(slices.Clone(pre), b, from, '|', n)
		if !slices.Equal(got, want) {
			t.Fatalf("%q from %d n %d: %v, want %v", b, from, n, got, want)
		}
	}
}
