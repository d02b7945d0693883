package input

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/winnow-data/winnow/pipeline"
)

var knownTexts = []string{"Hello world.", "Line one\nline two", "Café ☕ \"quoted\""}

const knownText = "Hello plain text.\nSecond line.\n"

// TestFormatsAndCodecs reads the same known records from every format
// under every compression.
func TestFormatsAndCodecs(t *testing.T) {
	jsonl, err := os.ReadFile("testdata/known.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	jsonlBz2, _ := os.ReadFile("testdata/known.jsonl.bz2")
	txtBz2, _ := os.ReadFile("testdata/known.txt.bz2")
	codecs := []struct {
		ext      string
		compress func([]byte) []byte
		bz2      map[string][]byte // precompressed fixtures: no bzip2 writer in Go
	}{
		{"", func(b []byte) []byte { return b }, nil},
		{".gz", func(b []byte) []byte { return gzipBytes(t, b) }, nil},
		{".zst", func(b []byte) []byte { return zstdBytes(t, b) }, nil},
		{".bz2", nil, map[string][]byte{".jsonl": jsonlBz2, ".txt": txtBz2}},
	}
	for _, c := range codecs {
		for _, f := range []struct {
			ext   string
			data  []byte
			texts []string
		}{
			{".jsonl", jsonl, knownTexts},
			{".txt", []byte(knownText), []string{knownText}},
		} {
			t.Run(f.ext+c.ext, func(t *testing.T) {
				data := f.data
				if c.compress != nil {
					data = c.compress(data)
				} else {
					data = c.bz2[f.ext]
				}
				// Detection by magic bytes: the name gives no hint.
				for _, name := range []string{"in" + f.ext + c.ext, "noext"} {
					if name == "noext" && f.ext == ".txt" {
						name = "noext.dat"
					}
					r := readAll(t, mustOpenBytes(t, name, data, Options{}))
					if r.fileErr != nil || len(r.recErrs) > 0 {
						t.Fatalf("%s: file error %v, record errors %v", name, r.fileErr, r.recErrs)
					}
					if got := r.texts(); !reflect.DeepEqual(got, f.texts) {
						t.Errorf("%s: texts %q, want %q", name, got, f.texts)
					}
				}
			})
		}
	}
	t.Run("jsonl fields", func(t *testing.T) {
		r := readAll(t, mustOpenBytes(t, "in.jsonl", jsonl, Options{}))
		d := r.docs[0]
		if d.ID != "a1" || d.URL != "https://example.com/a" || !d.Date.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Errorf("doc 0: id %q url %q date %v", d.ID, d.URL, d.Date)
		}
		if got := fieldsString(d); got != `date="2024-01-02T03:04:05Z" meta={"lang":"en"}` {
			t.Errorf("doc 0 fields: %s", got)
		}
		if r.docs[1].ID != "2" {
			t.Errorf("numeric id: %q", r.docs[1].ID)
		}
	})
}

func TestJSONLRecordPositions(t *testing.T) {
	data := "\xef\xbb\xbf{\"text\":\"a\"}\r\n\r\n   \n{\"text\":\"b\"}\n\t\n{\"text\":\"c\"}"
	src := mustOpenBytes(t, "crlf.jsonl", []byte(data), Options{})
	var idx, off []int64
	var raws []string
	for rec, err := range src.Records(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		idx, off, raws = append(idx, rec.Index), append(off, rec.Offset), append(raws, string(rec.Raw))
	}
	wantRaw := []string{`{"text":"a"}`, `{"text":"b"}`, `{"text":"c"}`}
	if !reflect.DeepEqual(raws, wantRaw) {
		t.Errorf("raw %q, want %q (BOM, CR and blank lines dropped; last line without newline kept)", raws, wantRaw)
	}
	if !reflect.DeepEqual(idx, []int64{0, 1, 2}) || !reflect.DeepEqual(off, []int64{3, 23, 38}) {
		t.Errorf("index %v offset %v", idx, off)
	}
}

func TestJSONLBadLinesAmongGood(t *testing.T) {
	lines := []string{
		`{"text":"one"}`,
		`{"text":"two"`,
		`not json`,
		`["an","array"]`,
		`{"id":"no text"}`,
		`{"text":"six"}`,
	}
	r := readAll(t, mustOpenBytes(t, "mixed.jsonl", []byte(strings.Join(lines, "\n")+"\n"), Options{}))
	if r.fileErr != nil {
		t.Fatal(r.fileErr)
	}
	if got := r.texts(); !reflect.DeepEqual(got, []string{"one", "six"}) {
		t.Errorf("texts %q", got)
	}
	if !reflect.DeepEqual(r.index, []int64{0, 5}) {
		t.Errorf("indexes %v", r.index)
	}
	want := []string{"malformed_json", "malformed_json", "not_an_object", "missing_text"}
	if got := r.reasons(); !reflect.DeepEqual(got, want) {
		t.Errorf("reasons %v, want %v", got, want)
	}
}

// TestPrettyPrintedJSON: a file of one pretty-printed object, or of
// several, is read as JSON documents (one record each), not line by line;
// JSON Lines, even with a damaged first line, stays JSON Lines.
func TestPrettyPrintedJSON(t *testing.T) {
	pretty := "{\n  \"id\": \"p1\",\n  \"text\": \"one\\ntwo\",\n  \"meta\": {\n    \"lang\": \"en\"\n  }\n}\n"
	for _, tc := range []struct {
		name    string
		data    string
		doc     bool // read as JSON documents
		texts   []string
		reasons []string
	}{
		{"one.json", pretty, true, []string{"one\ntwo"}, nil},
		{"one.json.gz", pretty, true, []string{"one\ntwo"}, nil},
		{"crlf.json", strings.ReplaceAll(pretty, "\n", "\r\n"), true, []string{"one\ntwo"}, nil},
		{"two.json", pretty + "\n" + strings.Replace(pretty, "one", "three", 1), true, []string{"one\ntwo", "three\ntwo"}, nil},
		{"tabs.data", "{\n\t\"text\": \"x\"\n}", true, []string{"x"}, nil},
		{"junk-between.json", pretty + " 42 " + pretty, true, []string{"one\ntwo", "one\ntwo"}, []string{"not_an_object"}},
		{"lines.json", `{"text":"a"}` + "\n" + `{"text":"b"}` + "\n", false, []string{"a", "b"}, nil},
		{"damaged-first.jsonl", `{"text":"a"` + "\n" + `{"text":"b"}` + "\n", false, []string{"b"}, []string{"malformed_json"}},
		{"long-first.jsonl", `{"text":"` + strings.Repeat("a", 600) + `"}` + "\n" + `{"text":"b"}`, false, []string{strings.Repeat("a", 600), "b"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.data)
			if strings.HasSuffix(tc.name, ".gz") {
				data = gzipBytes(t, data)
			}
			src := mustOpenBytes(t, tc.name, data, Options{})
			if s, ok := src.(*jsonDocSource); ok != tc.doc || ok && s.array {
				t.Fatalf("source %T, want JSON documents %v", src, tc.doc)
			}
			r := readAll(t, src)
			if r.fileErr != nil {
				t.Fatal(r.fileErr)
			}
			if !reflect.DeepEqual(r.texts(), tc.texts) || !reflect.DeepEqual(r.reasons(), tc.reasons) {
				t.Errorf("texts %q reasons %v, want %q %v", r.texts(), r.reasons(), tc.texts, tc.reasons)
			}
		})
	}
	t.Run("fields", func(t *testing.T) {
		r := readAll(t, mustOpenBytes(t, "f.json", []byte(pretty), Options{}))
		if len(r.docs) != 1 || r.docs[0].ID != "p1" || len(r.docs[0].Fields) != 1 || r.docs[0].Fields[0].Name != "meta" {
			t.Fatalf("docs %+v", r.docs)
		}
	})
	t.Run("cut", func(t *testing.T) {
		r := readAll(t, mustOpenBytes(t, "cut.json", []byte(pretty+pretty[:20]), Options{}))
		if !reflect.DeepEqual(r.texts(), []string{"one\ntwo"}) || r.fileErr == nil || !strings.Contains(r.fileErr.Error(), "cut inside a value") {
			t.Errorf("texts %q, file error %v", r.texts(), r.fileErr)
		}
	})
}

func jsonlLines(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"id":"r%d","text":"record %d with some words to compress"}`+"\n", i, i)
	}
	return b.Bytes()
}

func TestJSONArray(t *testing.T) {
	alpaca := `[
  {
    "instruction": "Give three tips for staying healthy.",
    "input": "",
    "output": "1. Eat well.\n2. Move.\n3. Sleep."
  },
  {"instruction": "Translate to French.", "input": "cat", "output": "chat"},
  "not an object",
  {"instruction": "Missing output"}
]
`
	opts := Options{TextFields: []string{"instruction", "input", "output", "text"}}
	tests := []struct {
		name    string
		data    []byte
		texts   []string
		reasons []string
		fileErr string
	}{
		{name: "alpaca.json", data: []byte(alpaca),
			texts:   []string{"Give three tips for staying healthy.\n\n1. Eat well.\n2. Move.\n3. Sleep.", "Translate to French.\n\ncat\n\nchat", "Missing output"},
			reasons: []string{"not_an_object"}},
		{name: "bom.json", data: []byte("\xef\xbb\xbf [ {\"text\":\"a\"} ]"), texts: []string{"a"}},
		{name: "empty.json", data: []byte("[]\n")},
		{name: "a.json.gz", data: gzipBytes(t, []byte(alpaca)), texts: []string{"Give three tips for staying healthy.\n\n1. Eat well.\n2. Move.\n3. Sleep.", "Translate to French.\n\ncat\n\nchat", "Missing output"},
			reasons: []string{"not_an_object"}},
		{name: "cut.json", data: []byte(alpaca[:200]), texts: []string{"Give three tips for staying healthy.\n\n1. Eat well.\n2. Move.\n3. Sleep."}, fileErr: "unexpected EOF"},
		{name: "bad.json", data: []byte(`[{"text":"a"}, {"text": x}, {"text":"c"}]`), texts: []string{"a", "c"}, reasons: []string{"malformed_json"}},
		{name: "deep.json", data: []byte(`[{"text":"a"}, {"text":"b", "x": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}, {"text":"c"}]`),
			texts: []string{"a", "c"}, reasons: []string{"malformed_json"}},
		{name: "deep-unclosed.json", data: []byte(`[{"text":"a"}, ` + strings.Repeat("[", 20000)), texts: []string{"a"}, fileErr: "not closed"},
		{name: "strings.json", data: []byte(`[{"text":"a,]}\"["}, {"text":"b"},]`), texts: []string{"a,]}\"[", "b"}},
		{name: "not-array.json", data: []byte(`[`), fileErr: "not closed"},
		{name: "trailing.json", data: []byte(`[{"text":"a"}] [`), texts: []string{"a"}, fileErr: "data after the JSON array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := mustOpenBytes(t, tc.name, tc.data, opts)
			if s, ok := src.(*jsonDocSource); !ok || !s.array {
				t.Fatalf("source %T", src)
			}
			r := readAll(t, src)
			if got := r.texts(); !reflect.DeepEqual(got, tc.texts) && len(got)+len(tc.texts) > 0 {
				t.Errorf("texts %q\nwant %q", got, tc.texts)
			}
			if got := r.reasons(); !reflect.DeepEqual(got, tc.reasons) {
				t.Errorf("reasons %v, want %v", got, tc.reasons)
			}
			switch {
			case tc.fileErr == "" && r.fileErr != nil:
				t.Errorf("file error %v", r.fileErr)
			case tc.fileErr != "" && (r.fileErr == nil || !strings.Contains(r.fileErr.Error(), tc.fileErr)):
				t.Errorf("file error %v, want one about %q", r.fileErr, tc.fileErr)
			}
		})
	}
	t.Run("offsets", func(t *testing.T) {
		src := mustOpenBytes(t, "o.json", []byte(`[ {"text":"a"},`+"\n"+`{"text":"b"}]`), Options{})
		var offs []int64
		for rec, err := range src.Records(t.Context()) {
			if err != nil {
				t.Fatal(err)
			}
			offs = append(offs, rec.Offset)
		}
		if !reflect.DeepEqual(offs, []int64{2, 16}) {
			t.Errorf("offsets %v", offs)
		}
	})
	t.Run("element over MaxRecordBytes", func(t *testing.T) {
		big := `{"text":"` + strings.Repeat("x", 3<<20) + `"}`
		data := []byte(`[{"text":"a"},` + big + `,{"text":"c"}]`)
		r := readAll(t, mustOpenBytes(t, "big.json", data, Options{MaxRecordBytes: 1 << 20}))
		if !reflect.DeepEqual(r.texts(), []string{"a", "c"}) || r.fileErr != nil || !reflect.DeepEqual(r.reasons(), []string{"record_too_large"}) {
			t.Errorf("texts %q, reasons %v, file error %v", r.texts(), r.reasons(), r.fileErr)
		}
	})
}

func TestGzipTruncated(t *testing.T) {
	data := gzipBytes(t, jsonlLines(5000))
	for _, cut := range []int{len(data) / 2, len(data) - 4, 10} {
		r := readAll(t, mustOpenBytes(t, "cut.jsonl.gz", data[:cut], Options{}))
		if r.fileErr == nil {
			t.Fatalf("cut at %d: no file error", cut)
		}
		if r.fileErr.Records != int64(len(r.docs)) || r.fileErr.File == "" {
			t.Errorf("cut at %d: file error %+v after %d records", cut, r.fileErr, len(r.docs))
		}
		if !errors.Is(r.fileErr, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d: error %v, want unexpected EOF", cut, r.fileErr)
		}
		for i, d := range r.docs {
			if want := fmt.Sprintf("record %d with some words to compress", i); d.Text != want {
				t.Fatalf("cut at %d: record %d = %q", cut, i, d.Text)
			}
		}
		if cut == len(data)/2 && (len(r.docs) < 1000 || len(r.docs) >= 5000) {
			t.Errorf("cut in half: %d records kept", len(r.docs))
		}
		if len(r.recErrs) > 0 {
			t.Errorf("cut at %d: record errors %v (the partial last line must not be one)", cut, r.recErrs)
		}
	}
}

func TestGzipMultiMember(t *testing.T) {
	data := append(gzipBytes(t, []byte(`{"text":"a"}`+"\n")), gzipBytes(t, []byte(`{"text":"b"}`+"\n"))...)
	r := readAll(t, mustOpenBytes(t, "multi.jsonl.gz", data, Options{}))
	if r.fileErr != nil || !reflect.DeepEqual(r.texts(), []string{"a", "b"}) {
		t.Errorf("texts %q, error %v", r.texts(), r.fileErr)
	}
}

func TestBzip2MultiStream(t *testing.T) {
	bz, err := os.ReadFile("testdata/known.jsonl.bz2")
	if err != nil {
		t.Fatal(err)
	}
	r := readAll(t, mustOpenBytes(t, "two.jsonl.bz2", append(bytes.Clone(bz), bz...), Options{}))
	if r.fileErr != nil || len(r.docs) != 2*len(knownTexts) {
		t.Errorf("%d docs, error %v", len(r.docs), r.fileErr)
	}
	r = readAll(t, mustOpenBytes(t, "cut.jsonl.bz2", bz[:len(bz)-20], Options{}))
	if r.fileErr == nil {
		t.Errorf("truncated bzip2: %d docs and no file error", len(r.docs))
	}
}

func TestZstdGarbageAppended(t *testing.T) {
	data := append(zstdBytes(t, jsonlLines(100)), zstdBytes(t, jsonlLines(50))...)
	data = append(data, "this is not a zstd frame at all"...)
	r := readAll(t, mustOpenBytes(t, "junk.jsonl.zst", data, Options{}))
	if len(r.docs) != 150 {
		t.Errorf("%d records kept, want 150", len(r.docs))
	}
	if r.fileErr == nil || r.fileErr.Records != 150 {
		t.Fatalf("file error %+v", r.fileErr)
	}
	if want := int64(len(jsonlLines(100)) + len(jsonlLines(50))); r.fileErr.Offset != want {
		t.Errorf("damage offset %d, want %d", r.fileErr.Offset, want)
	}
}

func TestLongLines(t *testing.T) {
	big := strings.Repeat("word ", 4<<20) // 20 MiB
	data := []byte(`{"text":"short"}` + "\n" + `{"text":"` + big + `"}` + "\n" + `{"text":"after"}` + "\n")
	t.Run("20 MB line", func(t *testing.T) {
		r := readAll(t, mustOpenBytes(t, "big.jsonl", data, Options{}))
		if len(r.docs) != 3 || r.docs[1].Text != big || r.docs[2].Text != "after" {
			t.Errorf("got %d docs, errors %v %v", len(r.docs), r.recErrs, r.fileErr)
		}
	})
	t.Run("over MaxRecordBytes", func(t *testing.T) {
		r := readAll(t, mustOpenBytes(t, "big.jsonl", data, Options{MaxRecordBytes: 1 << 20}))
		if got := r.texts(); !reflect.DeepEqual(got, []string{"short", "after"}) {
			t.Errorf("texts %q", got)
		}
		if len(r.recErrs) != 1 || r.recErrs[0].Reason != "record_too_large" || r.recErrs[0].Index != 1 || r.recErrs[0].Offset != 17 {
			t.Errorf("record errors %v", r.recErrs)
		}
		if !reflect.DeepEqual(r.index, []int64{0, 2}) {
			t.Errorf("indexes %v", r.index)
		}
	})
	t.Run("text file over MaxRecordBytes", func(t *testing.T) {
		r := readAll(t, mustOpenBytes(t, "big.txt", []byte(big), Options{MaxRecordBytes: 1 << 20}))
		if len(r.docs) != 0 || len(r.recErrs) != 1 || r.recErrs[0].Reason != "record_too_large" {
			t.Errorf("docs %d, errors %v", len(r.docs), r.recErrs)
		}
	})
}

// endless yields n bytes of 'a' (no newline) and then a short line,
// without holding them.
type endless struct{ n, pos int64 }

var as = bytes.Repeat([]byte{'a'}, 64<<10)

func (e *endless) Read(p []byte) (int, error) {
	if e.pos < e.n {
		k := copy(p, as[:min(int64(len(as)), e.n-e.pos)])
		e.pos += int64(k)
		return k, nil
	}
	tail := "\n{\"text\":\"x\"}\n"
	if e.pos-e.n >= int64(len(tail)) {
		return 0, io.EOF
	}
	k := copy(p, tail[e.pos-e.n:])
	e.pos += int64(k)
	return k, nil
}

func TestLineReaderMemoryBounded(t *testing.T) {
	const max = 1 << 20
	lr := newLineReader(&endless{n: 100 << 20}, max)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	_, off, tooLong, err := lr.next()
	runtime.ReadMemStats(&ms1)
	if err != nil || !tooLong || off != 0 {
		t.Fatalf("first line: tooLong %v off %d err %v", tooLong, off, err)
	}
	if grew := ms1.TotalAlloc - ms0.TotalAlloc; grew > 8*max {
		t.Errorf("skipping a 100 MiB line allocated %d bytes", grew)
	}
	line, off, tooLong, err := lr.next()
	if err != nil || tooLong || string(line) != `{"text":"x"}` || off != 100<<20+1 {
		t.Errorf("next line %q at %d, tooLong %v, err %v", line, off, tooLong, err)
	}
	if _, _, _, err := lr.next(); err != io.EOF {
		t.Errorf("end: %v", err)
	}
}

func TestEmptyFiles(t *testing.T) {
	for _, name := range []string{"e.jsonl", "e.txt", "e", "e.jsonl.gz", "e.jsonl.zst", "e.bz2"} {
		r := readAll(t, mustOpenBytes(t, name, nil, Options{}))
		if len(r.docs) != 0 || len(r.recErrs) != 0 || r.fileErr != nil {
			t.Errorf("%s: %d docs, %v, %v", name, len(r.docs), r.recErrs, r.fileErr)
		}
	}
	// Compressed empty content.
	for name, data := range map[string][]byte{"g.jsonl.gz": gzipBytes(t, nil), "z.jsonl.zst": zstdBytes(t, nil), "g.txt.gz": gzipBytes(t, nil)} {
		r := readAll(t, mustOpenBytes(t, name, data, Options{}))
		if len(r.docs) != 0 || len(r.recErrs) != 0 || r.fileErr != nil {
			t.Errorf("%s: %d docs, %v, %v", name, len(r.docs), r.recErrs, r.fileErr)
		}
	}
}

func TestDetection(t *testing.T) {
	obj := []byte(`{"text":"t"}` + "\n")
	tests := []struct {
		name    string
		data    []byte
		kind    string // "jsonl", "text", "parquet" or an error substring
		openErr bool   // the error comes from Open rather than Records
	}{
		{"a.jsonl", obj, "jsonl", false},
		{"a.ndjson", obj, "jsonl", false},
		{"a.JSON", obj, "jsonl", false},
		{"a.dat", []byte("  \n\t" + string(obj)), "jsonl", false},
		{"a.dat", []byte("\xef\xbb\xbf" + string(obj)), "jsonl", false},
		{"a.txt", obj, "text", false}, // the extension beats a '{'
		{"a.dat", []byte("plain words"), "text", false},
		{"a.dat", []byte("BZh, said the bee."), "text", false},
		{"a.json.gz", gzipBytes(t, obj), "jsonl", false},
		{"a.gz", gzipBytes(t, obj), "jsonl", false},
		{"a.bin", zstdBytes(t, obj), "jsonl", false},
		{"a.warc.gz", gzipBytes(t, []byte("WARC/1.0\r\n")), "warc", false},
		{"a.dat", []byte("WARC/1.1\r\nWARC-Type: warcinfo\r\n"), "warc", false},
		{"a.wet", []byte("anything"), "warc", false},
		{"a.warc.zst", zstdBytes(t, []byte("WARC/1.0\r\n")), "warc", false},
		{"a.parquet.gz", gzipBytes(t, []byte("PAR1 pretend")), "compressed Parquet is not supported", true},
		{"a.jsonl", gzipBytes(t, []byte("PAR1 pretend")), "compressed Parquet is not supported", true},
		{"a.jsonl.xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0, 1, 2}, "xz compression is not supported", false},
		{"a.jsonl.gz", []byte("this is not gzip data at all"), "gzip: invalid header", false},
	}
	for _, tc := range tests {
		t.Run(tc.name+" "+tc.kind, func(t *testing.T) {
			src, err := openBytes(t, tc.name, tc.data, Options{})
			if tc.openErr {
				var fe *pipeline.FileError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.kind) || fe.File == "" {
					t.Fatalf("Open error %v, want a FileError about %q", err, tc.kind)
				}
				r := readAll(t, Failed(File{Path: "x"}, err))
				if r.fileErr == nil || r.fileErr != fe {
					t.Errorf("Failed source yields %v", r.fileErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			switch tc.kind {
			case "jsonl":
				if _, ok := src.(*jsonlSource); !ok {
					t.Errorf("source %T, want JSONL", src)
				}
			case "text":
				if _, ok := src.(*textSource); !ok {
					t.Errorf("source %T, want text", src)
				}
			case "warc":
				if pkg := reflect.TypeOf(src).Elem().PkgPath(); !strings.HasSuffix(pkg, "/warc") {
					t.Errorf("source %T, want the WARC reader", src)
				}
			default:
				r := readAll(t, src)
				if r.fileErr == nil || !strings.Contains(r.fileErr.Error(), tc.kind) || r.fileErr.Records != 0 {
					t.Errorf("file error %v, want one about %q", r.fileErr, tc.kind)
				}
			}
		})
	}
	if _, err := Open(File{Path: filepath.Join(t.TempDir(), "missing.jsonl")}, Options{}); err == nil {
		t.Error("no error for a missing file")
	}
	if _, err := openBytes(t, "a.jsonl", obj, Options{TextFields: []string{"a..b"}}); err == nil {
		t.Error("no error for an empty path segment")
	}
}

// TestRecordsTwice checks that a source can be read once per pass, with
// the same result.
func TestRecordsTwice(t *testing.T) {
	src := mustOpenBytes(t, "a.jsonl.zst", zstdBytes(t, jsonlLines(300)), Options{})
	a, b := readAll(t, src), readAll(t, src)
	if len(a.docs) != 300 || !reflect.DeepEqual(a.texts(), b.texts()) {
		t.Errorf("passes differ: %d and %d docs", len(a.docs), len(b.docs))
	}
}

func TestRecordsStopsEarly(t *testing.T) {
	src := mustOpenBytes(t, "a.jsonl.gz", gzipBytes(t, jsonlLines(300)), Options{})
	n := 0
	for range src.Records(t.Context()) {
		n++
		if n == 10 {
			break
		}
	}
	ctx, cancel := contextWithCancel(t)
	cancel()
	m := 0
	for range src.Records(ctx) {
		m++
	}
	if n != 10 || m != 0 {
		t.Errorf("break after %d, cancelled context yielded %d", n, m)
	}
}

// FuzzOpen feeds arbitrary bytes to Open and Records under several names:
// never a panic, and reading always ends.
func FuzzOpen(f *testing.F) {
	jsonl, _ := os.ReadFile("testdata/known.jsonl")
	bz, _ := os.ReadFile("testdata/known.jsonl.bz2")
	f.Add(jsonl)
	f.Add(bz)
	f.Add(gzipBytes(f, jsonl))
	f.Add(zstdBytes(f, jsonl))
	f.Add(gzipBytes(f, jsonl)[:40])
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Add(smallParquet(f))
	f.Add([]byte("plain text"))
	f.Add([]byte(`[{"text":"a"}, {"text":"b"}]`))
	// JSON read by content: pretty-printed objects, arrays with bad,
	// deep and trailing elements.
	f.Add([]byte("{\n  \"text\": \"a\",\n  \"m\": {\"x\": [1, 2]}\n}\n{\n \"text\": \"b\"\n}\n"))
	f.Add([]byte("{\n  \"text\": \"cut"))
	f.Add([]byte(`[{"text":"a"}, {"text": x}, ` + strings.Repeat("[", 200) + `, "s\"]", {"text":"c"},]`))
	f.Add([]byte(`[{"text":"a"}] junk`))
	// zstd frames asking for a 2 GiB and an 8 GiB window.
	f.Add(zstdFrame(31, []byte(`{"text":"a"}`+"\n")))
	f.Add(zstdFrame(33, []byte(`{"text":"a"}`+"\n")))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"f.jsonl", "f.bin", "f.txt"} {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			src, err := Open(File{Path: p, Size: int64(len(data))}, Options{MaxRecordBytes: 1 << 20})
			if err != nil {
				continue
			}
			readAll(t, src)
		}
	})
}

// FuzzJSONSplit: the bracket splitter finds the elements of any valid
// JSON array exactly as encoding/json does, and on any input ends
// without panicking and with memory bounded by the record size.
func FuzzJSONSplit(f *testing.F) {
	f.Add([]byte(`[{"text":"a"}, {"text": "b,]\\\"["}, 1, "x", [1, [2]], {}]`))
	f.Add([]byte(`[ ]`))
	f.Add([]byte("[\n  {\"a\": {\"b\": [\"}\"]}}\n]\n"))
	f.Add([]byte(`[{"text":"a"}, {"text": x}, {"text":"c"},]`))
	f.Add([]byte(`[` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `]`))
	f.Add([]byte(`{"a":1} {"b":2}` + "\n" + `[3] "s" }`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, array := range []bool{true, false} {
			sp := &valueSplitter{r: bufio.NewReader(bytes.NewReader(data)), max: 64, array: array}
			var got [][]byte
			var end error
			for range len(data) + 2 {
				v, _, tooLong, err := sp.next()
				if err != nil {
					end = err
					break
				}
				if len(v) > 64 || tooLong && len(v) > 0 {
					t.Fatalf("value of %d bytes kept past the bound", len(v))
				}
				got = append(got, bytes.Clone(v))
			}
			if end == nil {
				t.Fatal("the splitter did not end")
			}
			if !array || !json.Valid(data) || bytes.TrimSpace(data)[0] != '[' {
				continue
			}
			var want []json.RawMessage
			if err := json.Unmarshal(data, &want); err != nil {
				continue
			}
			if end != io.EOF {
				t.Fatalf("valid array ended with %v", end)
			}
			var kept []json.RawMessage
			for _, w := range want {
				if len(bytes.TrimSpace(w)) <= 64 {
					kept = append(kept, w)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d elements, want %d", len(got), len(want))
			}
			k := 0
			for i, g := range got {
				if len(g) == 0 {
					continue // too long
				}
				if !bytes.Equal(g, bytes.TrimSpace(want[i])) {
					t.Fatalf("element %d is %q, want %q", i, g, want[i])
				}
				k++
			}
			if k != len(kept) {
				t.Fatalf("%d elements kept, want %d", k, len(kept))
			}
		}
	})
}
