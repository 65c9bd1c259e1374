package config

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/rules"
	"github.com/safeharbor/safeharbor/sinks/access"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

var topicRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

// Validate checks the configuration and returns every problem found;
// checkFiles also opens the key, keyring, rules and TLS files.
func (c *Run) Validate(checkFiles bool) []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	k := &c.Kafka
	for _, b := range k.Brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			bad("kafka.brokers: %q is not host:port", b)
		}
	}
	if k.Group == "" {
		bad("kafka.group: required")
	}
	if k.Topics.HL7 == "" && k.Topics.FHIR == "" {
		bad("kafka.topics: set hl7 and/or fhir")
	}
	names := map[string]string{}
	for _, t := range []struct{ key, v string }{{"hl7", k.Topics.HL7}, {"fhir", k.Topics.FHIR},
		{"hl7_out", k.Topics.HL7Out}, {"fhir_out", k.Topics.FHIROut}, {"dlq", k.Topics.DLQ}} {
		if t.v == "" {
			continue
		}
		if !topicRe.MatchString(t.v) {
			bad("kafka.topics.%s: %q is not a valid topic name ([A-Za-z0-9._-], 1-249)", t.key, t.v)
		}
		if o, dup := names[t.v]; dup {
			bad("kafka.topics.%s: %q is also kafka.topics.%s", t.key, t.v, o)
		}
		names[t.v] = t.key
	}
	if len(k.Brokers) > 0 {
		errs = append(errs, k.KafkaSecurity.Validate()...)
	} else if k.Embedded.Port < 0 || k.Embedded.Port > 65535 {
		bad("kafka.embedded.port: %d is not a port", k.Embedded.Port)
	}
	if c.Keys.DeidKeyFile == "" {
		bad("keys.deid_key_file: required (there is no default key)")
	}
	if c.Keys.KeyringFile == "" {
		bad("keys.vault_keyring_file: required (there is no default key)")
	}
	if _, err := deid.ParseProfile(c.Keys.DeidProfile); err != nil {
		bad("keys.deid_profile: %q is not a profile (safe-harbor or shift)", c.Keys.DeidProfile)
	}
	for _, t := range []struct {
		name string
		t    *Target
	}{{"vault", &c.Vault}, {"analytics", &c.Analytics}} {
		s := &t.t.S3
		if s.Endpoint == "" {
			if t.t.Dir == "" {
				bad("%s: set dir or s3.endpoint", t.name)
			}
			continue
		}
		if strings.Contains(s.Endpoint, "://") {
			bad("%s.s3.endpoint: %q: give host:port without a scheme (TLS is on unless s3.insecure)", t.name, s.Endpoint)
		}
		if s.Bucket == "" {
			bad("%s.s3.bucket: required", t.name)
		}
		if s.AccessKeyFile == "" && s.AccessKey == "" {
			bad("%s.s3: set access_key_file or SAFEHARBOR_%s_S3_ACCESS_KEY", t.name, strings.ToUpper(t.name))
		}
		if s.SecretKeyFile == "" && s.SecretKey == "" {
			bad("%s.s3: set secret_key_file or SAFEHARBOR_%s_S3_SECRET_KEY", t.name, strings.ToUpper(t.name))
		}
	}
	if c.Pipeline.Workers < 0 {
		bad("pipeline.workers: must be ≥ 0 (0 = one per CPU)")
	}
	if c.Pipeline.CheckpointInterval.Duration < 100*time.Millisecond {
		bad("pipeline.checkpoint_interval: %s is below 100ms", c.Pipeline.CheckpointInterval)
	}
	if c.Pipeline.ShutdownTimeout.Duration < time.Second {
		bad("pipeline.shutdown_timeout: %s is below 1s", c.Pipeline.ShutdownTimeout)
	}
	if c.Pipeline.StartFrom != "earliest" && c.Pipeline.StartFrom != "latest" {
		bad("pipeline.start_from: %q is not earliest or latest", c.Pipeline.StartFrom)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("metrics_addr: %q is not host:port", c.MetricsAddr)
		}
	}
	if _, ok := LogLevels[strings.ToLower(c.LogLevel)]; !ok {
		bad("log_level: %q is not debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("log_format: %q is not json or text", c.LogFormat)
	}
	if checkFiles {
		if c.Keys.DeidKeyFile != "" {
			if _, err := deid.LoadKeyFile(c.Keys.DeidKeyFile); err != nil {
				bad("keys.deid_key_file: %v", err)
			}
		}
		if c.Keys.KeyringFile != "" {
			if _, err := vault.LoadKeyring(c.Keys.KeyringFile); err != nil {
				bad("keys.vault_keyring_file: %v", err)
			}
		}
		if c.RulesFile != "" {
			if _, err := rules.Load(c.RulesFile); err != nil {
				bad("rules_file: %v", err)
			}
		}
		for _, f := range []struct{ key, path string }{{"kafka.tls.ca_file", k.TLS.CAFile},
			{"kafka.tls.cert_file", k.TLS.CertFile},
			{"vault.s3.ca_file", c.Vault.S3.CAFile}, {"analytics.s3.ca_file", c.Analytics.S3.CAFile}} {
			if f.path == "" {
				continue
			}
			if _, err := os.Stat(f.path); err != nil {
				bad("%s: %v", f.key, err)
			}
		}
		// Secret files: readable by their owner only (the same check as when they are used).
		for _, f := range []struct{ key, path string }{{"kafka.tls.key_file", k.TLS.KeyFile},
			{"kafka.sasl.password_file", k.SASL.PasswordFile},
			{"vault.s3.access_key_file", c.Vault.S3.AccessKeyFile}, {"vault.s3.secret_key_file", c.Vault.S3.SecretKeyFile},
			{"analytics.s3.access_key_file", c.Analytics.S3.AccessKeyFile}, {"analytics.s3.secret_key_file", c.Analytics.S3.SecretKeyFile}} {
			if f.path == "" {
				continue
			}
			if _, err := access.ReadSecretFile(f.key, f.path); err != nil {
				bad("%v", err)
			}
		}
	}
	return errs
}

// Redacted renders the effective configuration as YAML; secrets supplied by
// the environment show as "<redacted>" and are never printed.
func (c *Run) Redacted() string {
	type sec struct {
		KafkaSASLPassword string `yaml:"kafka_sasl_password,omitempty"`
		VaultAccessKey    string `yaml:"vault_s3_access_key,omitempty"`
		VaultSecretKey    string `yaml:"vault_s3_secret_key,omitempty"`
		AnalyticsAccess   string `yaml:"analytics_s3_access_key,omitempty"`
		AnalyticsSecret   string `yaml:"analytics_s3_secret_key,omitempty"`
	}
	r := func(s string) string {
		if s == "" {
			return ""
		}
		return "<redacted>"
	}
	out, _ := yaml.Marshal(c)
	s, _ := yaml.Marshal(map[string]sec{"secrets_from_environment": {
		r(c.Kafka.SASL.Password), r(c.Vault.S3.AccessKey), r(c.Vault.S3.SecretKey),
		r(c.Analytics.S3.AccessKey), r(c.Analytics.S3.SecretKey)}})
	res := string(out)
	if !strings.Contains(string(s), "{}") {
		res += string(s)
	}
	if len(c.Kafka.Brokers) == 0 {
		res += "# kafka.brokers is empty: an embedded broker runs on 127.0.0.1\n"
	}
	return res
}
