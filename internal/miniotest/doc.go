// Package miniotest runs a real MinIO server (TLS with a throwaway CA, SSE-S3 enabled)
// for tests, so the S3 code paths are exercised against the real thing, never a fake.
package miniotest
