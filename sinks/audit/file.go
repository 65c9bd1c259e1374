package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// fileBackend is a local JSON Lines file opened O_APPEND (mode 0600), fsynced
// on every commit, with its signed checkpoint in <path>.head.
type fileBackend struct {
	path string
	f    *os.File
}

// CheckpointPath returns where OpenFile keeps the checkpoint of the log at path.
func CheckpointPath(path string) string { return path + ".head" }

// OpenFile opens (or creates) the audit log file at path. An existing log is
// verified in full against its checkpoint first; a log that fails is not
// opened (the *VerifyError is returned). The file and checkpoint are 0600.
func OpenFile(path string, key *Key, opts Options) (*Log, error) {
	if key == nil {
		return nil, errors.New("audit: open: no key")
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open log: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: stat log: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		f.Close()
		return nil, fmt.Errorf("audit: log file %s has permissions %04o; it must not be accessible to group/other (chmod 600)", path, perm)
	}
	b := &fileBackend{path: path, f: f}
	sum, err := b.verify(context.Background(), key, nil)
	if err != nil {
		f.Close()
		return nil, err
	}
	l := newLog(key, b, sum, opts)
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if err := l.openAnchored(context.Background()); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

func (b *fileBackend) readCheckpoint(key *Key) (*Checkpoint, error) {
	data, err := os.ReadFile(CheckpointPath(b.path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read checkpoint: %w", err)
	}
	return decodeCheckpoint(key, CheckpointPath(b.path), data)
}

func (b *fileBackend) verify(_ context.Context, key *Key, m *macsAt) (Summary, error) {
	cp, err := b.readCheckpoint(key)
	if err != nil {
		return Summary{}, err
	}
	r, err := os.Open(b.path)
	if err != nil {
		return Summary{}, fmt.Errorf("audit: open log: %w", err)
	}
	defer r.Close()
	if cp == nil {
		st, err := r.Stat()
		if err != nil {
			return Summary{}, err
		}
		if st.Size() > 0 {
			return Summary{}, &VerifyError{Kind: KindBadCheckpoint, Source: CheckpointPath(b.path), Seq: 1,
				Detail: "checkpoint missing for a non-empty log"}
		}
	}
	v := &verifier{key: key, cp: cp, macs: m}
	return v.run(newReaderIter(r, b.path))
}

func (b *fileBackend) write(_ context.Context, lines []byte, _, _ uint64, cp Checkpoint) error {
	if _, err := b.f.Write(lines); err != nil {
		return err
	}
	if err := b.f.Sync(); err != nil {
		return err
	}
	return writeFileAtomic(CheckpointPath(b.path), encodeCheckpoint(cp))
}

func (b *fileBackend) scan(_ context.Context, fn func([]byte) error) error {
	r, err := os.Open(b.path)
	if err != nil {
		return fmt.Errorf("audit: open log: %w", err)
	}
	defer r.Close()
	it := newReaderIter(r, b.path)
	for {
		l, ok, err := it.next()
		if err != nil || !ok {
			return err
		}
		if err := fn(l.data); err != nil {
			return err
		}
	}
}

func (b *fileBackend) close() error { return b.f.Close() }

// writeFileAtomic writes data to path via a synced temporary file and rename.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".audit-head-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
