package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/klauspost/compress/zstd"
	pq "github.com/parquet-go/parquet-go"

	"github.com/winnow-data/winnow/pipeline"
)

// doc builds a document; fields are name, raw JSON pairs.
func doc(id, text, lang string, sigs []pipeline.Signal, fields ...string) *pipeline.Document {
	d := &pipeline.Document{ID: id, Text: text, Lang: lang, LangScore: 0.5, Source: "in.jsonl#" + id, Signals: sigs}
	for i := 0; i+1 < len(fields); i += 2 {
		d.Fields = append(d.Fields, pipeline.Field{Name: fields[i], Value: json.RawMessage(fields[i+1])})
	}
	return d
}

// expected returns the row a reader should see for d, as decoded JSON
// with nulls dropped: canonical columns, signals, fields not shadowed.
func expected(t *testing.T, d *pipeline.Document, reason string) map[string]any {
	t.Helper()
	lang := d.Lang
	if lang == "" {
		lang = "und"
	}
	m := map[string]any{"id": d.ID, "text": d.Text, "lang": lang, "lang_score": d.LangScore, "source": d.Source}
	if d.URL != "" {
		m["url"] = d.URL
	}
	if reason != "" {
		m["reason"] = reason
	}
	for _, s := range d.Signals {
		if isCanonical(s.Name) {
			continue
		}
		g, mem := pipeline.SplitSignal(s.Name)
		if g == "" {
			if _, dup := m[s.Name]; !dup {
				m[s.Name] = s.Value
			}
			continue
		}
		gm, _ := m[g].(map[string]any)
		if gm == nil {
			gm = map[string]any{}
			m[g] = gm
		}
		if _, dup := gm[mem]; !dup {
			gm[mem] = s.Value
		}
	}
	for _, f := range d.Fields {
		if isCanonical(f.Name) {
			continue
		}
		var v any
		if err := json.Unmarshal(f.Value, &v); err != nil {
			t.Fatalf("bad test field %s: %v", f.Name, err)
		}
		if _, dup := m[f.Name]; dup {
			m["extra."+f.Name] = v
			continue
		}
		m[f.Name] = v
	}
	return dropNulls(m).(map[string]any)
}

// mergeExtra moves the members of a row's extra column to the row, as
// expected writes them: signals "g.m" into group g, fields by name (under
// "extra.<name>" when the row has that column already).
func mergeExtra(t *testing.T, row map[string]any) map[string]any {
	t.Helper()
	var ext map[string]any
	switch x := row[ExtraColumn].(type) {
	case string:
		if err := json.Unmarshal([]byte(x), &ext); err != nil {
			t.Fatalf("extra column %q: %v", x, err)
		}
	case map[string]any: // JSON lines
		ext = x
	default:
		return row
	}
	delete(row, ExtraColumn)
	keys := make([]string, 0, len(ext))
	for k := range ext {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := ext[k]
		if g, mem := pipeline.SplitSignal(k); g != "" {
			if _, isNum := v.(float64); isNum {
				gm, isMap := row[g].(map[string]any)
				if row[g] == nil {
					gm, isMap = map[string]any{}, true
					row[g] = gm
				}
				if isMap {
					if _, dup := gm[mem]; !dup {
						gm[mem] = v
						continue
					}
				}
			}
		}
		if _, dup := row[k]; dup {
			row["extra."+k] = v
		} else {
			row[k] = v
		}
	}
	return dropNulls(row).(map[string]any)
}

// dropNulls removes null members of objects, recursively: a reader sees
// an absent struct member as null.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
			} else {
				x[k] = dropNulls(e)
			}
		}
	case []any:
		for i := range x {
			x[i] = dropNulls(x[i])
		}
	}
	return v
}

// normalize round-trips v through JSON so numbers compare as float64.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return dropNulls(out)
}

// recordRows returns the rows of rec as decoded JSON objects.
func recordRows(t *testing.T, rec arrow.RecordBatch) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := array.RecordToJSON(rec, &buf); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, mergeExtra(t, dropNulls(m).(map[string]any)))
	}
	return rows
}

// readParquetArrow reads a Parquet file with arrow-go's pqarrow.
func readParquetArrow(t *testing.T, path string) ([]map[string]any, *arrow.Schema) {
	t.Helper()
	f, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pqarrow.NewFileReader(f, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := r.ReadTable(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, -1)
	defer tr.Release()
	var rows []map[string]any
	for tr.Next() {
		rows = append(rows, recordRows(t, tr.RecordBatch())...)
	}
	return rows, tbl.Schema()
}

// readParquetGo reads a Parquet file with the independent parquet-go
// reader and undoes its spelling of LIST groups ({list: [{element: x}]}).
func readParquetGo(t *testing.T, path string) []map[string]any {
	t.Helper()
	rows, err := pq.ReadFile[any](path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = unlist(normalize(t, r)).(map[string]any)
	}
	return out
}

func unlist(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if l, ok := x["list"]; ok && len(x) == 1 {
			elems, _ := l.([]any)
			out := make([]any, len(elems))
			for i, e := range elems {
				if m, ok := e.(map[string]any); ok {
					out[i] = unlist(m["element"])
				}
			}
			return out
		}
		for k, e := range x {
			x[k] = unlist(e)
		}
	case []any:
		for i := range x {
			x[i] = unlist(x[i])
		}
	}
	return v
}

func readArrowIPC(t *testing.T, path string) ([]map[string]any, *arrow.Schema) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows []map[string]any
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.RecordBatch(i)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, recordRows(t, rec)...)
	}
	return rows, r.Schema()
}

func readJSONL(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if line == "" {
			continue
		}
		if !strings.HasSuffix(line, "\n") {
			t.Fatalf("%s: unterminated last line", path)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %v in %q", path, err, line)
		}
		rows = append(rows, mergeExtra(t, dropNulls(m).(map[string]any)))
	}
	return rows
}

// readAny reads a shard of any format.
func readAny(t *testing.T, path string) []map[string]any {
	t.Helper()
	switch {
	case strings.HasSuffix(path, ".parquet"):
		rows, _ := readParquetArrow(t, path)
		return rows
	case strings.HasSuffix(path, ".arrow"):
		rows, _ := readArrowIPC(t, path)
		return rows
	default:
		return readJSONL(t, path)
	}
}

// listFiles returns every file under dir, slash-separated and sorted.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func compareRows(t *testing.T, what string, got, want []map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		w := normalize(t, want[i])
		if !reflect.DeepEqual(got[i], w) {
			gb, _ := json.Marshal(got[i])
			wb, _ := json.Marshal(w)
			t.Errorf("%s: row %d:\n got %s\nwant %s", what, i, gb, wb)
		}
	}
}
