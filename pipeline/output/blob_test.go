package output

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/input"
	"github.com/winnow-data/winnow/pipeline/storage"
	"github.com/winnow-data/winnow/pipeline/storage/fakes3"
)

// listNames lists every object under loc.
func listNames(t *testing.T, loc string) []string {
	t.Helper()
	b, err := storage.Open(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var out []string
	for o, err := range b.List(context.Background(), "") {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o.Name)
	}
	return out
}

// readBack reads every shard under loc with the input package and
// returns the documents' texts by id, failing on an id seen twice.
func readBack(t *testing.T, loc string) map[string]string {
	t.Helper()
	base, q, _ := strings.Cut(loc, "?")
	if q != "" {
		q = "?" + q
	}
	files, err := input.Expand([]string{base + "/" + q})
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	for _, f := range files {
		src, err := input.Open(f, input.Options{})
		if err != nil {
			t.Fatal(err)
		}
		dec, _ := src.(pipeline.Decoder)
		for rec, err := range src.Records(context.Background()) {
			if err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			d := rec.Doc
			if d == nil {
				d = &pipeline.Document{}
				if err := dec.Decode(rec.Raw, d); err != nil {
					t.Fatalf("%s: %v", f.Path, err)
				}
			}
			if _, dup := texts[d.ID]; dup {
				t.Errorf("%s: document %s read twice", f.Path, d.ID)
			}
			texts[d.ID] = d.Text
		}
	}
	return texts
}

func TestWriteToS3(t *testing.T) {
	ctx := context.Background()
	s3 := fakes3.Start(t, "bkt")
	docs := manyDocs(200, 1000)
	docs = append(docs, doc("de-1", "Ein deutscher Text mit Umlauten: äöü ß.", "de", nil))
	for _, format := range []Format{Parquet, JSONL, Arrow} {
		t.Run(string(format), func(t *testing.T) {
			loc := s3.URL("bkt", "out-"+string(format))
			w, err := Open(ctx, loc, Options{Format: format, MaxShardBytes: 30_000, RowGroupBytes: 8_000})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(docs); i += 17 {
				if err := w.Write(docs[i:min(i+17, len(docs))]); err != nil {
					t.Fatal(err)
				}
			}
			// Before Close only hidden temporary objects exist.
			for _, n := range listNames(t, loc) {
				if !strings.HasPrefix(path.Base(n), ".") {
					t.Errorf("%s visible before Close", n)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, f := range w.Files() {
				want = append(want, f.Path)
			}
			if len(want) < 5 {
				t.Errorf("%d shards, want several", len(want))
			}
			if got := listNames(t, loc); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("after Close the bucket holds %q, want the shards %q", got, want)
			}
			if format == Arrow {
				return // the input package does not read Arrow IPC
			}
			texts := readBack(t, loc)
			if len(texts) != len(docs) {
				t.Errorf("read back %d documents, want %d", len(texts), len(docs))
			}
			for _, d := range docs {
				if got, ok := texts[d.ID]; !ok || got != d.Text {
					t.Errorf("document %s: read back %q (found %v)", d.ID, got, ok)
				}
			}
		})
	}
}

// TestWriteToS3Multipart writes a shard larger than a part: it is
// uploaded in parts and then copied to its final name whole.
func TestWriteToS3Multipart(t *testing.T) {
	ctx := context.Background()
	s3 := fakes3.Start(t, "bkt")
	loc := s3.URL("bkt", "big")
	w, err := Open(ctx, loc, Options{Compression: "none", MaxShardBytes: 64 << 20}, storage.WithPartSize(5<<20))
	if err != nil {
		t.Fatal(err)
	}
	docs := manyDocs(1200, 10_000) // about 12 MB of text, one shard
	for i := 0; i < len(docs); i += 100 {
		if err := w.Write(docs[i : i+100]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files := w.Files()
	if len(files) != 1 || files[0].Bytes < 10<<20 {
		t.Fatalf("shards %+v, want one of more than two parts", files)
	}
	if n := s3.Requests("PUT"); n < 3 {
		t.Errorf("%d PUT requests, want a multipart upload", n)
	}
	texts := readBack(t, loc)
	if len(texts) != len(docs) {
		t.Fatalf("read back %d documents, want %d", len(texts), len(docs))
	}
	for _, d := range docs {
		if texts[d.ID] != d.Text {
			t.Fatalf("document %s changed", d.ID)
		}
	}
}

func TestAbortOnS3LeavesNothing(t *testing.T) {
	ctx := context.Background()
	s3 := fakes3.Start(t, "bkt")
	loc := s3.URL("bkt", "aborted")
	w, err := Open(ctx, loc, Options{MaxShardBytes: 30_000, RowGroupBytes: 8_000})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(manyDocs(200, 1000)); err != nil {
		t.Fatal(err)
	}
	if len(listNames(t, loc)) == 0 {
		t.Fatal("no temporary shard written; the test needs some")
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, loc); len(got) != 0 {
		t.Errorf("after Abort the bucket holds %q", got)
	}
}

func TestOpenLocal(t *testing.T) {
	dir := t.TempDir()
	for _, loc := range []string{dir + "/plain", "file://" + dir + "/url"} {
		w, err := Open(context.Background(), loc, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := w.st.(dirStorage); !ok {
			t.Errorf("Open(%s) writes through %T, want the local directory", loc, w.st)
		}
		w.Write([]*pipeline.Document{doc("1", "x", "en", nil)})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got := listFiles(t, strings.TrimPrefix(loc, "file://")); len(got) != 1 {
			t.Errorf("Open(%s) wrote %q", loc, got)
		}
	}
}

// Shards go to object storage by URL; mem:// stands in for s3://,
// gs:// or azblob:// here.
func ExampleOpen() {
	ctx := context.Background()
	w, err := Open(ctx, "mem://example-bucket/run-1", Options{})
	if err != nil {
		panic(err)
	}
	w.Write([]*pipeline.Document{
		{ID: "1", Text: "A short English text.", Lang: "en"},
		{ID: "2", Text: "Ein kurzer deutscher Text.", Lang: "de"},
	})
	if err := w.Close(); err != nil {
		panic(err)
	}
	b, _ := storage.Open(ctx, "mem://example-bucket/run-1")
	for o, err := range b.List(ctx, "") {
		if err != nil {
			panic(err)
		}
		fmt.Println(b.Join(o.Name))
	}
	// Output:
	// mem://example-bucket/run-1/lang=de/part-00000-00000.parquet
	// mem://example-bucket/run-1/lang=en/part-00000-00000.parquet
}

// TestAbortAfterCancel cancels the run's context, as an interrupted run
// does, then aborts: the shards already written are removed all the same.
func TestAbortAfterCancel(t *testing.T) {
	s3 := fakes3.Start(t, "bkt")
	loc := s3.URL("bkt", "cancelled")
	ctx, cancel := context.WithCancel(context.Background())
	w, err := Open(ctx, loc, Options{MaxShardBytes: 30_000, RowGroupBytes: 8_000})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(manyDocs(200, 1000)); err != nil {
		t.Fatal(err)
	}
	if len(listNames(t, loc)) == 0 {
		t.Fatal("no temporary shard written; the test needs some")
	}
	cancel()
	w.Abort()
	if got := listNames(t, loc); len(got) != 0 {
		t.Errorf("after cancel and Abort the bucket holds %q", got)
	}
}

// TestRunThroughS3 runs the engine from JSONL.zst objects in S3 to shards
// in S3, and checks the result against the same run on local files: the
// same documents and the same accounting.
func TestRunThroughS3(t *testing.T) {
	ctx := context.Background()
	s3 := fakes3.Start(t, "bkt")
	dir := t.TempDir()
	var in, in2 strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&in, `{"id":"r%04d","text":"record %d %s","lang":"%s"}`+"\n", i, i, strings.Repeat("ab ", i%40), []string{"en", "de", "fr"}[i%3])
	}
	for i := range 500 {
		fmt.Fprintf(&in2, `{"id":"s%04d","text":"second file %d","lang":"en"}`+"\n", i, i)
	}
	var zbuf strings.Builder
	zw, _ := zstd.NewWriter(&zbuf)
	zw.Write([]byte(in.String()))
	zw.Close()
	inputs := map[string][]byte{"part-0.jsonl.zst": []byte(zbuf.String()), "part-1.jsonl": []byte(in2.String())}
	b, err := storage.Open(ctx, s3.URL("bkt", "in"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range inputs {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := b.WriteFile(ctx, name, data); err != nil {
			t.Fatal(err)
		}
	}
	run := func(inLoc string, w *Writer) (*pipeline.Stats, []FileInfo) {
		t.Helper()
		files, err := input.ExpandContext(ctx, []string{inLoc})
		if err != nil {
			t.Fatal(err)
		}
		var sources []pipeline.Source
		for _, f := range files {
			src, err := input.Open(f, input.Options{})
			if err != nil {
				t.Fatal(err)
			}
			sources = append(sources, src)
		}
		st, err := pipeline.Run(ctx, sources, w, pipeline.Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		return st, w.Files()
	}
	lw, err := Open(ctx, filepath.Join(dir, "out"), Options{MaxShardBytes: 40_000})
	if err != nil {
		t.Fatal(err)
	}
	localStats, localFiles := run(filepath.Join(dir, "part-*"), lw)
	out := s3.URL("bkt", "out")
	rw, err := Open(ctx, out, Options{MaxShardBytes: 40_000})
	if err != nil {
		t.Fatal(err)
	}
	base, q, _ := strings.Cut(s3.URL("bkt", "in"), "?")
	remoteStats, remoteFiles := run(base+"/?"+q, rw)

	if localStats.DocsIn != 3500 {
		t.Fatalf("local run read %d documents", localStats.DocsIn)
	}
	if remoteStats.DocsIn != localStats.DocsIn || remoteStats.DocsOut != localStats.DocsOut || remoteStats.DocsErrored != localStats.DocsErrored {
		t.Errorf("S3 run: in %d out %d errored %d; local run: in %d out %d errored %d",
			remoteStats.DocsIn, remoteStats.DocsOut, remoteStats.DocsErrored, localStats.DocsIn, localStats.DocsOut, localStats.DocsErrored)
	}
	// Shard boundaries may differ: rotation counts the source column,
	// which names the input by its path or URL.
	if len(localFiles) < 3 || len(remoteFiles) < 3 {
		t.Errorf("S3 shards %v, local shards %v: want several", fileNames(remoteFiles), fileNames(localFiles))
	}
	if got, want := readBack(t, out), readBack(t, "file://"+filepath.Join(dir, "out")); len(got) != 3500 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the S3 run's documents differ from the local run's")
	}
}

func fileNames(fs []FileInfo) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out
}
