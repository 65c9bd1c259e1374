package rules

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzCompile: arbitrary bytes never panic the compiler; a file that
// compiles gets a version and an evaluator.
func FuzzCompile(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "examples", "rules.yaml")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(oneColumn("OBX", "string", `field("OBX-3") + "x"`)))
	f.Add([]byte(oneColumn("Observation.component", "float64", "Observation.component.valueQuantity.value")))
	f.Add([]byte("version: 1\ndatasets:\n  - name: d\n    when: |\n      any_code(\"DG1-3\", \"I10\", [\"F1\"])\n    columns: [{name: a, type: bool, from: 'has(\"PID-8\")'}]\n"))
	f.Add([]byte("version: 1\ndatasets: &a [*a]\n"))
	f.Add([]byte(tenDatasets()))
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Compile(src, "f.yaml")
		if err != nil {
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("error is %T", err)
			}
			return
		}
		if s.Version() == "" {
			t.Fatal("no version")
		}
		s.NewEvaluator()
	})
}
