// Package sinks stores outputs: the encrypted PHI vault, Parquet datasets and the tamper-evident audit trail.
package sinks
