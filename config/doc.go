// Package config is the configuration schema of `safeharbor run`: its types,
// embedded defaults, SAFEHARBOR_* environment overrides, validation and
// redacted rendering, and how its destinations and Kafka security settings are
// opened. Secrets are never in the file (they come from permission-checked
// files or the environment) and are never printed. cmd/safeharbor only parses
// flags and wires what this package describes.
package config
