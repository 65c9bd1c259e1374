package main

import "path/filepath"

// outBase is the output file name of an input in --out-dir.
func outBase(name string) string {
	if name == "-" {
		return "stdin"
	}
	return filepath.Base(name)
}
