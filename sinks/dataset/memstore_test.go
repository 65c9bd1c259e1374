package dataset

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// memStore is an in-memory store.Store test double that records PutOptions.
type memStore struct {
	mu   sync.Mutex
	objs map[string][]byte
	opts map[string]store.PutOptions
	puts int
}

func newMemStore() *memStore {
	return &memStore{objs: map[string][]byte{}, opts: map[string]store.PutOptions{}}
}

func (m *memStore) Put(_ context.Context, name string, data []byte, o store.PutOptions) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[name] = append([]byte(nil), data...)
	m.opts[name] = o
	m.puts++
	return nil
}

func (m *memStore) Get(_ context.Context, name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, store.ErrNotFound)
	}
	return append([]byte(nil), b...), nil
}

func (m *memStore) GetRange(ctx context.Context, name string, off, n int64) ([]byte, error) {
	b, err := m.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	if off < 0 || n < 0 || off+n > int64(len(b)) {
		return nil, fmt.Errorf("range out of bounds")
	}
	return b[off : off+n], nil
}

func (m *memStore) Stat(_ context.Context, name string) (store.Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[name]
	if !ok {
		return store.Info{}, fmt.Errorf("%s: %w", name, store.ErrNotFound)
	}
	return store.Info{Name: name, Size: int64(len(b)), Modified: time.Now(), Metadata: m.opts[name].Metadata}, nil
}

func (m *memStore) Delete(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, name)
	return nil
}

func (m *memStore) List(_ context.Context, prefix string, fn func(store.Info) error) error {
	m.mu.Lock()
	var names []string
	for n := range m.objs {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	infos := make([]store.Info, len(names))
	for i, n := range names {
		infos[i] = store.Info{Name: n, Size: int64(len(m.objs[n])), Metadata: m.opts[n].Metadata}
	}
	m.mu.Unlock()
	for _, in := range infos {
		if err := fn(in); err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) RetentionSupported() bool { return false }
