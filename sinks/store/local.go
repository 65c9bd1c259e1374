package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// localMagic starts every object file written by Local: magic, then a big-endian
// uint32 metadata length, the metadata as JSON, then the object bytes.
var localMagic = []byte("SHOBJ1\n\x00")

const localHeaderFixed = 8 + 4

// maxLocalMeta bounds the metadata block read from disk.
const maxLocalMeta = 64 << 10

// Local is a Store in a private directory on the local filesystem. Objects are files
// (mode 0600) in subdirectories (mode 0700); a Put writes a temporary file, fsyncs it,
// renames it over the target and fsyncs the directory. A name can not be both an
// object and a "directory" of other objects ("a" and "a/b"); such a Put fails.
type Local struct {
	dir string
}

var _ Store = (*Local)(nil)
var _ Creator = (*Local)(nil)

// NewLocal opens (creating with mode 0700 if needed) a local store rooted at dir.
// An existing directory that group or others can access is refused.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("store: local directory not set")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: local directory %s: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case err == nil:
		if !fi.IsDir() {
			return nil, fmt.Errorf("store: local path %s is not a directory", abs)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			return nil, fmt.Errorf("store: local directory %s has mode %#o; it must not be accessible by group or others (chmod 700)", abs, perm)
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
			return nil, fmt.Errorf("store: create parent of %s: %w", abs, err)
		}
		if err := os.Mkdir(abs, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("store: create %s: %w", abs, err)
		}
		if err := os.Chmod(abs, 0o700); err != nil {
			return nil, fmt.Errorf("store: chmod %s: %w", abs, err)
		}
		syncDir(filepath.Dir(abs))
	default:
		return nil, fmt.Errorf("store: local directory %s: %w", abs, err)
	}
	return &Local{dir: abs}, nil
}

// Dir returns the root directory of the store.
func (l *Local) Dir() string { return l.dir }

// RetentionSupported reports false: the local backend does not enforce WORM retention.
func (l *Local) RetentionSupported() bool { return false }

func (l *Local) path(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	return filepath.Join(l.dir, filepath.FromSlash(name)), nil
}

func encodeLocal(data []byte, meta map[string]string) ([]byte, error) {
	var mb []byte
	if m := normMeta(meta); m != nil {
		var err error
		if mb, err = json.Marshal(m); err != nil {
			return nil, fmt.Errorf("store: encode metadata: %w", err)
		}
		if len(mb) > maxLocalMeta {
			return nil, errors.New("store: metadata too large")
		}
	}
	buf := make([]byte, 0, localHeaderFixed+len(mb)+len(data))
	buf = append(buf, localMagic...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(mb)))
	buf = append(buf, mb...)
	return append(buf, data...), nil
}

// Put writes the object atomically and durably.
func (l *Local) Put(ctx context.Context, name string, data []byte, opts PutOptions) error {
	return l.write(ctx, name, data, opts, false)
}

// Create writes the object only if no object of that name exists (error wrapping ErrExists).
func (l *Local) Create(ctx context.Context, name string, data []byte, opts PutOptions) error {
	return l.write(ctx, name, data, opts, true)
}

func (l *Local) write(ctx context.Context, name string, data []byte, opts PutOptions, exclusive bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := l.path(name)
	if err != nil {
		return err
	}
	body, err := encodeLocal(data, opts.Metadata)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	var lastErr error
	// A concurrent Delete may remove an empty parent directory; retry a few times.
	for range 3 {
		if lastErr = l.mkdirs(dir); lastErr != nil {
			break
		}
		lastErr = writeAtomic(dir, p, body, exclusive)
		if lastErr == nil || !errors.Is(lastErr, fs.ErrNotExist) {
			break
		}
	}
	if lastErr != nil {
		if errors.Is(lastErr, fs.ErrExist) && exclusive {
			return fmt.Errorf("store: create %s: %w", name, ErrExists)
		}
		if errors.Is(lastErr, syscall.ENOTDIR) || errors.Is(lastErr, syscall.EISDIR) || errors.Is(lastErr, fs.ErrExist) {
			return fmt.Errorf("store: put %s: name conflicts with another object's path (the local backend cannot hold both \"a\" and \"a/b\")", name)
		}
		return fmt.Errorf("store: put %s: %w", name, lastErr)
	}
	return nil
}

// mkdirs creates missing directories (0700) under the root, fsyncing each parent.
func (l *Local) mkdirs(dir string) error {
	if dir == l.dir {
		return nil
	}
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return syscall.ENOTDIR
		}
		return nil
	}
	if err := l.mkdirs(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

func writeAtomic(dir, target string, body []byte, exclusive bool) error {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(body); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if exclusive {
		// link(2) fails if the target exists: an atomic create-if-absent.
		if err := os.Link(tmp, target); err != nil {
			return err
		}
		_ = os.Remove(tmp)
	} else {
		if fi, err := os.Lstat(target); err == nil && fi.IsDir() {
			return syscall.EISDIR
		}
		if err := os.Rename(tmp, target); err != nil {
			return err
		}
	}
	ok = true
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// openObj opens an object file and parses its header.
func (l *Local) openObj(name string) (*os.File, map[string]string, int64, int64, error) {
	p, err := l.path(name)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, nil, 0, 0, fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return nil, nil, 0, 0, fmt.Errorf("store: open %s: %w", name, err)
	}
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		f.Close()
		return nil, nil, 0, 0, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	var fixed [localHeaderFixed]byte
	if _, err := io.ReadFull(f, fixed[:]); err != nil || !bytes.Equal(fixed[:8], localMagic) {
		f.Close()
		return nil, nil, 0, 0, fmt.Errorf("store: %s: not an object file written by this store", name)
	}
	ml := int64(binary.BigEndian.Uint32(fixed[8:]))
	if ml > maxLocalMeta || localHeaderFixed+ml > fi.Size() {
		f.Close()
		return nil, nil, 0, 0, fmt.Errorf("store: %s: corrupt object header", name)
	}
	var meta map[string]string
	if ml > 0 {
		mb := make([]byte, ml)
		if _, err := io.ReadFull(f, mb); err != nil || json.Unmarshal(mb, &meta) != nil {
			f.Close()
			return nil, nil, 0, 0, fmt.Errorf("store: %s: corrupt object metadata", name)
		}
	}
	start := localHeaderFixed + ml
	return f, meta, start, fi.Size() - start, nil
}

// Get reads a whole object.
func (l *Local) Get(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, _, _, size, err := l.openObj(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("store: read %s: %w", name, err)
	}
	return b, nil
}

// GetRange reads length bytes at offset; the range must lie inside the object (ErrRange).
func (l *Local) GetRange(ctx context.Context, name string, offset, length int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkRange(offset, length); err != nil {
		return nil, err
	}
	f, _, start, size, err := l.openObj(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if offset+length > size {
		return nil, fmt.Errorf("%w: %s: %d+%d > size %d", ErrRange, name, offset, length, size)
	}
	b := make([]byte, length)
	if _, err := f.ReadAt(b, start+offset); err != nil {
		return nil, fmt.Errorf("store: read %s: %w", name, err)
	}
	return b, nil
}

// Stat returns an object's Info.
func (l *Local) Stat(ctx context.Context, name string) (Info, error) {
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	f, meta, _, size, err := l.openObj(name)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("store: stat %s: %w", name, err)
	}
	return Info{Name: name, Size: size, Modified: fi.ModTime(), Metadata: meta}, nil
}

// Delete removes an object (a missing object is not an error) and then any parent
// directories left empty.
func (l *Local) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := l.path(name)
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		return nil // a "directory" of other objects, not an object
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil
		}
		return fmt.Errorf("store: delete %s: %w", name, err)
	}
	dir := filepath.Dir(p)
	_ = syncDir(dir)
	for dir != l.dir && strings.HasPrefix(dir, l.dir) {
		if os.Remove(dir) != nil {
			break
		}
		dir = filepath.Dir(dir)
	}
	return nil
}

// List calls fn for every object whose name starts with prefix, in lexical order.
// Info.Metadata is not filled by List (use Stat).
func (l *Local) List(ctx context.Context, prefix string, fn func(Info) error) error {
	if err := validatePrefix(prefix); err != nil {
		return err
	}
	// Walk from the deepest directory fully named by the prefix.
	base := l.dir
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		base = filepath.Join(l.dir, filepath.FromSlash(prefix[:i]))
	}
	var infos []Info
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if strings.HasPrefix(d.Name(), ".") && p != base {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(l.dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if !strings.HasPrefix(name, prefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		size := fi.Size() - localHeaderFixed
		if f, _, _, s, err := l.openObj(name); err == nil {
			size = s
			f.Close()
		}
		infos = append(infos, Info{Name: name, Size: size, Modified: fi.ModTime()})
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: list %q: %w", prefix, err)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	for _, in := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(in); err != nil {
			return err
		}
	}
	return nil
}
