package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	nonceSize = 12
	tagSize   = 16
	// wrappedDEKSize is nonce + sealed 32-byte key.
	wrappedDEKSize = nonceSize + KeySize + tagSize
)

// Domain-separation labels for associated data.
const (
	adDEK    = "safeharbor/vault/dek/v1"
	adSegKey = "safeharbor/vault/segkey/v1"
	adIndex  = "safeharbor/vault/index/v1"
	adRecord = "safeharbor/vault/record/v1"
)

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func randomKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("vault: random key: %w", err)
	}
	return k, nil
}

// seal appends nonce||ciphertext to dst.
func seal(aead cipher.AEAD, dst, plain, ad []byte) ([]byte, error) {
	off := len(dst)
	dst = append(dst, make([]byte, nonceSize)...)
	if _, err := rand.Read(dst[off:]); err != nil {
		return nil, fmt.Errorf("vault: random nonce: %w", err)
	}
	return aead.Seal(dst, dst[off:off+nonceSize], plain, ad), nil
}

var errAuth = errors.New("authentication failed")

func open(aead cipher.AEAD, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < nonceSize+tagSize {
		return nil, errAuth
	}
	p, err := aead.Open(nil, sealed[:nonceSize], sealed[nonceSize:], ad)
	if err != nil {
		return nil, errAuth
	}
	return p, nil
}

// ad builds associated data: label, then each part length-prefixed.
func ad(label string, parts ...string) []byte {
	n := len(label) + 1
	for _, p := range parts {
		n += 4 + len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, label...)
	b = append(b, 0)
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

func recordAD(segment string, index int, pseudonym string) []byte {
	var ib [4]byte
	binary.BigEndian.PutUint32(ib[:], uint32(index))
	return ad(adRecord, segment, string(ib[:]), pseudonym)
}

// wrapKey seals a data key under a KEK with (label, kekID, subject) as associated data.
func wrapKey(kek []byte, label, kekID, subject string, dek []byte) ([]byte, error) {
	aead, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	return seal(aead, nil, dek, ad(label, kekID, subject))
}

func unwrapKey(kek []byte, label, kekID, subject string, wrapped []byte) ([]byte, error) {
	if len(wrapped) != wrappedDEKSize {
		return nil, errAuth
	}
	aead, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	return open(aead, wrapped, ad(label, kekID, subject))
}
