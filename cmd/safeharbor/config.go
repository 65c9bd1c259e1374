package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/safeharbor/safeharbor/config"
)

func init() {
	register(command{name: "config", summary: "check a run configuration file: config check FILE", run: runConfig})
}

func runConfig(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: safeharbor config check [-no-files] FILE")
		return exitUsage
	}
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	noFiles := fs.Bool("no-files", false, "do not open key, keyring, rules and TLS files")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: safeharbor config check [-no-files] FILE")
		return exitUsage
	}
	c, err := config.Load(fs.Arg(0), os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if errs := c.Validate(!*noFiles); len(errs) > 0 {
		fmt.Fprintf(stderr, "%s: %d problem(s):\n", fs.Arg(0), len(errs))
		for _, e := range errs {
			fmt.Fprintln(stderr, "  "+e)
		}
		return exitUsage
	}
	fmt.Fprintf(stdout, "# %s: OK. Effective configuration (defaults + file + SAFEHARBOR_* environment):\n", fs.Arg(0))
	io.WriteString(stdout, c.Redacted())
	return exitOK
}
