package input

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline/storage"
	"github.com/winnow-data/winnow/pipeline/storage/fakes3"
)

func putObjects(t testing.TB, loc string, objs map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	b, err := storage.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for name, data := range objs {
		if err := b.WriteFile(ctx, name, data); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExpandURL(t *testing.T) {
	objs := map[string][]byte{}
	for _, f := range []string{
		"a.jsonl", "b.jsonl.gz", "sub/c.txt", "sub/deeper/d.parquet", "subway.txt",
		".hidden.jsonl", ".git/config", "sub/_SUCCESS", "sub/.c.txt.crc", "sub/c.txt.crc",
		"sub/_committed_123", "_temporary/0/part-0.jsonl", "x.jsonl.md5",
	} {
		objs["crawl/"+f] = []byte(f)
	}
	s3 := fakes3.Start(t, "bkt")
	for kind, root := range map[string]func(key string) string{
		"mem": func(key string) string { return "mem://expand/" + key },
		"s3": func(key string) string {
			loc := s3.URL("bkt", key)
			if strings.HasSuffix(key, "/") { // s3.URL drops nothing: keep the slash before the query
				base, q, _ := strings.Cut(loc, "?")
				loc = strings.TrimSuffix(base, "/") + "/?" + q
			}
			return loc
		},
	} {
		t.Run(kind, func(t *testing.T) {
			putObjects(t, root(""), objs)
			tests := []struct {
				name string
				args []string
				want []string // keys under crawl/
				err  string
			}{
				{name: "prefix with slash lists recursively, non-inputs skipped", args: []string{root("crawl/")},
					want: []string{"a.jsonl", "b.jsonl.gz", "sub/c.txt", "sub/deeper/d.parquet", "subway.txt"}},
				{name: "prefix without slash", args: []string{root("crawl/sub")},
					want: []string{"sub/c.txt", "sub/deeper/d.parquet"}},
				{name: "object", args: []string{root("crawl/sub/c.txt")}, want: []string{"sub/c.txt"}},
				{name: "explicit hidden object is taken", args: []string{root("crawl/.hidden.jsonl")}, want: []string{".hidden.jsonl"}},
				{name: "glob in the last element", args: []string{root("crawl/*.jsonl*")}, want: []string{"a.jsonl", "b.jsonl.gz"}},
				{name: "glob matching a prefix lists it", args: []string{root("crawl/s[u]b")},
					want: []string{"sub/c.txt", "sub/deeper/d.parquet"}},
				{name: "merged and de-duplicated", args: []string{root("crawl/sub/"), root("crawl/sub/c.txt"), root("crawl/a.jsonl")},
					want: []string{"a.jsonl", "sub/c.txt", "sub/deeper/d.parquet"}},
				{name: "missing object", args: []string{root("crawl/nope.jsonl")}, err: "no input files"},
				{name: "glob matching nothing", args: []string{root("crawl/*.warc")}, err: "no input files"},
				{name: "glob in a directory element", args: []string{root("cr*/a.jsonl")}, err: "last element"},
				{name: "double star", args: []string{root("crawl/**")}, err: `"**" globs are not supported`},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					files, err := Expand(tc.args)
					if tc.err != "" {
						if err == nil || !strings.Contains(err.Error(), tc.err) {
							t.Fatalf("error %v, want one naming %q", err, tc.err)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, f := range files {
						name, ok := strings.CutPrefix(f.Name, "crawl/")
						if !ok || f.Bucket == nil || f.Path != f.Bucket.Join(f.Name) || strings.Contains(f.Path, "?") {
							t.Errorf("file %+v", f)
						}
						got = append(got, name)
						if f.Size != int64(len(objs[f.Name])) {
							t.Errorf("%s: size %d, want %d", f.Path, f.Size, len(objs[f.Name]))
						}
					}
					if !reflect.DeepEqual(got, tc.want) {
						t.Errorf("got %q\nwant %q", got, tc.want)
					}
				})
			}
		})
	}
}

func TestExpandFileURL(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte("{}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "_SUCCESS"), nil, 0o644)
	files, err := Expand([]string{"file://" + filepath.ToSlash(dir)})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != filepath.Join(dir, "a.jsonl") || files[0].Bucket != nil {
		t.Errorf("Expand(file://dir) = %+v", files)
	}
}

// readURL expands loc and reads every file it names.
func readURL(t *testing.T, loc string, opts Options) result {
	t.Helper()
	files, err := Expand([]string{loc})
	if err != nil {
		t.Fatal(err)
	}
	var all result
	for _, f := range files {
		src, err := Open(f, opts)
		if err != nil {
			t.Fatalf("Open(%s): %v", f.Path, err)
		}
		if src.Name() != f.Path || src.Size() != f.Size {
			t.Errorf("source %s of size %d, want %s, %d", src.Name(), src.Size(), f.Path, f.Size)
		}
		r := readAll(t, src)
		if r.fileErr != nil || r.otherErr != nil {
			t.Fatalf("%s: %v %v", f.Path, r.fileErr, r.otherErr)
		}
		all.docs = append(all.docs, r.docs...)
		all.recErrs = append(all.recErrs, r.recErrs...)
	}
	return all
}

// TestReadURL reads JSONL.zst, Parquet (with ranged reads) and WARC
// objects from S3 and from mem://, and checks that they give the same
// documents as the same bytes in local files.
func TestReadURL(t *testing.T) {
	var jsonl strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&jsonl, `{"id":"d%d","text":"document %d: %s","url":"https://example.com/%d","meta":{"n":%d}}`+"\n",
			i, i, strings.Repeat("words of text ", i%50), i, i)
	}
	var rows []testRow
	for i := range 2000 {
		rows = append(rows, testRow{id: int64(i), text: strp(fmt.Sprintf("row %d %s", i, strings.Repeat("x", i%300))),
			url: fmt.Sprintf("https://e.com/%d", i), lang: "en", score: float64(i), tags: []string{"a", "b"}})
	}
	warcData, err := os.ReadFile(filepath.Join("warc", "testdata", "sample.warc.gz"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"docs.jsonl.zst":      zstdBytes(t, []byte(jsonl.String())),
		"rows.parquet":        writeParquet(t, rows, 300),
		"crawl.warc.gz":       warcData,
		"noext":               []byte(jsonl.String()[:2000]), // detected from its bytes
		"gz-by-magic.unknown": gzipBytes(t, []byte("plain text\n")),
	}
	s3 := fakes3.Start(t, "bkt")
	for name, data := range files {
		local := readLocal(t, name, data)
		for _, loc := range []string{s3.URL("bkt", "in"), "mem://readurl/in"} {
			putObjects(t, loc, map[string][]byte{name: data})
			base, q, _ := strings.Cut(loc, "?")
			if q != "" {
				q = "?" + q
			}
			remote := readURL(t, base+"/"+name+q, Options{})
			if len(remote.docs) != len(local.docs) || len(local.docs) == 0 {
				t.Fatalf("%s: %d documents from %s, %d from a local file", name, len(remote.docs), loc, len(local.docs))
			}
			if !reflect.DeepEqual(remote.reasons(), local.reasons()) {
				t.Errorf("%s: record errors %q from %s, %q from a local file", name, remote.reasons(), loc, local.reasons())
			}
			for _, e := range remote.recErrs {
				if e.File != "s3://bkt/in/"+name && e.File != "mem://readurl/in/"+name {
					t.Errorf("%s: record error names %q", name, e.File)
				}
			}
			for i := range local.docs {
				l, r := *local.docs[i], *remote.docs[i]
				// Sources that set Source (WARC) name the object.
				if _, rec, _ := strings.Cut(l.Source, name); r.Source != "" && !strings.HasSuffix(r.Source, "/in/"+name+rec) {
					t.Errorf("%s: source %q, want the object's URL", name, r.Source)
				}
				l.Source, r.Source = "", ""
				if !reflect.DeepEqual(l, r) {
					t.Fatalf("%s: document %d differs:\n local %+v\nremote %+v", name, i, l, r)
				}
			}
		}
	}
}

func readLocal(t *testing.T, name string, data []byte) result {
	t.Helper()
	src := mustOpenBytes(t, name, data, Options{})
	r := readAll(t, src)
	if r.fileErr != nil || r.otherErr != nil {
		t.Fatalf("%s: %v %v", name, r.fileErr, r.otherErr)
	}
	return r
}

// TestOpenURLWithoutExpand opens a File that carries only its URL: the
// parameters in the query reach the store.
func TestOpenURLWithoutExpand(t *testing.T) {
	s3 := fakes3.Start(t, "bkt")
	loc := s3.URL("bkt", "solo")
	putObjects(t, loc, map[string][]byte{"a.jsonl": []byte(`{"text":"hello"}` + "\n")})
	base, q, _ := strings.Cut(loc, "?")
	src, err := Open(File{Path: base + "/a.jsonl?" + q, Size: 17}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := readAll(t, src); len(r.docs) != 1 || r.docs[0].Text != "hello" {
		t.Errorf("read %q, %v", r.texts(), r.fileErr)
	}
	// A missing object is a file error naming it.
	_, err = Open(File{Path: base + "/missing.jsonl?" + q}, Options{})
	if err == nil || !strings.Contains(err.Error(), "s3://bkt/solo/missing.jsonl") {
		t.Errorf("Open(missing) = %v", err)
	}
}

// FuzzExpandURL expands arbitrary URLs into a small bucket: no panic, and
// every file found is an object of the bucket, named as Join names it.
func FuzzExpandURL(f *testing.F) {
	for _, s := range []string{"", "crawl/", "crawl/*.jsonl", "crawl/s[u]b", "crawl/sub", "c*/x", "crawl/**",
		"crawl/[", "crawl/a.jsonl?x=1", "%zz", "crawl/../crawl/a.jsonl", "/crawl//a.jsonl", "crawl/\\*"} {
		f.Add(s)
	}
	objs := map[string][]byte{}
	for _, n := range []string{"crawl/a.jsonl", "crawl/sub/b.txt", "crawl/.h", "crawl/_SUCCESS", "other/c.parquet"} {
		objs[n] = []byte(n)
	}
	putObjects(f, "mem://fuzz-expand", objs)
	f.Fuzz(func(t *testing.T, s string) {
		files, err := Expand([]string{"mem://fuzz-expand/" + s})
		if err != nil {
			return
		}
		for _, file := range files {
			if file.Bucket == nil || objs[file.Name] == nil || file.Path != file.Bucket.Join(file.Name) || file.Size != int64(len(objs[file.Name])) {
				t.Fatalf("%q: file %+v", s, file)
			}
		}
	})
}
