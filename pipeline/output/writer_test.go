package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/winnow-data/winnow/pipeline"
)

func sig(kv ...any) []pipeline.Signal {
	var s []pipeline.Signal
	for i := 0; i+1 < len(kv); i += 2 {
		s = append(s, pipeline.Signal{Name: kv[i].(string), Value: kv[i+1].(float64)})
	}
	return s
}

// mixedDocs covers signals, nested fields, chat turns, nulls, unicode and
// names that shadow canonical columns or signals.
func mixedDocs() []*pipeline.Document {
	a := doc("a", "hello world", "en", sig("q.words", 2.0, "q.ratio", 0.5),
		"meta", `{"n": 1, "tags": ["x", "y"], "nested": {"b": true}}`,
		"messages", `[{"role":"user","content":"hi"},{"role":"assistant","content":"h\u00e9 \ud83d\ude00"}]`,
		"count", `3`,
		"title", `"x\"y\\z\n"`)
	a.URL = "https://example.com/a"
	b := doc("b", "日本語のテキスト\u0000 with NUL", "", sig("q.words", 7.0),
		"meta", ` {"n": 2.5, "extra": null, "tags": []} `,
		"messages", `[]`,
		"title", `null`)
	c := doc("c", "Grüße aus Köln", "de", nil,
		"text", `"shadowed by the canonical column"`,
		"q.words", `99`,
		"count", `-9223372036854775808`,
		"nothing", `null`)
	e := doc("e", "more english", "en", sig("q.ratio", 0.25),
		"messages", `[{"role":"user","content":"second","name":"bob"}]`,
		"meta", `{"tags": ["z"], "nested": {"b": false, "deep": [[1, 2], [3]]}}`)
	return []*pipeline.Document{a, b, c, e}
}

func writeAll(t *testing.T, dir string, opts Options, batches ...[]*pipeline.Document) *Writer {
	t.Helper()
	w, err := New(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w
}

func wantByLang(t *testing.T, docs []*pipeline.Document) map[string][]map[string]any {
	want := map[string][]map[string]any{}
	for _, d := range docs {
		code := langCode(d.Lang)
		want[code] = append(want[code], expected(t, d, ""))
	}
	return want
}

func TestRoundTripParquet(t *testing.T) {
	dir := t.TempDir()
	docs := mixedDocs()
	w := writeAll(t, dir, Options{}, docs)

	files := listFiles(t, dir)
	wantFiles := []string{
		"lang=de/part-00000-00000.parquet",
		"lang=en/part-00000-00000.parquet",
		"lang=und/part-00000-00000.parquet",
	}
	if !reflect.DeepEqual(files, wantFiles) {
		t.Fatalf("files %v, want %v", files, wantFiles)
	}
	want := wantByLang(t, docs)
	for _, fi := range w.Files() {
		code := strings.TrimPrefix(fi.Partition, "lang=")
		path := filepath.Join(dir, fi.Path)
		rows, sch := readParquetArrow(t, path)
		compareRows(t, fi.Path+" (pqarrow)", rows, want[code])
		compareRows(t, fi.Path+" (parquet-go)", readParquetGo(t, path), want[code])
		if fi.Rows != int64(len(want[code])) {
			t.Errorf("%s: FileInfo.Rows %d, want %d", fi.Path, fi.Rows, len(want[code]))
		}
		st, _ := os.Stat(path)
		if fi.Bytes != st.Size() {
			t.Errorf("%s: FileInfo.Bytes %d, file has %d", fi.Path, fi.Bytes, st.Size())
		}
		if code == "en" {
			checkEnglishSchema(t, sch)
		}
	}
}

// checkEnglishSchema checks column order and inferred types.
func checkEnglishSchema(t *testing.T, sch *arrow.Schema) {
	t.Helper()
	var names []string
	for _, f := range sch.Fields() {
		names = append(names, f.Name)
	}
	wantNames := []string{"id", "text", "url", "lang", "lang_score", "source", "q", "meta", "messages", "count", "title", "q.words", "nothing", "extra"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("columns %v, want %v", names, wantNames)
	}
	types := map[string]string{
		"meta":     "struct<n: float64 nullable, tags: list<element: utf8, nullable> nullable, nested: struct<b: bool nullable, deep: list<element: list<element: int64, nullable>, nullable> nullable> nullable, extra: utf8 nullable>",
		"messages": "list<element: struct<role: utf8 nullable, content: utf8 nullable, name: utf8 nullable>, nullable>",
		"count":    "int64",
		"title":    "utf8",
		"q":        "struct<words: float64 nullable, ratio: float64 nullable>",
		"q.words":  "int64", // a field with a dot, beside the signal group q
		"nothing":  "utf8",  // only nulls seen: JSON text
		"extra":    "utf8",
	}
	for name, want := range types {
		f, ok := sch.FieldsByName(name)
		if !ok {
			t.Errorf("no column %s", name)
			continue
		}
		if got := f[0].Type.String(); got != want {
			t.Errorf("column %s: type %s, want %s", name, got, want)
		}
	}
}

func TestRoundTripFormats(t *testing.T) {
	for _, format := range []Format{JSONL, Arrow} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			docs := mixedDocs()
			w := writeAll(t, dir, Options{Format: format}, docs)
			want := wantByLang(t, docs)
			if len(w.Files()) != 3 {
				t.Fatalf("files %v", w.Files())
			}
			for _, fi := range w.Files() {
				if !strings.HasSuffix(fi.Path, format.ext()) {
					t.Errorf("%s: want extension %s", fi.Path, format.ext())
				}
				code := strings.TrimPrefix(fi.Partition, "lang=")
				compareRows(t, fi.Path, readAny(t, filepath.Join(dir, fi.Path)), want[code])
			}
		})
	}
}

func TestRejected(t *testing.T) {
	for _, format := range []Format{Parquet, JSONL, Arrow} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			w, err := New(dir, Options{Format: format, Rejected: true, Task: 7})
			if err != nil {
				t.Fatal(err)
			}
			// A record's own "reason" field (fine-tuning data has them)
			// passes through to kept shards; in rejected ones winnow's
			// reason takes the name.
			kept := doc("k", "kept", "en", nil, "reason", `"because the sky is blue"`)
			r1 := doc("r1", "short", "en", sig("q.words", 1.0), "meta", `{"x":1}`, "reason", `"mine"`)
			r2 := doc("r2", "dup", "", nil)
			if err := w.Write([]*pipeline.Document{kept}); err != nil {
				t.Fatal(err)
			}
			if err := w.Reject([]*pipeline.Document{r1, r2}, []string{"gopher_quality.too_few_words", "exact_dedup.duplicate"}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			ext := format.ext()
			wantFiles := []string{"lang=en/part-00007-00000" + ext, "rejected/part-00007-00000" + ext}
			if got := listFiles(t, dir); !reflect.DeepEqual(got, wantFiles) {
				t.Fatalf("files %v, want %v", got, wantFiles)
			}
			compareRows(t, "kept", readAny(t, filepath.Join(dir, wantFiles[0])), []map[string]any{expected(t, kept, "")})
			if row := readAny(t, filepath.Join(dir, wantFiles[0])); len(row) != 1 || row[0]["reason"] != "because the sky is blue" {
				t.Errorf("kept row %v lost its own reason field", row)
			}
			got := readAny(t, filepath.Join(dir, wantFiles[1]))
			compareRows(t, "rejected", got, []map[string]any{
				expected(t, r1, "gopher_quality.too_few_words"),
				expected(t, r2, "exact_dedup.duplicate"),
			})
		})
	}
}

func TestRejectedIgnoredByDefault(t *testing.T) {
	dir := t.TempDir()
	w, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Reject([]*pipeline.Document{doc("r", "x", "en", nil)}, []string{"a.b"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := listFiles(t, dir); len(got) != 0 {
		t.Fatalf("files %v, want none", got)
	}
}

// manyDocs returns n English documents of about size bytes of text each.
func manyDocs(n, size int) []*pipeline.Document {
	docs := make([]*pipeline.Document, n)
	for i := range docs {
		text := strings.Repeat(fmt.Sprintf("word%d ", i%97), size/6)
		docs[i] = doc(fmt.Sprintf("d%05d", i), text, "en", sig("q.words", float64(i)), "n", fmt.Sprint(i))
	}
	return docs
}

func TestRotationBySize(t *testing.T) {
	for _, format := range []Format{Parquet, JSONL, Arrow} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			docs := manyDocs(200, 1000)
			var batches [][]*pipeline.Document
			for i := 0; i < len(docs); i += 17 {
				batches = append(batches, docs[i:min(i+17, len(docs))])
			}
			w := writeAll(t, dir, Options{Format: format, MaxShardBytes: 30_000, RowGroupBytes: 8_000}, batches...)
			files := w.Files()
			if len(files) < 5 {
				t.Fatalf("%d shards, want several", len(files))
			}
			var rows []map[string]any
			for i, fi := range files {
				if want := fmt.Sprintf("lang=en/part-00000-%05d%s", i, format.ext()); fi.Path != want {
					t.Errorf("shard %d is %s, want %s", i, fi.Path, want)
				}
				if fi.DataBytes < 30_000 && i < len(files)-1 {
					t.Errorf("%s: rotated at %d bytes, before the limit", fi.Path, fi.DataBytes)
				}
				got := readAny(t, filepath.Join(dir, fi.Path))
				if int64(len(got)) != fi.Rows {
					t.Errorf("%s: %d rows, FileInfo says %d", fi.Path, len(got), fi.Rows)
				}
				rows = append(rows, got...)
			}
			want := make([]map[string]any, len(docs))
			for i, d := range docs {
				want[i] = expected(t, d, "")
			}
			compareRows(t, "all shards", rows, want)
		})
	}
}

// TestSchemaFixedBySample checks that the first row group fixes the
// schema: a field is typed from the documents buffered until then (the
// sample), every later shard keeps that type, and a later value that
// does not fit goes, unaltered, to the extra column.
func TestSchemaFixedBySample(t *testing.T) {
	cases := []struct {
		name    string
		batches [][]string // raw values of field f per document per batch
		typ     string     // type of f in every shard
		inExtra []bool     // per document: its f was written to extra
	}{
		{"same type", [][]string{{`1`}, {`2`}}, "int64", []bool{false, false}},
		{"int then float in the sample widens", [][]string{{`1`, `2.5`}}, "float64", []bool{false, false}},
		{"int then float later goes to extra", [][]string{{`1`}, {`2.5`}}, "int64", []bool{false, true}},
		{"float then int fits", [][]string{{`1.5`}, {`2`}}, "float64", []bool{false, false}},
		{"string and object in the sample: JSON text", [][]string{{`"s"`, `{"a":1}`}}, "utf8", []bool{false, false}},
		{"string then object later", [][]string{{`"s"`}, {`{"a":1}`}}, "utf8", []bool{false, true}},
		{"only null in the sample: JSON text", [][]string{{`null`}, {`"s"`}}, "utf8", []bool{false, false}},
		{"new struct member later", [][]string{{`{"a":1}`}, {`{"b":"x"}`}}, "struct<a: int64 nullable>", []bool{false, true}},
		{"empty list then ints: list of JSON text", [][]string{{`[]`}, {`[1]`}}, "list<element: utf8, nullable>", []bool{false, false}},
		{"empty object", [][]string{{`{}`}}, "utf8", []bool{false}},
		{"invalid JSON kept as text", [][]string{{`{"a":`}}, "utf8", []bool{false}},
		{"big integer in the sample: JSON text", [][]string{{`123456789012345678901234567890`, `1`}}, "utf8", []bool{false, false}},
		{"big integer later: extra", [][]string{{`1`}, {`123456789012345678901234567890`}}, "int64", []bool{false, true}},
		{"beyond double in the sample: JSON text", [][]string{{`1.5`, `1e999999`}}, "utf8", []bool{false, false}},
		{"beyond double later: extra", [][]string{{`1.5`}, {`1e999999`}, {`-1e-999999`}}, "float64", []bool{false, true, true}},
		{"int beyond 2^53 never becomes double", [][]string{{`9007199254740993`, `0.5`}}, "utf8", []bool{false, false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := New(dir, Options{MaxShardBytes: 1})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			var all []string
			for _, vals := range tc.batches {
				var batch []*pipeline.Document
				for _, v := range vals {
					batch = append(batch, doc(fmt.Sprint(n), "t", "en", nil, "f", v))
					all = append(all, v)
					n++
				}
				// Buffer the batch, then write it as one row group.
				w.opts.MaxShardBytes = 1 << 30
				if err := w.Write(batch); err != nil {
					t.Fatal(err)
				}
				if err := w.flush(w.parts["en"]); err != nil {
					t.Fatal(err)
				}
				if err := w.closeShard(w.parts["en"]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			files := w.Files()
			if len(files) != len(tc.batches) {
				t.Fatalf("%d shards, want %d", len(files), len(tc.batches))
			}
			var raw []map[string]any
			for i, fi := range files {
				path := filepath.Join(dir, fi.Path)
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				pf, err := file.NewParquetReader(f)
				if err != nil {
					t.Fatal(err)
				}
				r, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
				if err != nil {
					t.Fatal(err)
				}
				sch, err := r.Schema()
				if err != nil {
					t.Fatal(err)
				}
				pf.Close()
				if ff, _ := sch.FieldsByName("f"); len(ff) != 1 || ff[0].Type.String() != tc.typ {
					t.Errorf("shard %d: f is %v, want %s", i, ff, tc.typ)
				}
				raw = append(raw, rawRows(t, path)...)
			}
			for i, v := range all {
				row := raw[i]
				ext, _ := row["extra"].(string)
				if tc.inExtra[i] {
					if row["f"] != nil || ext != `{"f":`+v+`}` {
						t.Errorf("row %d: f %v, extra %q; want %s in extra", i, row["f"], ext, v)
					}
				} else if ext != "" {
					t.Errorf("row %d: extra %q, want f in its column", i, ext)
				}
			}
		})
	}
}

// rawRows reads a Parquet shard without merging its extra column.
func rawRows(t *testing.T, path string) []map[string]any {
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
		var buf bytes.Buffer
		if err := array.RecordToJSON(tr.RecordBatch(), &buf); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var m map[string]any
			dec := json.NewDecoder(strings.NewReader(line))
			dec.UseNumber() // integers beyond 2^53 stay exact
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, m)
		}
	}
	return rows
}

func TestJSONTextColumnKeepsValues(t *testing.T) {
	dir := t.TempDir()
	docs := []*pipeline.Document{
		doc("1", "t", "en", nil, "f", `"s"`),
		doc("2", "t", "en", nil, "f", `{"a": [1, {"b": null}]}`),
		doc("3", "t", "en", nil, "f", `null`),
		doc("4", "t", "en", nil, "f", `{"a":`),
	}
	writeAll(t, dir, Options{}, docs)
	rows, _ := readParquetArrow(t, filepath.Join(dir, "lang=en/part-00000-00000.parquet"))
	want := []any{`"s"`, `{"a": [1, {"b": null}]}`, nil, `{"a":`}
	for i, w := range want {
		if got := rows[i]["f"]; got != w {
			t.Errorf("row %d: f = %#v, want %#v", i, got, w)
		}
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	for _, format := range []Format{Parquet, JSONL, Arrow} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			w, err := New(dir, Options{Format: format, MaxShardBytes: 20_000, RowGroupBytes: 5_000, Rejected: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(manyDocs(60, 1000)); err != nil {
				t.Fatal(err)
			}
			if err := w.Reject(manyDocs(3, 10), []string{"a.b", "a.b", "a.c"}); err != nil {
				t.Fatal(err)
			}
			if len(listFiles(t, dir)) == 0 {
				t.Fatal("expected temporary files before Abort")
			}
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			if got := listFiles(t, dir); len(got) != 0 {
				t.Fatalf("files after Abort: %v", got)
			}
			if err := w.Write(manyDocs(1, 10)); err == nil {
				t.Fatal("Write after Abort succeeded")
			}
		})
	}
}

func TestNoVisibleShardBeforeClose(t *testing.T) {
	dir := t.TempDir()
	w, err := New(dir, Options{MaxShardBytes: 20_000, RowGroupBytes: 5_000})
	if err != nil {
		t.Fatal(err)
	}
	docs := manyDocs(100, 1000)
	for i := 0; i < len(docs); i += 10 {
		if err := w.Write(docs[i : i+10]); err != nil {
			t.Fatal(err)
		}
		for _, f := range listFiles(t, dir) {
			if base := f[strings.LastIndex(f, "/")+1:]; !strings.HasPrefix(base, ".") || !strings.HasSuffix(base, ".tmp") {
				t.Fatalf("visible file %s before Close", f)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range listFiles(t, dir) {
		if strings.HasSuffix(f, ".tmp") {
			t.Fatalf("temporary file %s after Close", f)
		}
	}
	if len(w.Files()) < 5 {
		t.Fatalf("want several shards, got %d", len(w.Files()))
	}
}

func TestDeterministic(t *testing.T) {
	for _, format := range []Format{Parquet, JSONL, Arrow} {
		t.Run(string(format), func(t *testing.T) {
			run := func() map[string][]byte {
				dir := t.TempDir()
				docs := append(mixedDocs(), manyDocs(300, 500)...)
				opts := Options{Format: format, MaxShardBytes: 50_000, RowGroupBytes: 10_000, MaxBufferedBytes: 15_000}
				writeAll(t, dir, opts, docs[:7], docs[7:100], docs[100:])
				out := map[string][]byte{}
				for _, f := range listFiles(t, dir) {
					b, err := os.ReadFile(filepath.Join(dir, f))
					if err != nil {
						t.Fatal(err)
					}
					out[f] = b
				}
				return out
			}
			a, b := run(), run()
			if len(a) < 3 || len(a) != len(b) {
				t.Fatalf("runs wrote %d and %d files", len(a), len(b))
			}
			for name, data := range a {
				if !bytes.Equal(data, b[name]) {
					t.Errorf("%s differs between runs", name)
				}
			}
		})
	}
}

func TestMemoryCapFlushesLargest(t *testing.T) {
	dir := t.TempDir()
	w, err := New(dir, Options{RowGroupBytes: 1 << 20, MaxBufferedBytes: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	var docs []*pipeline.Document
	for i := 0; i < 40; i++ {
		lang := []string{"en", "de", "fr"}[i%3]
		if i%3 == 0 {
			docs = append(docs, doc(fmt.Sprint(i), strings.Repeat("x", 900), lang, nil))
		} else {
			docs = append(docs, doc(fmt.Sprint(i), "short", lang, nil))
		}
	}
	if err := w.Write(docs); err != nil {
		t.Fatal(err)
	}
	if w.buffered > 10_000 {
		t.Fatalf("buffered %d bytes, cap 10000", w.buffered)
	}
	if w.parts["en"].shard == nil || w.parts["de"].shard != nil {
		t.Fatalf("want the largest partition (en) flushed, not de")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOptions(t *testing.T) {
	if _, err := New(t.TempDir(), Options{Format: "csv"}); err == nil {
		t.Error("unknown format accepted")
	}
	if _, err := New(t.TempDir(), Options{Task: -1}); err == nil {
		t.Error("negative task accepted")
	}
	w, err := New(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Reject([]*pipeline.Document{doc("a", "b", "en", nil)}, nil); err != nil {
		t.Errorf("Reject without Options.Rejected: %v", err)
	}
}

func TestLangCode(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "und",
		"en":                    "en",
		"deu":                   "deu",
		"EN":                    "en",
		"De":                    "de",
		"zh-Hant":               "und",
		"../etc":                "und",
		"../../evil":            "und",
		"a/b":                   "und",
		"x y":                   "und",
		"rejected":              "und",
		"_launch":               "und",
		"-":                     "und",
		"e":                     "und",
		"é":                     "und",
		strings.Repeat("a", 33): "und",
	} {
		if got := langCode(in); got != want {
			t.Errorf("langCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// The engine reuses documents after Write returns: field bytes must have
// been copied.
func TestDocumentsReusedAfterWrite(t *testing.T) {
	dir := t.TempDir()
	w, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	buf := []byte(`{"a": "first"}`)
	d := doc("1", "text one", "en", sig("s", 1.0))
	d.Fields = []pipeline.Field{{Name: "f", Value: buf}}
	if err := w.Write([]*pipeline.Document{d}); err != nil {
		t.Fatal(err)
	}
	copy(buf, `{"a": "XXXXX"}`)
	d.Reset()
	d.ID, d.Text, d.Lang = "2", "text two", "en"
	d.Fields = append(d.Fields, pipeline.Field{Name: "f", Value: buf})
	if err := w.Write([]*pipeline.Document{d}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rows, _ := readParquetArrow(t, filepath.Join(dir, "lang=en/part-00000-00000.parquet"))
	compareRows(t, "reused", rows, []map[string]any{
		{"id": "1", "text": "text one", "lang": "en", "lang_score": 0.5, "source": "in.jsonl#1", "s": 1.0, "f": map[string]any{"a": "first"}},
		{"id": "2", "text": "text two", "lang": "en", "lang_score": 0.0, "source": "", "f": map[string]any{"a": "XXXXX"}},
	})
}

// memStorage keeps files in memory, standing in for an object store.
type memStorage struct{ files map[string]*bytes.Buffer }

type memFile struct{ *bytes.Buffer }

func (memFile) Close() error { return nil }

func (m *memStorage) Create(name string) (io.WriteCloser, error) {
	b := &bytes.Buffer{}
	m.files[name] = b
	return memFile{b}, nil
}

func (m *memStorage) Rename(from, to string) error {
	b, ok := m.files[from]
	if !ok {
		return fmt.Errorf("%s: %w", from, os.ErrNotExist)
	}
	delete(m.files, from)
	m.files[to] = b
	return nil
}

func (m *memStorage) Remove(name string) error { delete(m.files, name); return nil }

func TestStorageInterface(t *testing.T) {
	st := &memStorage{files: map[string]*bytes.Buffer{}}
	w, err := NewStorage(st, Options{Format: JSONL, Task: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(mixedDocs()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range st.files {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{"lang=de/part-00003-00000.jsonl.zst", "lang=en/part-00003-00000.jsonl.zst", "lang=und/part-00003-00000.jsonl.zst"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
}

func TestInvalidUTF8Repaired(t *testing.T) {
	docs := []*pipeline.Document{
		doc("id\xfe", "a\xffb", "en", nil, "f", "\"x\xffy\"", "g", "{\"k\": \"\xc3\"}"),
	}
	want := []map[string]any{{
		"id": "id\uFFFD", "text": "a\uFFFDb", "lang": "en", "lang_score": 0.5, "source": "in.jsonl#id\uFFFD",
		"f": "x\uFFFDy", "g": map[string]any{"k": "\uFFFD"},
	}}
	for _, format := range []Format{Parquet, JSONL, Arrow} {
		dir := t.TempDir()
		writeAll(t, dir, Options{Format: format}, docs)
		path := filepath.Join(dir, "lang=en/part-00000-00000"+format.ext())
		compareRows(t, string(format), readAny(t, path), want)
		if format == Parquet {
			compareRows(t, "parquet-go", readParquetGo(t, path), want)
		}
	}
}
