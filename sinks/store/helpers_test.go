package store_test

import (
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/safeharbor/safeharbor/internal/miniotest"
	"github.com/safeharbor/safeharbor/sinks/store"
)

func bucketOf(t *testing.T, st *store.S3, _ *miniotest.Server) string {
	t.Helper()
	return st.Bucket()
}

func listAllVersions(prefix string) minio.ListObjectsOptions {
	return minio.ListObjectsOptions{Prefix: prefix, WithVersions: true, Recursive: true}
}
