// Package store is the object-storage abstraction under every sink: a local
// directory for the embedded default (Local) and S3/MinIO for production (S3).
package store
