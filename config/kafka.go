package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/safeharbor/safeharbor/sinks/access"
)

// KafkaSecurity is how a Kafka client (the pipeline, the MLLP listener)
// protects its connections: TLS and SASL. It is the kafka.tls and kafka.sasl
// sections of the run configuration; `safeharbor mllp --config` reads the
// same sections.
type KafkaSecurity struct {
	TLS struct {
		Enabled            bool   `yaml:"enabled"`
		CAFile             string `yaml:"ca_file"`
		CertFile           string `yaml:"cert_file"`
		KeyFile            string `yaml:"key_file"`
		InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	} `yaml:"tls"`
	SASL struct {
		Mechanism    string `yaml:"mechanism"` // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
		Username     string `yaml:"username"`
		PasswordFile string `yaml:"password_file"`
		// Password comes from SAFEHARBOR_KAFKA_SASL_PASSWORD, never the file.
		Password string `yaml:"-"`
	} `yaml:"sasl"`
}

// Validate returns the problems of the TLS and SASL settings.
func (k *KafkaSecurity) Validate() []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if k.TLS.CertFile != "" && k.TLS.KeyFile == "" || k.TLS.CertFile == "" && k.TLS.KeyFile != "" {
		bad("kafka.tls: cert_file and key_file go together")
	}
	if (k.TLS.CAFile != "" || k.TLS.CertFile != "" || k.TLS.InsecureSkipVerify) && !k.TLS.Enabled {
		bad("kafka.tls: TLS files or options set but kafka.tls.enabled is false")
	}
	switch strings.ToUpper(k.SASL.Mechanism) {
	case "":
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if k.SASL.Username == "" {
			bad("kafka.sasl.username: required with a SASL mechanism")
		}
		if k.SASL.PasswordFile == "" && k.SASL.Password == "" {
			bad("kafka.sasl: set password_file or SAFEHARBOR_KAFKA_SASL_PASSWORD")
		}
		if !k.TLS.Enabled && strings.ToUpper(k.SASL.Mechanism) == "PLAIN" {
			bad("kafka.sasl: PLAIN sends the password in clear; enable kafka.tls")
		}
	default:
		bad("kafka.sasl.mechanism: %q is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASL.Mechanism)
	}
	return errs
}

// TLSConfig returns the client TLS configuration (nil when TLS is off).
// Certificate verification stays on unless insecure_skip_verify is set.
func (k *KafkaSecurity) TLSConfig() (*tls.Config, error) {
	if !k.TLS.Enabled {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: k.TLS.InsecureSkipVerify}
	if k.TLS.CAFile != "" {
		pem, err := os.ReadFile(k.TLS.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka.tls.ca_file: %s holds no PEM certificate", k.TLS.CAFile)
		}
		tc.RootCAs = pool
	}
	if k.TLS.CertFile != "" {
		// The private key is a secret: same permission check as every secret file.
		if _, err := access.ReadSecretFile("kafka.tls.key_file", k.TLS.KeyFile); err != nil {
			return nil, err
		}
		cert, err := tls.LoadX509KeyPair(k.TLS.CertFile, k.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka.tls.cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Mechanism returns the SASL mechanism (nil when SASL is off); the password
// file's permissions are checked.
func (k *KafkaSecurity) Mechanism() (sasl.Mechanism, error) {
	m := strings.ToUpper(k.SASL.Mechanism)
	if m == "" {
		return nil, nil
	}
	pw := k.SASL.Password
	if pw == "" {
		var err error
		if pw, err = access.ReadSecretFile("kafka.sasl.password_file", k.SASL.PasswordFile); err != nil {
			return nil, err
		}
	}
	switch m {
	case "PLAIN":
		return plain.Mechanism{Username: k.SASL.Username, Password: pw}, nil
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		algo := scram.SHA256
		if m == "SCRAM-SHA-512" {
			algo = scram.SHA512
		}
		sm, err := scram.Mechanism(algo, k.SASL.Username, pw)
		if err != nil {
			return nil, errors.New("kafka.sasl: cannot set up SCRAM")
		}
		return sm, nil
	}
	return nil, fmt.Errorf("kafka.sasl.mechanism: %q is not supported", k.SASL.Mechanism)
}

// Security builds the consumer dialer and producer transport for TLS and SASL.
func (k *KafkaSecurity) Security() (*kafka.Dialer, *kafka.Transport, error) {
	tc, err := k.TLSConfig()
	if err != nil {
		return nil, nil, err
	}
	mech, err := k.Mechanism()
	if err != nil {
		return nil, nil, err
	}
	d := &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: tc, SASLMechanism: mech}
	t := &kafka.Transport{TLS: tc, SASL: mech, DialTimeout: 10 * time.Second}
	return d, t, nil
}
