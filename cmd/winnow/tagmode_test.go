package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/winnow-data/winnow/pipeline"
)

// keptRecords reads the JSONL shards of out, partition by partition in
// name order, each record as its columns' JSON text. Null columns are left
// out: a column that only tagged documents fill is null in the others.
func keptRecords(t *testing.T, out string) []map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(out, "lang=*", "*.jsonl.zst"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	zr, _ := zstd.NewReader(nil)
	defer zr.Close()
	var recs []map[string]string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := zr.DecodeAll(raw, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for line := range bytes.Lines(plain) {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			r := map[string]string{}
			for k, v := range m {
				if string(v) != "null" {
					r[k] = string(v)
				}
			}
			recs = append(recs, r)
		}
	}
	return recs
}

// tagCorpus writes documents that every kind of rule catches: exact and
// near duplicates, repeated boilerplate lines (line_dedup), PII (pii
// rewrites), too-short texts (gopher), C4 line removal, and clean prose.
func tagCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	prose := []string{
		"The library in the old town opens at nine in the morning and closes at six in the evening on weekdays.",
		"Visitors can borrow up to five books at a time, and children have their own reading room on the first floor.",
		"The museum next to the river shows paintings from the seventeenth century and a collection of old maps.",
		"Every summer the city organises a festival with music, food from many countries and a market for local crafts.",
		"The train to the coast leaves every hour from the central station and the journey takes about two hours.",
	}
	menu := "Home | About us | Contact | Imprint"
	for i := range 60 {
		var text string
		switch i % 6 {
		case 0, 1: // clean prose, with boilerplate that line_dedup cuts
			text = fmt.Sprintf("%s\n%s %s Report number %d was written by the council.\n%s", menu, prose[i%5], prose[(i+1)%5], i, prose[(i+2)%5])
		case 2: // an exact duplicate of document 0
			text = fmt.Sprintf("%s\n%s %s Report number %d was written by the council.\n%s", menu, prose[0], prose[1], 0, prose[2])
		case 3: // PII the pii stage masks
			text = fmt.Sprintf("%s Write to clerk%d@example.com or call +49 30 1234 %04d for an appointment. %s", prose[i%5], i, i, prose[(i+3)%5])
		case 4: // too short for gopher_quality
			text = fmt.Sprintf("Click here %d", i)
		case 5: // C4 removes the javascript line, keeps the rest
			text = fmt.Sprintf("%s\nPlease enable JavaScript to view this page.\n%s Item %d.", prose[(i+4)%5], prose[i%5], i)
		}
		rec, _ := json.Marshal(map[string]any{"id": fmt.Sprint(i), "text": text, "url": fmt.Sprintf("https://example.org/p/%d", i%40)})
		b.Write(rec)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "docs.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Tag mode applies the rewrites of filter mode and only turns drops into
// reasons: its documents without a reason are, column for column, those
// filter mode keeps, in the same order; every other document lists the
// rules that would have dropped it.
func TestTagModeReproducesFilterMode(t *testing.T) {
	cases := []struct {
		name, in string
		args     []string
	}{
		{"sample, default pipeline", sampleDir, nil},
		{"duplicates, boilerplate, PII", tagCorpus(t), nil},
		{"duplicates, 1 worker", tagCorpus(t), []string{"--workers", "1"}},
	}
	// A larger real corpus, by hand: WINNOW_TAG_CORPUS=DIR.
	if dir := os.Getenv("WINNOW_TAG_CORPUS"); dir != "" {
		cases = append(cases, struct {
			name, in string
			args     []string
		}{"WINNOW_TAG_CORPUS", dir, nil})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			filterOut, tagOut := t.TempDir(), t.TempDir()
			args := append([]string{"run", tc.in, "--output-format", "jsonl", "--quiet"}, tc.args...)
			if code, msg := winnow(t, append(args, "-o", filterOut)...); code != 0 {
				t.Fatalf("filter: exit %d: %s", code, msg)
			}
			if code, msg := winnow(t, append(args, "-o", tagOut, "--mode", "tag")...); code != 0 {
				t.Fatalf("tag: exit %d: %s", code, msg)
			}
			fs, ts := readStats(t, filepath.Join(filterOut, "stats.json")), readStats(t, filepath.Join(tagOut, "stats.json"))
			want := keptRecords(t, filterOut)
			var got []map[string]string
			tagged := 0
			for _, r := range keptRecords(t, tagOut) {
				reasons, ok := r["reasons"]
				if !ok {
					t.Fatalf("record %s has no reasons column", r["id"])
				}
				delete(r, "reasons")
				if reasons == "[]" {
					got = append(got, r)
					continue
				}
				tagged++
				var rs []string
				if err := json.Unmarshal([]byte(reasons), &rs); err != nil || len(rs) == 0 {
					t.Errorf("record %s: reasons %s", r["id"], reasons)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d untagged documents, filter mode kept %d", len(got), len(want))
			}
			for i := range min(len(got), len(want)) {
				if !mapsEqual(got[i], want[i]) {
					t.Errorf("document %d differs:\ntag    %v\nfilter %v", i, got[i], want[i])
					break
				}
			}
			if int64(tagged) != ts.DocsTagged || ts.DocsOut != fs.DocsOut+fs.DocsRejected || ts.DocsRejected != 0 {
				t.Errorf("tag stats: out %d tagged %d rejected %d; filter: out %d rejected %d; %d tagged records",
					ts.DocsOut, ts.DocsTagged, ts.DocsRejected, fs.DocsOut, fs.DocsRejected, tagged)
			}
			if fs.DocsRejected == 0 {
				t.Error("filter mode dropped nothing: the case tests nothing")
			}
			t.Logf("%d documents, filter kept %d, tag mode tagged %d", fs.DocsIn, fs.DocsOut, tagged)
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Every declared default lies within its parameter's bounds, and a value
// outside them is a usage error (exit 2) naming stage and parameter,
// before any input is read.
func TestParamRangesCheckedAtConfigTime(t *testing.T) {
	for _, s := range pipeline.Specs() {
		if _, err := s.NewParams(nil); err != nil {
			t.Errorf("%s: defaults: %v", s.Name, err)
		}
		settings := map[string]any{}
		for _, p := range s.Params {
			settings[p.Name] = p.Default
		}
		if _, err := s.NewParams(settings); err != nil {
			t.Errorf("%s: defaults given explicitly: %v", s.Name, err)
		}
	}
	for _, tc := range []struct{ yaml, want string }{
		{"stages:\n  minhash:\n    num_perm: 1000000000\n", "stage minhash: parameter num_perm: 1000000000 is outside 1..1024"},
		{"stages:\n  langid:\n    min_score: 1.5\n", "stage langid: parameter min_score: 1.5 is outside 0..1"},
		{"stages:\n  line_dedup:\n    max_count: -1\n", "stage line_dedup: parameter max_count: -1 is below the minimum 1"},
	} {
		cfg := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(cfg, []byte(tc.yaml), 0o644)
		code, msg := winnow(t, "run", sampleDir, "-o", t.TempDir(), "--config", cfg)
		if code != 2 || !strings.Contains(msg, tc.want) {
			t.Errorf("%q: exit %d, %s", tc.yaml, code, msg)
		}
	}
}

// A misspelt --text-field errors every record: the run says which file,
// how many, why, and which fields the records have, and exits 1; the
// record_errors samples and per-file counts cover every file.
func TestRunEveryRecordErroredExits1(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.jsonl", "b.jsonl"} {
		var b strings.Builder
		for i := range 10 {
			fmt.Fprintf(&b, `{"id":"%s%d","messages":[{"role":"user","content":"hi"}],"meta":{"k":1}}`+"\n", name, i)
		}
		os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644)
	}
	out := t.TempDir()
	code, msg := winnow(t, "run", dir, "-o", out, "--text-field", "mesages")
	if code != 1 {
		t.Errorf("exit %d, want 1: %s", code, msg)
	}
	for _, want := range []string{
		"a.jsonl: 10 of 10 records errored, 10 as input.missing_text; first: ",
		"no text at mesages (records have: id, messages, meta)",
		"no document could be read: all 20 records errored",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	s := readStats(t, filepath.Join(out, "stats.json"))
	files := map[string]int{}
	for _, e := range s.RecordErrors {
		files[filepath.Base(e.File)]++
	}
	if files["a.jsonl"] == 0 || files["b.jsonl"] == 0 {
		t.Errorf("record_errors from %v, want both files", files)
	}
	if len(s.Inputs) != 2 || s.Inputs[1].DocsErrored != 10 || s.Inputs[1].Errored["input.missing_text"] != 10 || s.Inputs[0].Bytes == 0 {
		t.Errorf("inputs %+v", s.Inputs)
	}
	// One good record is enough for a run to succeed.
	os.WriteFile(filepath.Join(dir, "c.jsonl"), []byte(`{"id":"c","mesages":"hello there"}`+"\n"), 0o644)
	if code, msg := winnow(t, "run", dir, "-o", t.TempDir(), "--text-field", "mesages", "--only", "none"); code != 0 {
		t.Errorf("with one readable record: exit %d: %s", code, msg)
	}
}

// stats.json records the version, the effective configuration (every
// stage's parameters after defaults, and which were set), every input
// with its size, and the bytes written.
func TestStatsRecordVersionConfigInputsBytesOut(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("stages:\n  gopher_quality:\n    min_doc_words: 10\n"), 0o644)
	out := t.TempDir()
	code, msg := winnow(t, "run", sampleDir+"/forum.ndjson", sampleDir+"/books.parquet", "-o", out, "--only", "gopher_quality,pii", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	s := readStats(t, filepath.Join(out, "stats.json"))
	if s.Version == "" || s.BytesOut <= 0 || s.Config == nil || s.Config.Mode != "filter" {
		t.Fatalf("version %q, bytes_out %d, config %+v", s.Version, s.BytesOut, s.Config)
	}
	if len(s.Config.Stages) != 2 || s.Config.Stages[0].Name != "gopher_quality" ||
		s.Config.Stages[0].Params["min_doc_words"] != float64(10) || s.Config.Stages[0].Params["max_doc_words"] != float64(100000) ||
		!slices.Equal(s.Config.Stages[0].Set, []string{"min_doc_words"}) {
		t.Errorf("stages %+v", s.Config.Stages)
	}
	var sum int64
	for _, f := range s.Inputs {
		sum += f.Bytes
	}
	if len(s.Inputs) != 2 || sum != s.BytesIn || s.Inputs[0].DocsIn+s.Inputs[1].DocsIn != s.DocsIn {
		t.Errorf("inputs %+v, bytes_in %d", s.Inputs, s.BytesIn)
	}
	if !strings.Contains(msg, "set: gopher_quality.min_doc_words=10") || !strings.Contains(msg, "kept (") {
		t.Errorf("summary: %s", msg)
	}
}
