// Command gentypes writes fhir/types_gen.go, the FHIR R4 element type table
// derived from github.com/samply/golang-fhir-models.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/safeharbor/safeharbor/fhir/internal/gentypes/gen"
)

func main() {
	out := flag.String("o", "types_gen.go", "output file")
	dump := flag.Bool("dump", false, "print every string/int element that has no choice suffix")
	flag.Parse()
	if *dump {
		if err := gen.Dump(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "gentypes:", err)
			os.Exit(1)
		}
		return
	}
	src, err := gen.Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gentypes:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gentypes:", err)
		os.Exit(1)
	}
}
