package main

import (
	"context"
	"encoding/json"
	"fmt"
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

	"github.com/winnow-data/winnow/pipeline/job"
	"github.com/winnow-data/winnow/pipeline/launch"
)

// mixedInput writes, beside the sample, JSON lines of HTML pages and
// plain texts in several languages whose passthrough fields change type
// after the first hundred records (the sample the schema is typed from).
func mixedInput(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	texts := map[string]string{
		"en": "The committee met on Tuesday to discuss the budget for the new library, and after a long debate the members agreed to open it next spring.",
		"de": "Der Ausschuss traf sich am Dienstag, um über den Haushalt der neuen Bibliothek zu sprechen, und nach langer Debatte einigten sich die Mitglieder.",
		"fr": "Le comité s'est réuni mardi pour discuter du budget de la nouvelle bibliothèque et, après un long débat, les membres ont convenu de l'ouvrir.",
		"ja": "委員会は火曜日に新しい図書館の予算について話し合い、長い議論の末に来年の春に開館することで合意しました。図書館には多くの本があります。",
	}
	langs := []string{"en", "de", "fr", "ja"}
	var b strings.Builder
	for i := range 240 {
		l := langs[i%len(langs)]
		text := fmt.Sprintf("%s Record %d.", texts[l], i)
		if i%3 == 0 {
			text = fmt.Sprintf(`<html lang="%s"><head><title>Page %d</title></head><body><nav>Home | About</nav><article><p>%s</p><p>%s</p></article></body></html>`, l, i, text, texts[l])
		}
		rec := map[string]any{"id": fmt.Sprintf("mixed-%03d", i), "text": text}
		var score, big string
		switch {
		case i < 100:
			score, big = fmt.Sprint(i), "1"
		case i%2 == 0:
			// After the sample: a double where an integer was seen, and
			// numbers no double or int64 holds.
			score, big = "0.5", "123456789012345678901234567890"
		default:
			score, big = fmt.Sprint(i), "1e999999"
		}
		line, _ := json.Marshal(rec)
		line = append(line[:len(line)-1], fmt.Sprintf(`,"score":%s,"big":%s}`, score, big)...)
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "mixed.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shardSchema returns a shard's Parquet schema as text (every column's
// path, repetition, physical and logical type) and as the Arrow schema
// readers derive from it.
func shardSchema(t *testing.T, path string) (string, *arrow.Schema) {
	t.Helper()
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	sch, err := fr.Schema()
	if err != nil {
		t.Fatal(err)
	}
	var cols strings.Builder
	ps := rdr.MetaData().Schema
	for i := range ps.NumColumns() {
		c := ps.Column(i)
		fmt.Fprintf(&cols, "%s %s %s %d %d\n", c.ColumnPath(), c.PhysicalType(), c.LogicalType(), c.MaxDefinitionLevel(), c.MaxRepetitionLevel())
	}
	return cols.String() + sch.String(), sch
}

// checkOneSchema checks that every kept shard under out has one schema,
// byte for byte, and every rejected shard the same plus reason after
// source. It returns the kept schema.
func checkOneSchema(t *testing.T, out string, minKept, minLangs int) *arrow.Schema {
	t.Helper()
	kept, _ := filepath.Glob(filepath.Join(out, "lang=*", "*.parquet"))
	rejected, _ := filepath.Glob(filepath.Join(out, "rejected", "*.parquet"))
	if len(kept) < minKept || len(rejected) < 2 {
		t.Fatalf("%s: %d kept and %d rejected shards: too few to compare", out, len(kept), len(rejected))
	}
	langs := map[string]bool{}
	var first string
	var sch *arrow.Schema
	for _, p := range kept {
		langs[filepath.Base(filepath.Dir(p))] = true
		raw, s := shardSchema(t, p)
		if first == "" {
			first, sch = raw, s
		} else if raw != first {
			t.Errorf("%s: schema differs from %s:\n%v\nvs\n%v", p, kept[0], s, sch)
		}
	}
	if len(langs) < minLangs {
		t.Errorf("%s: only partitions %v", out, langs)
	}
	var rfirst string
	for _, p := range rejected {
		raw, s := shardSchema(t, p)
		if rfirst == "" {
			rfirst = raw
			want := slices.Clone(sch.Fields())
			i := sch.FieldIndices("source")[0] + 1
			want = slices.Insert(want, i, arrow.Field{Name: "reason", Type: arrow.BinaryTypes.String})
			if got := s.Fields(); len(got) != len(want) {
				t.Errorf("%s: %d columns, want the %d kept ones plus reason", p, len(got), len(sch.Fields()))
			} else {
				for k := range want {
					if got[k].Name != want[k].Name || !arrow.TypeEqual(got[k].Type, want[k].Type) {
						t.Errorf("%s: column %d is %s %s, want %s %s", p, k, got[k].Name, got[k].Type, want[k].Name, want[k].Type)
					}
				}
			}
		} else if raw != rfirst {
			t.Errorf("%s: schema differs from %s", p, rejected[0])
		}
	}
	return sch
}

// Every shard of a mixed run — HTML and plain text, several languages,
// kept and rejected, many rotations, several workers — has one schema,
// and so do the shards of every task of a cluster run.
func TestEveryShardOfARunHasOneSchema(t *testing.T) {
	in := mixedInput(t)
	out := filepath.Join(t.TempDir(), "one")
	code, _, stderr := winnowCLI(t, "run", sampleDir, in, "-o", out, "--rejected", "--max-shard-bytes", "6000", "--workers", "3", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	sch := checkOneSchema(t, out, 8, 4)
	types := map[string]string{
		"title":          "utf8",
		"html_lang":      "utf8",
		"lang_top3":      "list<element: struct<lang: utf8, score: float64>, nullable>",
		"gopher_quality": "struct<words: float64, mean_word_length: float64, hash_word_ratio: float64, ellipsis_word_ratio: float64, bullet_lines_frac: float64, ellipsis_lines_frac: float64, alpha_words_frac: float64, stop_words: float64>",
		"score":          "int64", // typed from the sample: integers
		"big":            "int64",
		"extra":          "utf8",
	}
	for name, want := range types {
		f, ok := sch.FieldsByName(name)
		if !ok {
			t.Errorf("no column %s in %v", name, sch)
			continue
		}
		if got := strings.ReplaceAll(f[0].Type.String(), " nullable", ""); got != strings.ReplaceAll(want, " nullable", "") {
			t.Errorf("column %s: %s, want %s", name, got, want)
		}
	}
	for _, f := range sch.Fields() {
		if strings.Contains(f.Name, ".") {
			t.Errorf("column %q needs quoting in SQL", f.Name)
		}
	}
	// Values the sample's types cannot hold went, unaltered, to extra.
	extras := map[string]string{}
	for _, p := range append(shards(t, out), mustGlob(t, filepath.Join(out, "rejected", "*.parquet"))...) {
		for id, e := range readParquetNullable(t, p, "id", "extra") {
			if strings.HasPrefix(id, "mixed-") {
				extras[id] = e
			} else if e != "" {
				// The sample's fields are typed alike throughout: only
				// a signal or field no stage declared lands here.
				t.Errorf("%s: %s has extra %s", p, id, e)
			}
		}
	}
	for id, want := range map[string]string{
		"mixed-007": "",
		"mixed-100": `{"score":0.5,"big":123456789012345678901234567890}`,
		"mixed-101": `{"big":1e999999}`,
	} {
		if got, ok := extras[id]; !ok {
			t.Errorf("%s not written", id)
		} else if got != want {
			t.Errorf("%s: extra %q, want %q", id, got, want)
		}
	}

	// The same input as a cluster run of three tasks (langid left out:
	// its model loads once per task).
	c := job.Defaults()
	c.Inputs = []string{sampleDir, in}
	c.Output.Dir = filepath.Join(t.TempDir(), "tasks")
	c.Output.Rejected = true
	c.Output.MaxShardBytes = 6000
	c.Tasks = 3
	c.Workers = 2
	if flags := splitFlags(t, "langid"); len(flags) == 2 {
		c.Skip = strings.Split(flags[1], ",")
	}
	c, err := launch.TaskConfig(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	b, err := launch.MarshalConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(c.Output.Dir, "_launch", launch.ConfigName)
	if err := launch.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	localRun(t, c, p, plan)
	tasks := map[string]bool{}
	for _, s := range shards(t, c.Output.Dir) {
		tasks[strings.Split(filepath.Base(s), "-")[1]] = true
	}
	if len(tasks) != 3 {
		t.Errorf("shards of tasks %v, want 3 tasks", tasks)
	}
	checkOneSchema(t, c.Output.Dir, 3, 1)
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readParquetNullable returns key → value of two string columns, "" for
// a null value.
func readParquetNullable(t *testing.T, path, key, val string) map[string]string {
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
		k := rec.Column(rec.Schema().FieldIndices(key)[0]).(*array.String)
		v := rec.Column(rec.Schema().FieldIndices(val)[0]).(*array.String)
		for i := range k.Len() {
			if v.IsValid(i) {
				out[k.Value(i)] = v.Value(i)
			} else {
				out[k.Value(i)] = ""
			}
		}
	}
	return out
}
