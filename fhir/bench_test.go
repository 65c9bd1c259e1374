package fhir

import "testing"

var benchFiles = []struct{ name, dir, file string }{
	{"patient-example", "fhir-r4-spec-examples", "patient-example.json"},
	{"bundle-transaction", "fhir-r4-spec-examples", "bundle-transaction.json"},
	{"specimen-example", "fhir-r4-spec-examples", "specimen-example.json"},
}

func BenchmarkParse(b *testing.B) {
	for _, bf := range benchFiles {
		data := readCorpus(b, bf.dir, bf.file)
		b.Run(bf.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseWalkSerialize(b *testing.B) {
	for _, bf := range benchFiles {
		data := readCorpus(b, bf.dir, bf.file)
		b.Run(bf.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			buf := make([]byte, 0, len(data))
			n := 0
			for b.Loop() {
				v, err := Parse(data)
				if err != nil {
					b.Fatal(err)
				}
				Walk(v, func(e *Elem) Action {
					if e.Type != "" {
						n++
					}
					return Continue
				})
				buf = v.AppendJSON(buf[:0])
			}
			_ = n
		})
	}
}
