package access

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"filippo.io/age"
)

// ExtractionConfig names who may receive extracted PHI (re-identified
// records written to a file) and the key that signs extracts. Only recipients
// listed here can be chosen: a caller cannot encrypt PHI to a key of their own.
//
//	extraction:
//	  recipients:                       # name -> age X25519 recipient
//	    irb-office: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
//	  signing_key_file: /etc/safeharbor/extract-signing.key   # ed25519 seed, 32 bytes hex, 0600
type ExtractionConfig struct {
	Recipients     map[string]string `yaml:"recipients"`
	SigningKeyFile string            `yaml:"signing_key_file"`
	// RequireEncryption refuses plaintext output (reidentify to stdout):
	// every re-identification must be an encrypted, signed extract.
	RequireEncryption bool `yaml:"require_encryption"`
}

// ExtractSignatureVersion heads every signature file.
const ExtractSignatureVersion = "safeharbor-extract-signature v1"

// signedMessage is what the ed25519 signature covers: a domain string, the
// recipient's name and the whole ciphertext.
func signedMessage(recipient string, ciphertext []byte) []byte {
	m := make([]byte, 0, len(ciphertext)+64)
	m = append(m, "safeharbor-extract-v1\x00"...)
	m = append(m, recipient...)
	m = append(m, 0)
	return append(m, ciphertext...)
}

// Extract is a sealed extract: the age ciphertext and its detached signature.
type Extract struct {
	Recipient  string
	Ciphertext []byte
	// Signature is the signature file's content (see VerifyExtract).
	Signature []byte
	// KeyID is the signer's ed25519 public key, hex.
	KeyID string
}

// RecipientNames lists the configured recipients, sorted.
func (c *Config) RecipientNames() []string {
	out := make([]string, 0, len(c.Extraction.Recipients))
	for n := range c.Extraction.Recipients {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (c *Config) signingKey() (ed25519.PrivateKey, error) {
	if c.Extraction.SigningKeyFile == "" {
		return nil, errors.New("extraction.signing_key_file: not configured (extracts are always signed)")
	}
	if c.path != "" {
		if err := c.trust.CheckTrusted(c.Extraction.SigningKeyFile); err != nil {
			return nil, fmt.Errorf("extraction.signing_key_file: %w", err)
		}
	}
	s, err := ReadSecretFile("extraction.signing_key_file", c.Extraction.SigningKeyFile)
	if err != nil {
		return nil, err
	}
	seed, err := hex.DecodeString(s)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("extraction.signing_key_file: want 32 bytes (64 hex digits) of ed25519 seed")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// Seal encrypts plaintext to the named recipient with age (X25519) and signs
// the ciphertext with the extraction signing key (ed25519).
func (c *Config) Seal(recipient string, plaintext []byte) (*Extract, error) {
	pub, ok := c.Extraction.Recipients[recipient]
	if !ok {
		return nil, fmt.Errorf("recipient %q is not in the access configuration (extraction.recipients: %s)", recipient, strings.Join(c.RecipientNames(), ", "))
	}
	r, err := age.ParseX25519Recipient(pub)
	if err != nil {
		return nil, fmt.Errorf("extraction.recipients.%s: not an age X25519 recipient", recipient)
	}
	priv, err := c.signingKey()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	ct := buf.Bytes()
	sig := ed25519.Sign(priv, signedMessage(recipient, ct))
	pk := priv.Public().(ed25519.PublicKey)
	sf := fmt.Sprintf("%s\nrecipient: %s\npublic-key: %s\nsignature: %s\n", ExtractSignatureVersion, recipient,
		base64.StdEncoding.EncodeToString(pk), base64.StdEncoding.EncodeToString(sig))
	return &Extract{Recipient: recipient, Ciphertext: ct, Signature: []byte(sf), KeyID: hex.EncodeToString(pk)}, nil
}

// VerifyExtract checks a signature file against the ciphertext and the
// expected signer public key and returns the recipient it names.
func VerifyExtract(signer ed25519.PublicKey, ciphertext, sigFile []byte) (string, error) {
	lines := strings.Split(strings.TrimSpace(string(sigFile)), "\n")
	if len(lines) != 4 || lines[0] != ExtractSignatureVersion {
		return "", errors.New("extract: not a safeharbor extract signature")
	}
	field := func(l, name string) (string, bool) { return strings.CutPrefix(l, name+": ") }
	rcpt, ok1 := field(lines[1], "recipient")
	pkb, ok2 := field(lines[2], "public-key")
	sigb, ok3 := field(lines[3], "signature")
	if !ok1 || !ok2 || !ok3 {
		return "", errors.New("extract: malformed signature file")
	}
	pk, err := base64.StdEncoding.DecodeString(pkb)
	if err != nil || !bytes.Equal(pk, signer) {
		return "", errors.New("extract: signed by another key")
	}
	sig, err := base64.StdEncoding.DecodeString(sigb)
	if err != nil || !ed25519.Verify(signer, signedMessage(rcpt, ciphertext), sig) {
		return "", errors.New("extract: signature does not verify")
	}
	return rcpt, nil
}

// CreateExclusive creates path for writing (mode 0600) only if nothing exists
// there: an existing file is not truncated and a symbolic link is not
// followed.
func CreateExclusive(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
}

// WriteExclusive writes data to a new file at path (CreateExclusive) and syncs it.
func WriteExclusive(path string, data []byte) error {
	f, err := CreateExclusive(path)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// Seal encrypts and signs an extract for the named recipient (Config.Seal).
func (g *Guard) Seal(recipient string, plaintext []byte) (*Extract, error) {
	return g.cfg.Seal(recipient, plaintext)
}

// RequireEncryption reports whether plaintext output is refused.
func (g *Guard) RequireEncryption() bool { return g.cfg.Extraction.RequireEncryption }

// CheckRecipient reports whether name is a configured extraction recipient
// and the signing key is usable, before any PHI is read.
func (g *Guard) CheckRecipient(name string) error {
	if _, ok := g.cfg.Extraction.Recipients[name]; !ok {
		return fmt.Errorf("recipient %q is not in the access configuration (extraction.recipients: %s)", name, strings.Join(g.cfg.RecipientNames(), ", "))
	}
	_, err := g.cfg.signingKey()
	return err
}
