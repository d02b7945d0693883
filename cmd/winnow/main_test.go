package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/klauspost/compress/zstd"

	"github.com/winnow-data/winnow/pipeline"
)

// sampleDir is the quick start's input.
const sampleDir = "../../testdata/sample"

// winnow runs the CLI in-process and returns its exit status and stderr.
func winnow(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String() + stderr.String()
}

// expected reads the sample inputs independently of pipeline/input:
// id → text, as a reader of the source files would see them.
func expected(t *testing.T, dir string) map[string]string {
	t.Helper()
	want := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(p, ".gz"):
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				return err
			}
			raw, err = io.ReadAll(zr)
			if err != nil {
				return err
			}
		case strings.HasSuffix(p, ".zst"):
			zr, err := zstd.NewReader(nil)
			if err != nil {
				return err
			}
			raw, err = zr.DecodeAll(raw, nil)
			if err != nil {
				return err
			}
		}
		switch {
		case strings.Contains(p, ".jsonl") || strings.HasSuffix(p, ".ndjson"):
			sc := bufio.NewScanner(bytes.NewReader(raw))
			sc.Buffer(nil, 1<<24)
			for sc.Scan() {
				var r struct{ ID, Text string }
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					return err
				}
				want[r.ID] = r.Text
			}
		case strings.HasSuffix(p, ".parquet"):
			for id, text := range readParquet(t, p, "id", "text") {
				want[id] = text
			}
		case strings.HasSuffix(p, ".txt"):
			rel, _ := filepath.Rel(sampleDir, p)
			want["txt:"+filepath.ToSlash(rel)] = string(raw)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// readParquet returns key column → value column of one Parquet file,
// read with arrow-go.
func readParquet(t *testing.T, path, key, val string) map[string]string {
	t.Helper()
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 1024}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	out := map[string]string{}
	tr := array.NewTableReader(tbl, 1024)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		ki, vi := rec.Schema().FieldIndices(key), rec.Schema().FieldIndices(val)
		if len(ki) == 0 || len(vi) == 0 {
			t.Fatalf("%s: no %s/%s columns in %v", path, key, val, rec.Schema())
		}
		k := rec.Column(ki[0]).(*array.String)
		v := rec.Column(vi[0]).(*array.String)
		for i := range k.Len() {
			if _, dup := out[k.Value(i)]; dup {
				t.Errorf("%s: id %s twice", path, k.Value(i))
			}
			out[k.Value(i)] = v.Value(i)
		}
	}
	return out
}

// shards lists the output's Parquet shards.
func shards(t *testing.T, out string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(out, "lang=*", "*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func readStats(t *testing.T, path string) pipeline.Stats {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s pipeline.Stats
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	return s
}

// The quick start's conversion: every sample document comes out once,
// its text unchanged, and the accounting balances.
func TestRunConvertsSampleLosslessly(t *testing.T) {
	out := t.TempDir()
	code, msg := winnow(t, "run", sampleDir, "-o", out, "--only", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	want := expected(t, sampleDir)
	got := map[string]string{}
	for _, f := range shards(t, out) {
		for id, text := range readParquet(t, f, "id", "text") {
			if _, dup := got[id]; dup {
				t.Errorf("id %s in two shards", id)
			}
			got[id] = text
		}
	}
	// Text files have derived ids: match them by text.
	var txt []string
	for id, text := range want {
		if strings.HasPrefix(id, "txt:") {
			txt = append(txt, text)
			delete(want, id)
		}
	}
	for id, text := range want {
		if got[id] != text {
			t.Errorf("id %s: text %.40q, want %.40q", id, got[id], text)
		}
		delete(got, id)
	}
	var rest []string
	for _, text := range got {
		rest = append(rest, text)
	}
	slices.Sort(rest)
	slices.Sort(txt)
	if !slices.Equal(rest, txt) {
		t.Errorf("text-file documents: got %d, want %d", len(rest), len(txt))
	}
	s := readStats(t, filepath.Join(out, "stats.json"))
	if s.DocsIn != 392 || s.DocsOut != 392 || len(s.InputErrors) != 0 || s.Files != 16 {
		t.Errorf("stats: in=%d out=%d files=%d errors=%v", s.DocsIn, s.DocsOut, s.Files, s.InputErrors)
	}
	if !strings.Contains(msg, "392 documents in") {
		t.Errorf("summary missing: %s", msg)
	}
}

func TestRunLZ4Compression(t *testing.T) {
	out := t.TempDir()
	if code, msg := winnow(t, "run", sampleDir+"/forum.ndjson", "-o", out, "--only", "none", "--compression", "lz4"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	want := expected(t, sampleDir+"/forum.ndjson")
	got := readParquet(t, shards(t, out)[0], "id", "text")
	if len(got) != len(want) || got["forum-0001"] != want["forum-0001"] {
		t.Errorf("lz4 shard: %d docs, want %d", len(got), len(want))
	}
	if code, _ := winnow(t, "run", sampleDir, "-o", t.TempDir(), "--compression", "brotli"); code != exitUsage {
		t.Errorf("unknown codec: exit %d", code)
	}
}

func TestRunIsDeterministicAcrossWorkers(t *testing.T) {
	var ref map[string][]byte
	for _, w := range []string{"1", "2", "5"} {
		out := t.TempDir()
		if code, msg := winnow(t, "run", sampleDir, "-o", out, "--only", "none", "--workers", w, "--quiet"); code != 0 {
			t.Fatalf("exit %d: %s", code, msg)
		}
		got := map[string][]byte{}
		for _, f := range shards(t, out) {
			rel, _ := filepath.Rel(out, f)
			got[rel], _ = os.ReadFile(f)
		}
		if ref == nil {
			ref = got
			continue
		}
		if len(got) != len(ref) {
			t.Fatalf("workers %s: %d shards, want %d", w, len(got), len(ref))
		}
		for name, b := range ref {
			if !bytes.Equal(got[name], b) {
				t.Errorf("workers %s: %s differs", w, name)
			}
		}
	}
}

func TestRunDamagedInputsExit3KeepingIntactRecords(t *testing.T) {
	out := t.TempDir()
	code, msg := winnow(t, "run", "../../testdata/damaged", "-o", out, "--only", "none")
	if code != exitDamaged {
		t.Fatalf("exit %d, want 3: %s", code, msg)
	}
	s := readStats(t, filepath.Join(out, "stats.json"))
	var files []string
	for _, e := range s.InputErrors {
		files = append(files, filepath.Base(e.File))
	}
	slices.Sort(files)
	if !slices.Equal(files, []string{"garbage.jsonl.zst", "truncated.jsonl.gz"}) {
		t.Errorf("input errors name %v", files)
	}
	// garbage.jsonl.zst keeps all 40, malformed.jsonl 10 good of 12,
	// truncated.jsonl.gz whatever precedes the cut.
	if s.Errored["input.malformed_json"] != 2 || s.DocsOut < 50 {
		t.Errorf("errored %v, out %d", s.Errored, s.DocsOut)
	}
	if !strings.Contains(msg, "truncated.jsonl.gz") {
		t.Errorf("message does not name the damaged file: %s", msg)
	}
}

func TestRunFineTuningRecords(t *testing.T) {
	out := t.TempDir()
	code, msg := winnow(t, "run", "../../testdata/sft", "-o", out, "--only", "none", "--text-field", "instruction,response,messages")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	files := shards(t, out)
	if len(files) != 1 {
		t.Fatalf("shards %v", files)
	}
	rdr, err := file.OpenParquetFile(files[0], false)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := fr.Schema()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"instruction", "response", "messages", "conversation_id", "turns"} {
		if len(schema.FieldIndices(name)) == 0 {
			t.Errorf("column %s missing from %v", name, schema)
		}
	}
	if f, ok := schema.FieldsByName("messages"); ok && f[0].Type.ID() != arrow.LIST {
		t.Errorf("messages is %v, want a list", f[0].Type)
	}
	texts := readParquet(t, files[0], "id", "text")
	if len(texts) != 24 {
		t.Errorf("%d records, want 24", len(texts))
	}
	for _, text := range texts {
		if !strings.Contains(text, "\n\n") {
			t.Errorf("text not joined from several fields: %q", text)
		}
	}
}

func TestRunJSONLOutput(t *testing.T) {
	out := t.TempDir()
	if code, msg := winnow(t, "run", sampleDir+"/forum.ndjson", "-o", out, "--only", "none", "--output-format", "jsonl"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	files, _ := filepath.Glob(filepath.Join(out, "lang=und", "*.jsonl.zst"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	raw, _ := os.ReadFile(files[0])
	zr, _ := zstd.NewReader(nil)
	plain, err := zr.DecodeAll(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := expected(t, sampleDir+"/forum.ndjson")
	n := 0
	for line := range bytes.Lines(plain) {
		var r struct {
			ID, Text string
			Meta     map[string]any
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		if want[r.ID] != r.Text || r.Meta["crawl"] != "CC-SAMPLE-2024" {
			t.Errorf("record %s differs", r.ID)
		}
		n++
	}
	if n != 60 {
		t.Errorf("%d records, want 60", n)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"run", sampleDir},
		{"run", sampleDir, "-o", t.TempDir(), "--only", "no_such_stage"},
		{"run", sampleDir, "-o", t.TempDir(), "--task", "3", "--tasks", "2"},
		{"run", "no/such/input", "-o", t.TempDir()},
		{"run", sampleDir, "-o", t.TempDir(), "--bogus-flag"},
		{"run", sampleDir, "-o", t.TempDir(), "--config", "no-such.yaml"},
	} {
		if code, msg := winnow(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2: %s", args, code, msg)
		}
	}
}

func TestConfigFileAndFlagOverride(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "winnow.yaml")
	os.WriteFile(cfg, []byte("only: [none]\noutput:\n  format: jsonl\n  max_shard_bytes: 1000\n"), 0o644)
	out := filepath.Join(dir, "out")
	if code, msg := winnow(t, "run", sampleDir+"/forum.ndjson", "-o", out, "--config", cfg, "--output-format", "parquet", "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	// The flag chose parquet; the file's shard size rotated it often.
	if n := len(shards(t, out)); n < 5 {
		t.Errorf("%d shards, want many small ones", n)
	}
	os.WriteFile(cfg, []byte("ony: [none]\n"), 0o644)
	if code, _ := winnow(t, "run", sampleDir, "-o", out, "--config", cfg); code != exitUsage {
		t.Errorf("misspelt key: exit %d, want 2", code)
	}
}

func TestVersionAndStages(t *testing.T) {
	if code, msg := winnow(t, "version"); code != 0 || !strings.HasPrefix(msg, "winnow ") {
		t.Errorf("version: %d %q", code, msg)
	}
	if code, _ := winnow(t, "stages"); code != 0 {
		t.Errorf("stages: exit %d", code)
	}
}

// A shard of an earlier run is valid input: its language partitions and
// provenance survive a second run, so runs can be chained.
func TestChainedRunsKeepLanguageAndSource(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "first.jsonl")
	os.WriteFile(in, []byte(`{"id":"a","text":"Guten Tag","lang":"de","lang_score":0.97,"source":"crawl.warc.gz#7"}`+"\n"+
		`{"id":"b","text":"Bonjour","lang":"fr","lang_score":0.91}`+"\n"), 0o644)
	first, second := filepath.Join(dir, "first"), filepath.Join(dir, "second")
	if code, msg := winnow(t, "run", in, "-o", first, "--only", "none", "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if code, msg := winnow(t, "run", first, "-o", second, "--only", "none", "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	for _, tc := range []struct{ lang, id, source string }{{"de", "a", "crawl.warc.gz#7"}, {"fr", "b", in + "#1"}} {
		files, _ := filepath.Glob(filepath.Join(second, "lang="+tc.lang, "*.parquet"))
		if len(files) != 1 {
			t.Fatalf("lang=%s: %v", tc.lang, files)
		}
		if got := readParquet(t, files[0], "id", "source"); got[tc.id] != tc.source {
			t.Errorf("lang=%s: source %q, want %q", tc.lang, got[tc.id], tc.source)
		}
	}
}

// A crawl becomes clean text with url, date and title; a damaged crawl
// keeps its intact records and exits 3.
func TestRunWARC(t *testing.T) {
	const dir = "../../pipeline/input/warc/testdata/"
	out := t.TempDir()
	code, msg := winnow(t, "run", dir+"sample.warc.gz", "-o", out, "--only", "extract", "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	s := readStats(t, filepath.Join(out, "stats.json"))
	if s.DocsOut == 0 || len(s.Skipped) == 0 {
		t.Errorf("kept %d, skipped %v", s.DocsOut, s.Skipped)
	}
	for _, f := range shards(t, out) {
		for url, text := range readParquet(t, f, "url", "text") {
			if !strings.HasPrefix(url, "http") || strings.Contains(text, "<") || strings.Contains(text, "](") {
				t.Errorf("%s: text not clean: %.80q", url, text)
			}
		}
		if titles := readParquet(t, f, "url", "title"); len(titles) == 0 {
			t.Errorf("no title column in %s", f)
		}
	}
	out2 := t.TempDir()
	code, msg = winnow(t, "run", dir+"sample-damaged.warc.gz", "-o", out2, "--only", "extract")
	if code != exitDamaged {
		t.Fatalf("damaged crawl: exit %d, want 3: %s", code, msg)
	}
	if s := readStats(t, filepath.Join(out2, "stats.json")); s.DocsOut == 0 || len(s.InputErrors) == 0 {
		t.Errorf("damaged crawl: kept %d, input errors %v", s.DocsOut, s.InputErrors)
	}
}

// The README's stage table is generated from the stages' declarations;
// this keeps it current.
func TestReadmeStagesTableIsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	writeStagesMarkdown(&table)
	if !bytes.Contains(readme, table.Bytes()) {
		t.Error("README.md's stage table is out of date: paste the output of `winnow stages --markdown` between the stages markers")
	}
}

// The README's table of stage columns is generated from the stages'
// declarations (winnow stages --columns); this keeps it current.
func TestReadmeColumnsTableIsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := writeColumnsMarkdown(&table); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("<!-- columns -->\n"+table.String()+"<!-- /columns -->")) {
		t.Error("README.md's column table is out of date: paste the output of `winnow stages --columns` between the columns markers")
	}
}
