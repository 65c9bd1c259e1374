package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/safeharbor/safeharbor/deid"
)

// outBase is the output file name of an input in --out-dir.
func outBase(name string) string {
	if name == "-" {
		return "stdin"
	}
	return filepath.Base(name)
}

// fileResult is the outcome of one input file de-identified by a worker.
type fileResult struct {
	ok       bool
	readFail bool // the input could not be read
	outFail  bool // the output file could not be created
	wrote    bool // the output file was created
	errs     bytes.Buffer
	report   deid.Report
	failures int
	done     int
	out      []byte // the output, when it goes to stdout
}

// manyFiles de-identifies files with a small pool of workers (more workers
// than cores: for small files, opening, reading and creating files
// dominates), into one file each in outDir, or, when out is not nil, into
// out. Results are taken in input order: stdout output, messages, counts
// and the stop on the first failure (without --keep-going) are as when the
// files are done one by one. On such a stop, the output files that workers
// had already written for later inputs are removed again. At most a window
// of results waits for its turn, which bounds memory.
func (r *deidRun) manyFiles(files []string, outDir, reportFile string, out *bufio.Writer) int {
	workers := min(max(4, 4*runtime.GOMAXPROCS(0)), 16, len(files))
	results := make([]chan *fileResult, len(files))
	for i := range results {
		results[i] = make(chan *fileResult, 1)
	}
	window := make(chan struct{}, 4*workers)
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bw := bufio.NewWriterSize(nil, 64<<10)
			for {
				window <- struct{}{}
				i := int(next.Add(1) - 1)
				if i >= len(files) || stop.Load() {
					<-window
					return
				}
				results[i] <- r.oneFile(files[i], outDir, bw, out != nil)
			}
		}()
	}
	halt := func(i int) {
		stop.Store(true)
		for range len(window) { // let blocked workers see the stop
			select {
			case <-window:
			default:
			}
		}
		wg.Wait()
		for j := i + 1; j < len(files); j++ {
			select {
			case res := <-results[j]:
				if res.wrote {
					os.Remove(filepath.Join(outDir, outBase(files[j])))
				}
			default:
			}
		}
	}
	for i := range files {
		res := <-results[i]
		<-window
		if out != nil {
			out.Write(res.out)
		}
		r.stderr.Write(res.errs.Bytes())
		r.report.Merge(&res.report)
		r.failures += res.failures
		for range res.done {
			r.tick(files[i])
		}
		switch {
		case res.readFail && !r.keepGoing, res.outFail:
			halt(i)
			return exitFail
		case !res.ok && !r.keepGoing:
			halt(i)
			if out != nil {
				out.Flush()
			}
			r.writeReport(reportFile)
			return exitFail
		}
	}
	wg.Wait()
	if out != nil {
		if err := out.Flush(); err != nil {
			fmt.Fprintf(r.stderr, "safeharbor deid: writing output: %v\n", err)
			return exitFail
		}
	}
	if r.progress {
		fmt.Fprintf(r.stderr, "\r\033[K")
	}
	if err := r.writeReport(reportFile); err != nil {
		fmt.Fprintf(r.stderr, "safeharbor deid: --report: %v\n", err)
		return exitFail
	}
	if r.failures > 0 {
		fmt.Fprintf(r.stderr, "safeharbor deid: %d input(s) failed, %d de-identified\n", r.failures, r.report.Messages)
		return exitFail
	}
	return exitOK
}

// oneFile de-identifies one file, into res.out when toMemory, else into its
// file in outDir, with its own report and message buffer.
func (r *deidRun) oneFile(name, outDir string, bw *bufio.Writer, toMemory bool) *fileResult {
	res := &fileResult{}
	w := &deidRun{eng: r.eng, format: r.format, keepGoing: r.keepGoing, stderr: &res.errs}
	data, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(&res.errs, "%s: %v\n", name, errors.Unwrap(err))
		res.failures, res.readFail = 1, true
		return res
	}
	if toMemory {
		var buf bytes.Buffer
		buf.Grow(len(data) + len(data)/8)
		bw.Reset(&buf)
		res.ok = w.file(name, data, bw)
		bw.Flush()
		res.out = buf.Bytes()
	} else {
		f, err := os.OpenFile(filepath.Join(outDir, outBase(name)), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
		if err != nil {
			fmt.Fprintf(&res.errs, "%s: output: %v\n", name, err)
			res.outFail = true
			return res
		}
		res.wrote = true
		bw.Reset(f)
		res.ok = w.file(name, data, bw)
		if err := bw.Flush(); err != nil {
			fmt.Fprintf(&res.errs, "%s: writing output: %v\n", name, err)
			res.ok = false
		}
		if err := f.Close(); err != nil {
			res.ok = false
		}
	}
	res.report, res.failures, res.done = w.report, w.failures, w.done
	return res
}
