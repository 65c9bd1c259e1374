package rules

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Watcher holds the rules in force and reloads them from their file on
// SIGHUP or when the file changes (polled). A file that fails to compile
// never replaces the running rules: the error is logged with positions
// (rules file content only, never message content) and the old Set stays.
// Workers pick up a new Set between messages with Refresh.
type Watcher struct {
	path     string
	log      *slog.Logger
	interval time.Duration
	cur      atomic.Pointer[Set]
	mu       sync.Mutex // serializes reloads
	stamp    fileStamp
	lastErr  atomic.Pointer[error]
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// NewWatcher loads path (which must compile) and returns a Watcher. The
// poll interval defaults to 1s; a nil logger means slog.Default.
func NewWatcher(path string, interval time.Duration, log *slog.Logger) (*Watcher, error) {
	if interval <= 0 {
		interval = time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	w := &Watcher{path: path, log: log, interval: interval}
	st, _ := stat(path)
	s, err := Load(path)
	if err != nil {
		return nil, err
	}
	w.stamp = st
	w.cur.Store(s)
	return w, nil
}

func stat(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime(), fi.Size()}, nil
}

// Set returns the rules in force.
func (w *Watcher) Set() *Set { return w.cur.Load() }

// Refresh returns ev if it runs the rules in force, else a new Evaluator
// for them. Call it between messages.
func (w *Watcher) Refresh(ev *Evaluator) *Evaluator {
	s := w.cur.Load()
	if ev != nil && ev.set == s {
		return ev
	}
	return s.NewEvaluator()
}

// LastError returns the error of the last failed reload, or nil if the
// last reload succeeded.
func (w *Watcher) LastError() error {
	if p := w.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Reload compiles the file now and swaps it in if it compiles. It reports
// whether the rules changed; a compile error is logged and returned.
func (w *Watcher) Reload() (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st, _ := stat(w.path)
	s, err := Load(w.path)
	w.stamp = st // do not retry a broken file until it changes again
	if err != nil {
		w.lastErr.Store(&err)
		w.log.Error("rules: reload failed; keeping the running rules",
			"file", w.path, "running_version", w.cur.Load().Version(), "error", err.Error())
		return false, err
	}
	w.lastErr.Store(nil)
	old := w.cur.Load()
	if old.Version() == s.Version() {
		return false, nil
	}
	w.cur.Store(s)
	w.log.Info("rules: reloaded", "file", w.path, "old_version", old.Version(), "version", s.Version())
	return true, nil
}

// check reloads if the file's modification time or size changed.
func (w *Watcher) check() {
	st, err := stat(w.path)
	if err != nil {
		return
	}
	w.mu.Lock()
	changed := st != w.stamp
	w.mu.Unlock()
	if changed {
		_, _ = w.Reload()
	}
}

// Run polls the file and listens for SIGHUP until ctx is done.
func (w *Watcher) Run(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_, _ = w.Reload()
		case <-t.C:
			w.check()
		}
	}
}
