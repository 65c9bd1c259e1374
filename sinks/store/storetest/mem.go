// Package storetest provides an in-memory store.Store for unit tests of the
// packages built on it. It is a test double: tests of real backends run
// against a local directory and a real MinIO server.
package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// Mem is an in-memory store.Store that records the PutOptions of each object.
// Tests may read its fields directly while no operation runs.
type Mem struct {
	mu   sync.Mutex
	Objs map[string][]byte           // object contents by name
	Opts map[string]store.PutOptions // the options of each object's last Put
	Puts int                         // number of Put calls
}

// NewMem returns an empty Mem.
func NewMem() *Mem {
	return &Mem{Objs: map[string][]byte{}, Opts: map[string]store.PutOptions{}}
}

// Names returns the object names in lexical order.
func (m *Mem) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.Objs))
	for n := range m.Objs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Put stores a copy of data.
func (m *Mem) Put(_ context.Context, name string, data []byte, o store.PutOptions) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Objs[name] = append([]byte(nil), data...)
	m.Opts[name] = o
	m.Puts++
	return nil
}

// Get returns a copy of an object.
func (m *Mem) Get(_ context.Context, name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.Objs[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, store.ErrNotFound)
	}
	return append([]byte(nil), b...), nil
}

// GetRange returns part of an object.
func (m *Mem) GetRange(ctx context.Context, name string, off, n int64) ([]byte, error) {
	b, err := m.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	if off < 0 || n < 0 || off+n > int64(len(b)) {
		return nil, fmt.Errorf("range out of bounds")
	}
	return b[off : off+n], nil
}

// Stat describes an object.
func (m *Mem) Stat(_ context.Context, name string) (store.Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.Objs[name]
	if !ok {
		return store.Info{}, fmt.Errorf("%s: %w", name, store.ErrNotFound)
	}
	return store.Info{Name: name, Size: int64(len(b)), Modified: time.Now(), Metadata: m.Opts[name].Metadata}, nil
}

// Delete removes an object.
func (m *Mem) Delete(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.Objs, name)
	return nil
}

// List calls fn for the objects under prefix in lexical order.
func (m *Mem) List(_ context.Context, prefix string, fn func(store.Info) error) error {
	m.mu.Lock()
	var names []string
	for n := range m.Objs {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	infos := make([]store.Info, len(names))
	for i, n := range names {
		infos[i] = store.Info{Name: n, Size: int64(len(m.Objs[n])), Metadata: m.Opts[n].Metadata}
	}
	m.mu.Unlock()
	for _, in := range infos {
		if err := fn(in); err != nil {
			return err
		}
	}
	return nil
}

// RetentionSupported is false: Mem has no object lock.
func (m *Mem) RetentionSupported() bool { return false }
