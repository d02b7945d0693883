package input_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/input"
)

type collect struct{ ids []string }

func (c *collect) Write(docs []*pipeline.Document) error {
	for _, d := range docs {
		c.ids = append(c.ids, d.ID)
	}
	return nil
}
func (c *collect) Reject([]*pipeline.Document, []string) error { return nil }
func (c *collect) Close() error                                { return nil }
func (c *collect) Abort() error                                { return nil }

// TestEngineAccounting runs the engine over sources with bad records and
// a truncated file: every record is accounted for, the damage is listed,
// and the result is the same for any worker count.
func TestEngineAccounting(t *testing.T) {
	dir := t.TempDir()
	var good bytes.Buffer
	for i := range 500 {
		good.WriteString(`{"id":"g` + strings.Repeat("x", i%7) + `","text":"fine"}` + "\n")
	}
	lines := "{\"id\":\"a\",\"text\":\"ok\"}\n{bad json\n[1]\n{\"id\":\"b\"}\n\n{\"id\":\"c\",\"text\":\"ok \xff\"}\n"
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(good.Bytes())
	w.Close()
	files := map[string][]byte{
		"a.jsonl":    []byte(lines),
		"b.jsonl.gz": gz.Bytes()[:gz.Len()/2],
		"c.txt":      []byte("a text document"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	found, err := input.Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var first []string
	for _, workers := range []int{1, 3} {
		var sources []pipeline.Source
		for _, f := range found {
			src, err := input.Open(f, input.Options{})
			if err != nil {
				t.Fatal(err)
			}
			sources = append(sources, src)
		}
		sink := &collect{}
		st, err := pipeline.Run(context.Background(), sources, sink, pipeline.Options{Workers: workers, BatchRecords: 16})
		if err != nil {
			t.Fatal(err)
		}
		if st.DocsIn != st.DocsOut+st.DocsRejected+st.DocsErrored || st.DocsErrored != 3 {
			t.Errorf("docs in %d out %d rejected %d errored %d", st.DocsIn, st.DocsOut, st.DocsRejected, st.DocsErrored)
		}
		want := map[string]int64{"input.malformed_json": 1, "input.not_an_object": 1, "input.missing_text": 1}
		for k, v := range want {
			if st.Errored[k] != v {
				t.Errorf("errored %v, want %v", st.Errored, want)
				break
			}
		}
		if len(st.InputErrors) != 1 || !strings.HasSuffix(st.InputErrors[0].File, "b.jsonl.gz") {
			t.Errorf("input errors %+v", st.InputErrors)
		}
		if st.DocsOut < 100 || st.Repaired["invalid_utf8"] != 1 {
			t.Errorf("kept %d, repaired %v", st.DocsOut, st.Repaired)
		}
		if first == nil {
			first = sink.ids
		} else if strings.Join(first, ",") != strings.Join(sink.ids, ",") {
			t.Errorf("output differs between worker counts")
		}
	}
}

// TestEngineCountsReaderRepairs: a WARC body cut at the 32 MiB record
// bound and a page whose bytes could not all be decoded are kept and
// counted in stats "repaired".
func TestEngineCountsReaderRepairs(t *testing.T) {
	var body bytes.Buffer
	w, _ := gzip.NewWriterLevel(&body, gzip.BestSpeed)
	line := []byte(strings.Repeat("<p>a page of some words</p>", 40) + "\n")
	for range (40 << 20) / len(line) {
		w.Write(line)
	}
	w.Close()
	response := func(uri, body string, headers ...string) string {
		http := "HTTP/1.1 200 OK\r\n" + strings.Join(headers, "\r\n") + "\r\n\r\n" + body
		return "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: " + uri + "\r\nContent-Type: application/http; msgtype=response\r\n" +
			"Content-Length: " + strconv.Itoa(len(http)) + "\r\n\r\n" + http + "\r\n\r\n"
	}
	data := response("http://big.example/", body.String(), "Content-Type: text/html", "Content-Encoding: gzip") +
		response("http://bad.example/", "<p>caf\xe9</p>", "Content-Type: text/html; charset=utf-8") +
		response("http://ok.example/", "<p>fine</p>", "Content-Type: text/html")
	p := filepath.Join(t.TempDir(), "r.warc")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := input.Open(input.File{Path: p, Size: int64(len(data))}, input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pipeline.Run(context.Background(), []pipeline.Source{src}, &collect{}, pipeline.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if st.DocsOut != 3 || st.Repaired["truncated_body"] != 1 || st.Repaired["invalid_utf8"] != 1 {
		t.Errorf("kept %d, repaired %v; want 3 kept, one truncated_body and one invalid_utf8", st.DocsOut, st.Repaired)
	}
}
