package miniotest

import (
	"io/fs"
	"os"
	"path/filepath"
)

// walkFiles calls fn with the contents of every regular file under dir.
func walkFiles(dir string, fn func(path string, data []byte)) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fn(p, b)
		return nil
	})
}

// WalkFiles calls fn with the path and contents of every regular file under dir
// (for example DataDir), so tests can check that no plaintext reached the disk.
func WalkFiles(dir string, fn func(path string, data []byte)) error { return walkFiles(dir, fn) }
