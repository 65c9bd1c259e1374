package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/rules"
)

func init() {
	register(command{name: "rules", summary: "check, test and explain minimum-necessary rules files", run: runRules})
}

const rulesUsage = `Usage:
  safeharbor rules check FILE                       parse, type-check and lint a rules file
  safeharbor rules test [--key-file K] FILE         run the fixtures in FILE.tests/*.yaml
  safeharbor rules explain --key-file K FILE MSG    show what one message turns into
`

func runRules(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, rulesUsage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	switch args[0] {
	case "check":
		return rulesCheck(args[1:], stdout, stderr)
	case "test":
		return rulesTest(args[1:], stdout, stderr)
	case "explain":
		return rulesExplain(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "safeharbor rules: unknown subcommand %q\n%s", args[0], rulesUsage)
	return exitUsage
}

// interleaved lets flags come after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func compileErr(stderr io.Writer, err error) {
	var list rules.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(stderr, e.Error())
		}
		return
	}
	fmt.Fprintln(stderr, err)
}

func rulesCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprint(stderr, rulesUsage)
		return exitUsage
	}
	s, err := rules.Load(pos[0])
	if err != nil {
		compileErr(stderr, err)
		return exitFail
	}
	fmt.Fprintf(stdout, "%s: ok (version %s)\n", pos[0], s.Version())
	for _, d := range s.Datasets() {
		cols := make([]string, len(d.Columns))
		for i, c := range d.Columns {
			cols[i] = c.Name + " " + c.Type.String()
		}
		fmt.Fprintf(stdout, "  dataset %s (each %s): %s\n", d.Name, d.Each, strings.Join(cols, ", "))
	}
	for _, n := range s.DropRules() {
		fmt.Fprintf(stdout, "  drop %s\n", n)
	}
	fmt.Fprintf(stdout, "  phi store: %s\n", s.PHIStore())
	return exitOK
}

// engineFor builds the de-identification engine from a key file; with
// ephemeral it falls back to a random key that lives for this run only
// (fixtures compare pseudonyms through $pseudonym, so any key works).
func engineFor(keyFile string, ephemeral bool, stderr io.Writer) (*deid.Engine, int) {
	var key []byte
	if keyFile == "" {
		keyFile = os.Getenv("SAFEHARBOR_KEY_FILE")
	}
	switch {
	case keyFile != "":
		k, err := deid.LoadKeyFile(keyFile)
		if err != nil {
			fmt.Fprintf(stderr, "safeharbor rules: %v\n", err)
			return nil, exitUsage
		}
		key = k
	case ephemeral:
		key = make([]byte, deid.MinKeyLen)
		if _, err := rand.Read(key); err != nil {
			fmt.Fprintf(stderr, "safeharbor rules: %v\n", err)
			return nil, exitFail
		}
	default:
		fmt.Fprintln(stderr, "safeharbor rules: --key-file is required (or SAFEHARBOR_KEY_FILE)")
		return nil, exitUsage
	}
	eng, err := deid.New(deid.Config{Key: key})
	if err != nil {
		fmt.Fprintf(stderr, "safeharbor rules: %v\n", err)
		return nil, exitUsage
	}
	return eng, exitOK
}

func rulesTest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key-file", "", "secret key file (mode 0600); default FILE.tests/key if present, else a random key for this run")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprint(stderr, rulesUsage)
		return exitUsage
	}
	file := pos[0]
	s, err := rules.Load(file)
	if err != nil {
		compileErr(stderr, err)
		return exitFail
	}
	if *keyFile == "" {
		if k := filepath.Join(file+rules.FixtureDirSuffix, "key"); fileExists(k) {
			*keyFile = k
		}
	}
	eng, code := engineFor(*keyFile, true, stderr)
	if eng == nil {
		return code
	}
	res, err := rules.RunFixtures(s, eng, file)
	if err != nil {
		fmt.Fprintf(stderr, "safeharbor rules test: %v\n", err)
		return exitFail
	}
	pass, fail, skip := 0, 0, 0
	for _, r := range res {
		switch {
		case r.Skipped != "":
			skip++
			fmt.Fprintf(stdout, "SKIP %s: %s\n", r.Name, r.Skipped)
		case r.Passed():
			pass++
			fmt.Fprintf(stdout, "ok   %s\n", r.Name)
		default:
			fail++
			fmt.Fprintf(stdout, "FAIL %s\n", r.Name)
			for _, d := range r.Diffs {
				fmt.Fprintf(stdout, "     %s\n", d)
			}
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped (rules version %s)\n", pass, fail, skip, s.Version())
	if fail > 0 {
		return exitFail
	}
	return exitOK
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func rulesExplain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key-file", "", "secret key file (mode 0600); env SAFEHARBOR_KEY_FILE")
	format := fs.String("format", "auto", "message format: auto, hl7 or fhir")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 2 {
		fmt.Fprint(stderr, rulesUsage)
		return exitUsage
	}
	s, err := rules.Load(pos[0])
	if err != nil {
		compileErr(stderr, err)
		return exitFail
	}
	eng, code := engineFor(*keyFile, false, stderr)
	if eng == nil {
		return code
	}
	data, err := os.ReadFile(pos[1])
	if err != nil {
		fmt.Fprintf(stderr, "safeharbor rules explain: %v\n", err)
		return exitFail
	}
	f := *format
	if f == "auto" {
		f = "hl7"
		if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
			f = "fhir"
		}
	}
	ex := s.NewExplainer()
	var res deid.Result
	switch f {
	case "hl7":
		m, err := hl7.Parse(data)
		if err != nil {
			fmt.Fprintf(stderr, "safeharbor rules explain: %s: %v\n", pos[1], err)
			return exitFail
		}
		if res, err = eng.HL7(m, &deid.Report{}); err != nil {
			fmt.Fprintf(stderr, "safeharbor rules explain: de-identification: %v\n", err)
			return exitFail
		}
		err = ex.HL7(m, res)
		if err != nil {
			fmt.Fprintf(stderr, "safeharbor rules explain: %v\n", err)
			return exitFail
		}
	case "fhir":
		v, err := fhir.Parse(data)
		if err != nil {
			fmt.Fprintf(stderr, "safeharbor rules explain: %s: %v\n", pos[1], err)
			return exitFail
		}
		if res, err = eng.FHIR(v, &deid.Report{}); err != nil {
			fmt.Fprintf(stderr, "safeharbor rules explain: de-identification: %v\n", err)
			return exitFail
		}
		if err = ex.FHIR(v, res); err != nil {
			fmt.Fprintf(stderr, "safeharbor rules explain: %v\n", err)
			return exitFail
		}
	default:
		fmt.Fprintf(stderr, "safeharbor rules explain: --format must be auto, hl7 or fhir\n")
		return exitUsage
	}
	fmt.Fprintf(stdout, "message %s (%s), rules %s version %s\n", pos[1], res.Type, pos[0], s.Version())
	ex.WriteText(stdout)
	return exitOK
}
