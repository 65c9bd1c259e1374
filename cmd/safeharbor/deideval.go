package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/safeharbor/safeharbor/deid/eval"
	"github.com/safeharbor/safeharbor/deid/eval/evalset"
	"github.com/safeharbor/safeharbor/deid/text"
)

// deidSubcommands are the subcommands of `safeharbor deid`.
var deidSubcommands = map[string]func(args []string, stdin io.Reader, stdout, stderr io.Writer) int{
	"eval":    runDeidEval,
	"evalset": runDeidEvalset,
}

func runDeidEval(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("deid eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", eval.FormatAuto, "annotation format: auto, brat, i2b2 or jsonl")
	jsonOut := fs.String("json", "", "write the full JSON report here")
	showText := fs.Bool("show-text", false, "include the text of misses and false alarms (PHI!) in the report")
	minRecall := fs.String("min-recall", "", "recall floors: 0.99 (every core category) or name=0.99,date=0.98,core=0.95")
	minPrecision := fs.String("min-precision", "", "precision floors, same syntax as --min-recall")
	minRetention := fs.Float64("min-retention", 0, "floor for the share of non-PHI tokens kept")
	generated := fs.String("generated", "", "evaluate the built-in generated split (dev or heldout) instead of files")
	top := fs.Int("top", 20, "number of miss and false-alarm shapes printed")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: safeharbor deid eval [--format auto|brat|i2b2|jsonl] [--json REPORT] [--show-text] [--min-recall F] [--min-precision F] [--min-retention F] PATHS... | --generated dev|heldout")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	recF, err1 := eval.ParseFloors(*minRecall)
	precF, err2 := eval.ParseFloors(*minPrecision)
	for _, err := range []error{err1, err2} {
		if err != nil {
			fmt.Fprintf(stderr, "safeharbor deid eval: %v\n", err)
			return exitUsage
		}
	}
	var notes []eval.Note
	var unknown map[string]int
	switch {
	case *generated != "" && fs.NArg() > 0:
		fmt.Fprintln(stderr, "safeharbor deid eval: give either --generated or PATHS")
		return exitUsage
	case *generated != "":
		n, err := evalset.Generate(evalset.Split(*generated), evalset.DefaultNotes)
		if err != nil {
			fmt.Fprintf(stderr, "safeharbor deid eval: %v\n", err)
			return exitUsage
		}
		notes = n
	case fs.NArg() == 0:
		fs.Usage()
		return exitUsage
	default:
		c, err := eval.Load(fs.Args(), *format)
		if err != nil {
			fmt.Fprintf(stderr, "safeharbor deid eval: %v\n", err)
			return exitFail
		}
		notes, unknown = c.Notes, c.UnknownLabels
	}
	if len(notes) == 0 {
		fmt.Fprintln(stderr, "safeharbor deid eval: no annotated notes found")
		return exitFail
	}
	det := eval.ScrubDetector(text.New(text.Options{}))
	ev := eval.NewEvaluator(eval.Options{ShowText: *showText})
	for _, n := range notes {
		spans, err := det(n.Text)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", n.ID, err)
			return exitFail
		}
		ev.Add(n, spans)
	}
	r := ev.Report()
	if len(unknown) > 0 {
		r.UnknownLabels = unknown
	}
	r.WriteText(stdout, *top)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonOut, append(b, '\n'), 0o640)
		}
		if err != nil {
			fmt.Fprintf(stderr, "safeharbor deid eval: --json: %v\n", err)
			return exitFail
		}
	}
	if fails := r.Check(recF, precF, *minRetention); len(fails) > 0 {
		for _, f := range fails {
			fmt.Fprintf(stderr, "safeharbor deid eval: FLOOR NOT MET: %s\n", f)
		}
		return exitFail
	}
	return exitOK
}

func runDeidEvalset(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("deid evalset", flag.ContinueOnError)
	fs.SetOutput(stderr)
	split := fs.String("split", "dev", "dev or heldout")
	n := fs.Int("notes", evalset.DefaultNotes, "number of notes")
	format := fs.String("format", eval.FormatJSONL, "jsonl (one file), brat (.txt + .ann per note) or i2b2 (.xml per note)")
	out := fs.String("out", "", "output directory (jsonl: file name; - for stdout)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: safeharbor deid evalset [--split dev|heldout] [--notes N] [--format jsonl|brat|i2b2] --out PATH")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	notes, err := evalset.Generate(evalset.Split(*split), *n)
	if err != nil {
		fmt.Fprintf(stderr, "safeharbor deid evalset: %v\n", err)
		return exitUsage
	}
	err = writeEvalset(notes, *format, *out, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "safeharbor deid evalset: %v\n", err)
		return exitFail
	}
	return exitOK
}

func writeEvalset(notes []eval.Note, format, out string, stdout io.Writer) error {
	switch format {
	case eval.FormatJSONL:
		if out == "-" {
			return eval.WriteJSONL(stdout, notes)
		}
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		if err := eval.WriteJSONL(f, notes); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	case eval.FormatBRAT, eval.FormatI2B2:
		if err := os.MkdirAll(out, 0o750); err != nil {
			return err
		}
		for _, n := range notes {
			base := filepath.Join(out, strings.ReplaceAll(n.ID, string(filepath.Separator), "_"))
			var err error
			if format == eval.FormatBRAT {
				if err = os.WriteFile(base+".txt", []byte(n.Text), 0o640); err == nil {
					err = writeFileWith(base+".ann", func(w io.Writer) error { return eval.WriteBRATAnn(w, n) })
				}
			} else {
				err = writeFileWith(base+".xml", func(w io.Writer) error { return eval.WriteI2B2(w, n) })
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown --format %q (want jsonl, brat or i2b2)", format)
}

func writeFileWith(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
