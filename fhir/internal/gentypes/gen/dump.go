package gen

import (
	"fmt"
	"io"
	"sort"
)

// Dump prints "Type.key primitive" for every element typed string or
// integer, to help review the override lists.
func Dump(w io.Writer) error {
	dir, err := ModelDir()
	if err != nil {
		return err
	}
	t, err := Build(dir)
	if err != nil {
		return err
	}
	var lines []string
	for n, el := range t.Types {
		for k, e := range el {
			if e.Type == "string" || e.Type == "integer" {
				lines = append(lines, fmt.Sprintf("%s.%s %s", n, k, e.Type))
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return nil
}
