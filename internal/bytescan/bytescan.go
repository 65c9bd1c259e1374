// Package bytescan finds delimiter bytes in HL7v2 data eight bytes at a
// time; the hl7 parser and the de-identification engine share it.
package bytescan

import (
	"encoding/binary"
	"math/bits"
)

// AppendIndexes appends to dst the positions of the bytes c in data[from:],
// at most n of them, in order, and returns the extended slice.
func AppendIndexes(dst []int32, data []byte, from int, c byte, n int) []int32 {
	const low7 = 0x7F7F7F7F7F7F7F7F
	pat := 0x0101010101010101 * uint64(c)
	i := from
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:]) ^ pat
		// high bit of each byte of m set exactly where x has a zero byte
		m := ^((x&low7 + low7) | x | low7)
		for m != 0 {
			if n <= 0 {
				return dst
			}
			dst = append(dst, int32(i+bits.TrailingZeros64(m)/8))
			n--
			m &= m - 1
		}
	}
	for ; i < len(data) && n > 0; i++ {
		if data[i] == c {
			dst = append(dst, int32(i))
			n--
		}
	}
	return dst
}
