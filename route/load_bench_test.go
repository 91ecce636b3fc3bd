package route

import (
	"os"
	"path/filepath"
	"testing"
)

// benchInput is every completed seed example in one stream.
func benchInput(b *testing.B) []byte {
	b.Helper()
	files, _ := filepath.Glob("testdata/seeds/00*.yaml")
	var in []byte
	for _, f := range files {
		if filepath.Base(f) == "002-21-foo-ext-svc-as-printed.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		in = append(append(in, data...), "\n---\n"...)
	}
	return in
}

func BenchmarkLoadBytes(b *testing.B) {
	in := benchInput(b)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		LoadBytes(in, "bench.yaml")
	}
}

func BenchmarkValidate(b *testing.B) {
	cfg, _ := LoadBytes(benchInput(b), "bench.yaml")
	b.ReportAllocs()
	for b.Loop() {
		Validate(cfg)
	}
}
