package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/deid/leakguard"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
)

func init() {
	register(command{name: "deid", summary: "de-identify HL7v2, FHIR or text files (Safe Harbor)", run: runDeid})
}

// input formats of `safeharbor deid`
const (
	fmtAuto  = "auto"
	fmtHL7   = "hl7v2"
	fmtFHIR  = "fhir"
	fmtText  = "text"
	fmtMLLP  = "mllp"   // detected: MLLP-framed HL7v2
	fmtNDJSN = "ndjson" // detected: FHIR Bulk Data NDJSON
)

type deidRun struct {
	eng       *deid.Engine
	format    string
	keepGoing bool
	report    deid.Report
	stderr    io.Writer
	failures  int
	progress  bool
	lastProg  time.Time
	done      int
	guard     bool          // the output leak guard is on (the default)
	set       leakguard.Set // values harvested from the message in hand
}

func runDeid(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if sub, ok := deidSubcommands[args[0]]; ok {
			return sub(args[1:], stdin, stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("deid", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", fmtAuto, "input format: auto, hl7v2, fhir or text")
	keyFile := fs.String("key-file", os.Getenv("SAFEHARBOR_KEY_FILE"), "file with the secret key (≥ 32 bytes, mode 0600); env SAFEHARBOR_KEY_FILE")
	profile := fs.String("profile", "safe-harbor", "safe-harbor (dates to year) or shift (per-patient date shift; NOT Safe Harbor)")
	outDir := fs.String("out-dir", "", "write one output file per input file here (same base name) instead of stdout")
	reportFile := fs.String("report", "", "write a JSON report of counts per identifier category and action (never values)")
	keepGoing := fs.Bool("keep-going", false, "report bad inputs and go on with the rest (exit 1 at the end)")
	noGuard := fs.Bool("no-leak-guard", false, "UNSAFE: do not check each output for identifying values of its original (the leak guard withholds such outputs and reports them)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: safeharbor deid [--format auto|hl7v2|fhir|text] --key-file KEY [--profile safe-harbor|shift] [--out-dir DIR] [--report FILE] [--keep-going] [--no-leak-guard] [FILE... | -]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	switch *format {
	case fmtAuto, fmtHL7, fmtFHIR, fmtText:
	default:
		fmt.Fprintf(stderr, "safeharbor deid: unknown --format %q (want auto, hl7v2, fhir or text)\n", *format)
		return exitUsage
	}
	prof, err := deid.ParseProfile(*profile)
	if err != nil {
		fmt.Fprintf(stderr, "safeharbor deid: %v\n", err)
		return exitUsage
	}
	key, err := deid.LoadKeyFile(*keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "safeharbor deid: %v\n", err)
		return exitUsage
	}
	eng, err := deid.New(deid.Config{Key: key, Profile: prof})
	if err != nil {
		fmt.Fprintf(stderr, "safeharbor deid: %v\n", err)
		return exitUsage
	}
	if prof == deid.Shift {
		fmt.Fprintln(stderr, "safeharbor deid: WARNING: the shift profile is not HIPAA Safe Harbor (it needs an expert determination); outputs are labelled")
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o750); err != nil {
			fmt.Fprintf(stderr, "safeharbor deid: --out-dir: %v\n", err)
			return exitUsage
		}
	}
	r := &deidRun{eng: eng, format: *format, keepGoing: *keepGoing, stderr: stderr, progress: isTerminal(stderr), guard: !*noGuard}
	if *noGuard {
		fmt.Fprintln(stderr, "safeharbor deid: WARNING: --no-leak-guard: outputs are not checked for identifiers of their originals (unsafe)")
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	if *outDir != "" {
		seen := map[string]bool{}
		for _, name := range files {
			base := outBase(name)
			if seen[base] {
				fmt.Fprintf(stderr, "%s: another input has the same base name; its output would be overwritten\n", name)
				return exitUsage
			}
			seen[base] = true
		}
	}
	bw := bufio.NewWriterSize(stdout, 256<<10)
	for _, name := range files {
		var data []byte
		var err error
		if name == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(name)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, errors.Unwrap(err))
			r.failures++
			if !r.keepGoing {
				return exitFail
			}
			continue
		}
		var f *os.File
		if *outDir != "" {
			f, err = os.OpenFile(filepath.Join(*outDir, outBase(name)), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
			if err != nil {
				fmt.Fprintf(stderr, "%s: output: %v\n", name, err)
				return exitFail
			}
			bw.Reset(f)
		}
		ok := r.file(name, data, bw)
		if err := bw.Flush(); err != nil {
			fmt.Fprintf(stderr, "%s: writing output: %v\n", name, err)
			ok = false
		}
		if f != nil {
			if err := f.Close(); err != nil {
				ok = false
			}
		}
		if !ok && !r.keepGoing {
			r.writeReport(*reportFile)
			return exitFail
		}
	}
	if r.progress {
		fmt.Fprintf(stderr, "\r\033[K")
	}
	if err := r.writeReport(*reportFile); err != nil {
		fmt.Fprintf(stderr, "safeharbor deid: --report: %v\n", err)
		return exitFail
	}
	if r.failures > 0 {
		fmt.Fprintf(stderr, "safeharbor deid: %d input(s) failed, %d de-identified\n", r.failures, r.report.Messages)
		return exitFail
	}
	return exitOK
}

func (r *deidRun) writeReport(path string) error {
	if path == "" {
		return nil
	}
	r.report.Failed = r.failures
	b, err := json.MarshalIndent(&r.report, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o640)
}

// fail reports one failure: file, index and the error (which carries
// positions only). It returns whether processing may go on.
func (r *deidRun) fail(name string, index int, err error) bool {
	r.failures++
	if index > 0 {
		fmt.Fprintf(r.stderr, "%s: message %d: %v\n", name, index, err)
	} else {
		fmt.Fprintf(r.stderr, "%s: %v\n", name, err)
	}
	return r.keepGoing
}

func (r *deidRun) tick(name string) {
	r.done++
	if !r.progress || r.done%256 != 0 {
		return
	}
	if now := time.Now(); now.Sub(r.lastProg) > 250*time.Millisecond {
		r.lastProg = now
		fmt.Fprintf(r.stderr, "\r\033[K%s: %d de-identified", filepath.Base(name), r.done)
	}
}

// detect returns the format of one file's content.
func detect(data []byte) string {
	b := bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	b = bytes.TrimLeft(b, " \t\r\n")
	switch {
	case len(b) == 0:
		return fmtText
	case b[0] == 0x0B:
		return fmtMLLP
	case headerLine(b):
		return fmtHL7
	case looksLikeSegment(b):
		// HL7v2 segments without an MSH header: read as HL7v2 so the missing
		// header is an error, never scrubbed as if it were prose (the text
		// scrubber does not know that PID-5 is a name)
		return fmtHL7
	case b[0] == '{':
		// one resource (possibly pretty-printed), or NDJSON: several lines each a resource
		if _, err := fhir.Parse(b); err == nil {
			return fmtFHIR
		}
		if nl := bytes.IndexByte(b, '\n'); nl > 0 {
			if _, err := fhir.Parse(bytes.TrimSpace(b[:nl])); err == nil {
				return fmtNDJSN
			}
		}
		return fmtFHIR // let the FHIR reader report where the JSON is bad
	}
	if headerAfterJunk(b) {
		// an HL7v2 message after a leading junk line (an export banner, a
		// stray line): HL7v2, so the junk is reported and the message is
		// de-identified field by field, never scrubbed as prose
		return fmtHL7
	}
	return fmtText
}

// headerLine reports whether b starts with an HL7v2 header segment (MSH,
// FHS or BHS) followed by its field separator and encoding characters:
// "MSH|^~\&|". Prose that merely starts with "MSH" is not one.
func headerLine(b []byte) bool {
	if len(b) < 9 || !(bytes.HasPrefix(b, []byte("MSH")) || bytes.HasPrefix(b, []byte("FHS")) || bytes.HasPrefix(b, []byte("BHS"))) {
		return false
	}
	f := b[3]
	if !delimByte(f) {
		return false
	}
	// 4 encoding characters (5 from v2.7), distinct delimiters, then the separator again
	n := 0
	for n < 5 && 4+n < len(b) && b[4+n] != f {
		if !delimByte(b[4+n]) || bytes.IndexByte(b[4:4+n], b[4+n]) >= 0 {
			return false
		}
		n++
	}
	return n >= 4 && 4+n < len(b) && b[4+n] == f
}

// delimByte reports whether c may be an HL7v2 delimiter: printable ASCII,
// not a letter, digit or space.
func delimByte(c byte) bool {
	return c > ' ' && c < 0x7f && !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
}

// headerAfterJunk reports whether one of the first lines of b (within 4 KB
// or 16 lines) is an HL7v2 header (headerLine).
func headerAfterJunk(b []byte) bool {
	b = b[:min(len(b), 4096)]
	for i := 0; i < 16; i++ {
		nl := bytes.IndexAny(b, "\r\n")
		if nl < 0 {
			return false
		}
		b = bytes.TrimLeft(b[nl:], "\r\n \t")
		if headerLine(b) {
			return true
		}
	}
	return false
}

func (r *deidRun) file(name string, data []byte, out *bufio.Writer) bool {
	format := r.format
	if format == fmtAuto {
		format = detect(data)
	} else if format == fmtHL7 && detect(data) == fmtMLLP {
		format = fmtMLLP
	} else if format == fmtFHIR && detect(data) == fmtNDJSN {
		format = fmtNDJSN
	}
	switch format {
	case fmtHL7:
		return r.hl7Stream(name, data, out, false)
	case fmtMLLP:
		return r.hl7Stream(name, data, out, true)
	case fmtFHIR:
		return r.fhirDoc(name, 0, data, out)
	case fmtNDJSN:
		ok := true
		err := fhir.SplitNDJSON(data, func(line int, raw []byte) error {
			if !r.fhirDoc(name, line, raw, out) {
				ok = false
				if !r.keepGoing {
					return errStop
				}
			}
			return nil
		})
		if err != nil && err != errStop {
			return r.fail(name, 0, err) && ok
		}
		return ok
	default:
		out.Write(r.eng.Text(nil, data, &r.report))
		r.tick(name)
		return true
	}
}

var errStop = errors.New("stop")

// testHookAfterHL7, set only by tests, edits each de-identified message
// before it is checked and written (to simulate an engine bug).
var testHookAfterHL7 func(m *hl7.Message)

func (r *deidRun) hl7Stream(name string, data []byte, out *bufio.Writer, mllp bool) bool {
	ok := true
	var next func() ([]byte, int, error)
	if mllp {
		mr := hl7.NewMLLPReader(bytes.NewReader(data), 0)
		next = func() ([]byte, int, error) { m, err := mr.ReadMessage(); return m, mr.Frames(), err }
	} else {
		sc := hl7.NewScanner(bytes.NewReader(data), 0)
		next = func() ([]byte, int, error) { m, err := sc.Next(); return m, sc.Index(), err }
	}
	var m hl7.Message
	buf := make([]byte, 0, 64<<10)
	for {
		raw, idx, err := next()
		if err == io.EOF {
			return ok
		}
		if err != nil {
			ok = false
			if !r.fail(name, idx, err) || errors.Is(err, hl7.ErrFrameTruncated) {
				return false
			}
			continue
		}
		if err := m.Reset(raw); err != nil {
			ok = false
			if !r.fail(name, idx, err) {
				return false
			}
			continue
		}
		r.harvest(&m, nil)
		res, err := r.eng.HL7(&m, &r.report)
		if err != nil {
			ok = false
			if !r.fail(name, idx, err) {
				return false
			}
			continue
		}
		if testHookAfterHL7 != nil {
			testHookAfterHL7(&m)
		}
		buf = m.AppendTo(buf[:0])
		if err := r.leak(res, buf, leakguard.HL7); err != nil {
			// the output is not written
			ok = false
			if !r.fail(name, idx, err) {
				return false
			}
			continue
		}
		if mllp {
			buf = hl7.AppendMLLP(nil, buf)
		}
		out.Write(buf)
		r.tick(name)
	}
}

func (r *deidRun) fhirDoc(name string, line int, data []byte, w *bufio.Writer) bool {
	v, err := fhir.Parse(data)
	var out []byte
	if err == nil {
		r.harvest(nil, v)
		var res deid.Result
		if res, err = r.eng.FHIR(v, &r.report); err == nil {
			out = v.AppendJSON(nil)
			err = r.leak(res, out, leakguard.JSON)
		}
	}
	if err != nil {
		if line > 0 {
			r.failures++
			fmt.Fprintf(r.stderr, "%s: line %d: %v\n", name, line, err)
			return false
		}
		r.fail(name, 0, err)
		return false
	}
	w.Write(out)
	w.WriteByte('\n')
	r.tick(name)
	return true
}

// looksLikeSegment reports whether b starts like ER7 segments: a line of
// three upper-case letters or digits followed by "|", or two such lines with
// the same other delimiter ("PID#1", "PV1#…"), so that prose such as
// "CBC: normal" stays text.
func looksLikeSegment(b []byte) bool {
	d, ok := segmentDelim(b)
	if !ok {
		return false
	}
	if d == '|' {
		return true
	}
	nl := bytes.IndexAny(b, "\r\n")
	if nl < 0 {
		return false
	}
	d2, ok := segmentDelim(bytes.TrimLeft(b[nl:], "\r\n"))
	return ok && d2 == d
}

// segmentDelim returns the delimiter after a three-character segment name at
// the start of b.
func segmentDelim(b []byte) (byte, bool) {
	if len(b) < 4 {
		return 0, false
	}
	for _, c := range b[:3] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return 0, false
		}
	}
	c := b[3]
	return c, c > ' ' && c < 0x7f && !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// harvest collects the identifying values of the original message or
// resource for the leak guard, before de-identification edits it.
func (r *deidRun) harvest(m *hl7.Message, v *fhir.Value) {
	if !r.guard {
		return
	}
	r.set.Reset()
	if m != nil {
		r.set.HarvestHL7(m)
	} else {
		r.set.HarvestFHIR(v)
	}
}

// leak checks a de-identified output for harvested values: a hit is an
// error naming category, source and output field, never the value.
func (r *deidRun) leak(res deid.Result, out []byte, syn leakguard.Syntax) error {
	if !r.guard {
		return nil
	}
	if days, ok := r.eng.DateShift(res); ok {
		r.set.SetDateShift(days)
	}
	if h, found := r.set.Find(out, syn); found {
		return h
	}
	return nil
}
