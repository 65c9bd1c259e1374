// Command safeharbor is a streaming HL7v2/FHIR integration engine with HIPAA
// Safe Harbor de-identification. Run "safeharbor help" for the subcommands.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/safeharbor/safeharbor/internal/version"
)

// Exit codes shared by every subcommand.
const (
	exitOK    = 0 // success
	exitFail  = 1 // the work failed (bad input, failed check)
	exitUsage = 2 // bad invocation or configuration (flags, keys, config file)
)

// command is one subcommand. Each lives in its own file and registers itself
// from init so that files do not have to touch a shared table.
type command struct {
	name    string
	summary string
	// run executes the subcommand with its own arguments and returns the exit code.
	run func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("safeharbor: duplicate command " + c.name)
	}
	commands[c.name] = c
}

func init() {
	register(command{name: "version", summary: "print the version", run: func(_ []string, _ io.Reader, stdout, _ io.Writer) int {
		fmt.Fprintf(stdout, "safeharbor %s\n", version.Version)
		return exitOK
	}})
	register(command{name: "help", summary: "list the subcommands", run: func(_ []string, _ io.Reader, stdout, _ io.Writer) int {
		usage(stdout)
		return exitOK
	}})
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "safeharbor %s — HL7v2/FHIR integration engine with HIPAA Safe Harbor de-identification\n\n", version.Version)
	fmt.Fprintln(w, "Usage: safeharbor <command> [flags] [args]")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'safeharbor <command> -h' for a command's flags.")
}

// dispatch runs the subcommand named by args[0] and returns the exit code.
func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "--help", "-help":
		name = "help"
	case "-v", "--version", "-version":
		name = "version"
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "safeharbor: unknown command %q\n", strings.TrimSpace(name))
		usage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
