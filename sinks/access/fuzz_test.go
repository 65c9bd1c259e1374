package access

import (
	"crypto/ed25519"
	"os"
	"testing"
)

// FuzzParseConfig: any bytes give a configuration or an error, never a panic,
// and errors never echo a secret-looking value from the input.
func FuzzParseConfig(f *testing.F) {
	if b, err := os.ReadFile("../../examples/access.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("policy: p\naudit: {log: l, key_file: k}\nanchor: {dir: a}\n"))
	f.Add([]byte("alert: {webhook: 'http://example.org'}\n"))
	f.Add([]byte("anchor: {s3: {endpoint: 'https://x', bucket: b}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("fuzz.yaml", data, "/etc/safeharbor")
		if err == nil && (c.Policy == "" || c.Audit.KeyFile == "") {
			t.Fatal("accepted a configuration without policy or audit key")
		}
	})
}

// FuzzVerifyExtract: malformed signature files are errors, never panics, and
// nothing verifies under a key that did not sign it.
func FuzzVerifyExtract(f *testing.F) {
	pub, _, _ := ed25519.GenerateKey(nil)
	f.Add([]byte("ciphertext"), []byte(ExtractSignatureVersion+"\nrecipient: irb\npublic-key: AAAA\nsignature: AAAA\n"))
	f.Add([]byte{}, []byte(""))
	f.Fuzz(func(t *testing.T, ct, sig []byte) {
		if _, err := VerifyExtract(pub, ct, sig); err == nil {
			t.Fatal("forged signature verified")
		}
	})
}
