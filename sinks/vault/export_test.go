package vault

import (
	"encoding/base64"
	"strings"
)

// ExportKeyringForTest renders a keyring in the text form (tests only).
func ExportKeyringForTest(kr *Keyring) string {
	var b strings.Builder
	for _, id := range kr.ids {
		b.WriteString(id + ":" + base64.StdEncoding.EncodeToString(kr.keys[id]) + "\n")
	}
	return b.String()
}

// SetMaxKeyGensForTest lowers the compaction threshold of key shards (tests only).
func SetMaxKeyGensForTest(n int) func() {
	old := maxKeyGens
	maxKeyGens = n
	return func() { maxKeyGens = old }
}
