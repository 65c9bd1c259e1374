package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safeharbor/safeharbor/rules"
	"github.com/safeharbor/safeharbor/sinks/dataset"
)

// Hot reload of the rules.
//
// A generation is one rules Set in force together with the dataset writers
// built for its datasets (the schema of a writer is fixed at creation). The
// partition consumer tags every record it fetches with the newest generation
// (acquire), in offset order, so per partition the switch happens between
// two messages and every record is evaluated entirely by one Set; the worker
// evaluates with the job's generation and the sequencer appends its rows to
// that generation's writers. A checkpoint flushes the writers of every live
// generation before it commits, so the commit protocol covers old and new
// writers alike. A generation that is no longer current and that no job
// references any more is closed after the next successful flush.

// ErrNoRulesWatcher is returned by ReloadRules when Config.RulesWatcher is nil.
var ErrNoRulesWatcher = errors.New("pipeline: no rules watcher configured")

// generation is one rules Set with its dataset writers.
type generation struct {
	rules   Rules // nil: no datasets
	version string
	deid    Deidentifier
	phiNone bool // phi: store: none — originals are not vaulted
	ds      []*dataset.Writer
	names   []string
	dsRows  []sync.Pool // per dataset: *dataset.Row staging rows for ds
	// refs counts the jobs tagged with this generation that the sequencer has not finished.
	refs atomic.Int64
	// retired is set once the writers are closed.
	retired atomic.Bool
}

// phiStorer is implemented by Rules that say what goes to the vault
// (FromRuleSet: the rules file's phi.store).
type phiStorer interface{ PHIStore() string }

// newGeneration builds the writers of r (nil r: no datasets). deid is the
// de-identifier to use with it.
func (p *Pipeline) newGeneration(r Rules, deid Deidentifier) (*generation, error) {
	g := &generation{rules: r, deid: deid}
	if r == nil {
		return g, nil
	}
	g.version = r.Version()
	if ps, ok := r.(phiStorer); ok && ps.PHIStore() == "none" {
		g.phiNone = true
	}
	for _, d := range r.Datasets() {
		w, err := dataset.NewWriter(dataset.Config{
			Name: d.Name, Schema: d.Schema, Store: p.cfg.Analytics, RulesVersion: g.version,
			MaxRows: p.cfg.DatasetMaxRows, MaxBytes: p.cfg.DatasetMaxBytes,
			MaxAge: 24 * time.Hour, // files roll at checkpoints, not by age
		})
		if err != nil {
			for _, w := range g.ds {
				_, _ = w.Close(context.Background()) // empty: writes nothing
			}
			return nil, fmt.Errorf("dataset %q: %w", d.Name, err)
		}
		g.ds = append(g.ds, w)
		g.names = append(g.names, d.Name)
	}
	g.dsRows = make([]sync.Pool, len(g.ds))
	for i, w := range g.ds {
		g.dsRows[i].New = func() any { return w.NewRow() }
	}
	return g, nil
}

// appendRow writes one row of typed values to dataset ds.
func (g *generation) appendRow(ctx context.Context, ds int, meta dataset.RowMeta, vals []rules.Value) error {
	r := g.dsRows[ds].Get().(*dataset.Row)
	defer g.dsRows[ds].Put(r)
	r.Reset(meta)
	setRow(r, vals)
	return g.ds[ds].AppendRow(ctx, r)
}

// acquire returns the current generation and counts a reference to it;
// release it when the record has been handed to the sinks.
func (p *Pipeline) acquire() *generation {
	p.genMu.RLock()
	g := p.cur
	g.refs.Add(1)
	p.genMu.RUnlock()
	return g
}

func (g *generation) release() { g.refs.Add(-1) }

// current returns the generation new records are tagged with.
func (p *Pipeline) current() *generation {
	p.genMu.RLock()
	defer p.genMu.RUnlock()
	return p.cur
}

// liveGens returns every generation whose writers are open, oldest first.
func (p *Pipeline) liveGens() []*generation {
	p.genMu.RLock()
	defer p.genMu.RUnlock()
	return append([]*generation(nil), p.gens...)
}

// RulesVersion returns the version of the rules new records are evaluated
// with ("" without rules).
func (p *Pipeline) RulesVersion() string { return p.current().version }

// SetRules switches the pipeline to r between messages: records fetched
// from now on are evaluated with r and their rows go to new dataset writers
// built for r's datasets; records fetched before finish with the rules they
// started with, and the old writers are flushed and closed once no record
// needs them. On error (a dataset writer cannot be built) the running rules
// stay.
func (p *Pipeline) SetRules(r Rules) error {
	if r == nil {
		return fmt.Errorf("%w: nil rules", ErrConfig)
	}
	if p.cfg.Analytics == nil {
		return fmt.Errorf("%w: rules need an analytics store", ErrConfig)
	}
	d := p.cfg.Deid
	if p.cfg.DeidFor != nil {
		var err error
		if d, err = p.cfg.DeidFor(r.Version()); err != nil {
			return fmt.Errorf("pipeline: de-identification engine for rules %s: %w", r.Version(), err)
		}
	}
	g, err := p.newGeneration(r, d)
	if err != nil {
		return fmt.Errorf("pipeline: rules %s: %w", r.Version(), err)
	}
	p.genMu.Lock()
	if p.shut {
		p.genMu.Unlock()
		for _, w := range g.ds {
			_, _ = w.Close(context.Background())
		}
		return errors.New("pipeline: stopped; rules not switched")
	}
	old := p.cur
	p.cur = g
	p.gens = append(p.gens, g)
	p.genMu.Unlock()
	p.m.RulesInfo.SetOnly(1, g.version)
	p.log.Info("rules switched; records fetched from now on use the new rules",
		"old_version", old.version, "version", g.version, "datasets", len(g.names), "phi_store_none", g.phiNone)
	p.kickCheckpoint() // retire the old writers soon
	return nil
}

// ReloadRules recompiles the rules file of Config.RulesWatcher and switches
// to it if it compiled and changed (what SIGHUP does in `safeharbor run`).
// A file that fails to compile never replaces the running rules: the
// watcher logs its positions ("file:line:col: message", rules file content
// only) and the error is returned and counted in
// safeharbor_rules_reloads_total{result="error"}.
func (p *Pipeline) ReloadRules() error {
	w := p.cfg.RulesWatcher
	if w == nil {
		return ErrNoRulesWatcher
	}
	p.reloadMu.Lock()
	defer p.reloadMu.Unlock()
	if _, err := w.Reload(); err != nil {
		p.m.RulesReloads.Add(1, "error")
		return err
	}
	s := w.Set()
	if s.Version() != p.current().version {
		if err := p.SetRules(FromRuleSet(s)); err != nil {
			p.m.RulesReloads.Add(1, "error")
			p.log.Error("rules: switch failed; keeping the running rules", "version", s.Version(), "error", err.Error())
			return err
		}
	}
	p.m.RulesReloads.Add(1, "ok")
	return nil
}

// watchRules reloads the rules when their file's modification time or size
// changes, polled every RulesPollInterval, until ctx ends.
func (p *Pipeline) watchRules(ctx context.Context) {
	path := p.cfg.RulesWatcher.Set().File()
	stamp := func() (time.Time, int64) {
		fi, err := os.Stat(path)
		if err != nil {
			return time.Time{}, -1
		}
		return fi.ModTime(), fi.Size()
	}
	mod, size := stamp()
	t := time.NewTicker(p.cfg.RulesPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m, s := stamp()
		if s < 0 || (m.Equal(mod) && s == size) {
			continue // missing (being replaced) or unchanged
		}
		mod, size = m, s
		_ = p.ReloadRules() // logged and counted
	}
}

// retirable returns the generations that are not current and that no record
// references: nothing will be appended to their writers any more.
func (p *Pipeline) retirable() []*generation {
	p.genMu.RLock()
	defer p.genMu.RUnlock()
	var out []*generation
	for _, g := range p.gens {
		if g != p.cur && g.refs.Load() == 0 {
			out = append(out, g)
		}
	}
	return out
}

// retire closes the writers of generations returned by retirable after a
// successful flush (they hold nothing, so closing writes nothing new) and
// forgets them.
func (p *Pipeline) retire(ctx context.Context, gens []*generation) {
	for _, g := range gens {
		ok := true
		for i, w := range g.ds {
			res, err := w.Close(ctx)
			for _, f := range res.Files {
				p.m.FileRows.Observe(float64(f.Rows))
			}
			if err != nil && !errors.Is(err, dataset.ErrClosed) {
				ok = false
				p.log.Warn("closing the writer of old rules failed; retrying at the next checkpoint",
					"dataset", g.names[i], "version", g.version, "err", errClass(err))
			}
		}
		if !ok {
			continue
		}
		g.retired.Store(true)
		p.genMu.Lock()
		for i, x := range p.gens {
			if x == g {
				p.gens = append(p.gens[:i:i], p.gens[i+1:]...)
				break
			}
		}
		p.genMu.Unlock()
		p.log.Debug("old rules retired; their dataset writers are closed", "version", g.version)
	}
}
