package output

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

// TestParquetEdgeSchemas writes valid but unusual values through every
// format and both Parquet readers: the deepest nesting kept as types,
// one level deeper (JSON text), member names with dots and spaces, lists
// of nulls, and a struct at the member limit.
func TestParquetEdgeSchemas(t *testing.T) {
	deep := strings.Repeat(`{"x":`, maxDepth) + `1` + strings.Repeat(`}`, maxDepth)
	deeper := strings.Repeat(`[`, maxDepth+1) + `1` + strings.Repeat(`]`, maxDepth+1)
	var wide strings.Builder
	wide.WriteString("{")
	for i := 0; i < maxStructFields; i++ {
		if i > 0 {
			wide.WriteString(",")
		}
		wide.WriteString(`"m` + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + `_` + string(rune('0'+i/26%10)) + string(rune('0'+i/260)) + `":1`)
	}
	wide.WriteString("}")
	docs := []*pipeline.Document{
		doc("1", "t", "en", nil,
			"deep", deep,
			"deeper", deeper,
			"odd", `{"a.b": 1, "with space": "x", "ünï": true, "list": [null, null]}`,
			"nulls", `[null]`,
			"wide", wide.String(),
		),
		doc("2", "t", "en", nil, "odd", `{"a.b": 2.5}`, "nulls", `[]`),
	}
	want := []map[string]any{expected(t, docs[0], ""), expected(t, docs[1], "")}
	for _, format := range []Format{Parquet, JSONL, Arrow} {
		dir := t.TempDir()
		writeAll(t, dir, Options{Format: format}, docs)
		path := filepath.Join(dir, "lang=en/part-00000-00000"+format.ext())
		rows := readAny(t, path)
		if format == Parquet {
			got := readParquetGo(t, path)
			for i := range want {
				if !looseEqual(got[i], normalize(t, want[i])) {
					t.Errorf("parquet-go row %d: got %v", i, got[i])
				}
			}
		}
		for i := range want {
			if !looseEqual(rows[i], normalize(t, want[i])) {
				t.Errorf("%s row %d: got %v", format, i, rows[i])
			}
		}
	}
}
