package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/winnow-data/winnow/pipeline/storage"
	"github.com/winnow-data/winnow/pipeline/storage/fakes3"
)

// backends returns one location of every kind, each empty.
func backends(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	s3 := fakes3.Start(t, "bkt")
	return map[string]string{
		"local": filepath.Join(dir, "local"),
		"file":  "file://" + filepath.ToSlash(filepath.Join(dir, "file")),
		"mem":   "mem://" + strings.ReplaceAll(t.Name(), "/", "_") + "/run/1",
		"s3":    s3.URL("bkt", "run/1"),
	}
}

func open(t *testing.T, loc string, opts ...storage.Option) *storage.Bucket {
	t.Helper()
	b, err := storage.Open(context.Background(), loc, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", loc, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func names(t *testing.T, b *storage.Bucket, prefix string) []string {
	t.Helper()
	var out []string
	for o, err := range b.List(context.Background(), prefix) {
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		out = append(out, o.Name)
	}
	return out
}

func write(t *testing.T, b *storage.Bucket, name, data string) {
	t.Helper()
	if err := b.WriteFile(context.Background(), name, []byte(data)); err != nil {
		t.Fatalf("WriteFile(%s): %v", name, err)
	}
}

func TestBucket(t *testing.T) {
	ctx := context.Background()
	for kind, loc := range backends(t) {
		t.Run(kind, func(t *testing.T) {
			b := open(t, loc)

			// Create: invisible until Close, whole after it.
			w, err := b.Create(ctx, "lang=en/part-0.parquet")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write([]byte("hello, ")); err != nil {
				t.Fatal(err)
			}
			if got := names(t, b, ""); len(got) != 0 {
				t.Errorf("listed before Close: %q", got)
			}
			if ok, _ := b.Exists(ctx, "lang=en/part-0.parquet"); ok {
				t.Error("exists before Close")
			}
			w.Write([]byte("world"))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got, err := b.ReadFile(ctx, "lang=en/part-0.parquet"); err != nil || string(got) != "hello, world" {
				t.Errorf("ReadFile = %q, %v", got, err)
			}

			// Abort: nothing appears.
			w, err = b.Create(ctx, "lang=en/part-1.parquet")
			if err != nil {
				t.Fatal(err)
			}
			w.Write(bytes.Repeat([]byte("x"), 1000))
			if err := w.Abort(); err != nil {
				t.Errorf("Abort: %v", err)
			}
			if ok, err := b.Exists(ctx, "lang=en/part-1.parquet"); ok || err != nil {
				t.Errorf("aborted object: exists %v, %v", ok, err)
			}

			// List: sorted by whole name, recursive, under a prefix.
			for _, n := range []string{"a.b", "a/x", "a/y/z", "b", "ab"} {
				write(t, b, n, n)
			}
			if got, want := names(t, b, ""), []string{"a.b", "a/x", "a/y/z", "ab", "b", "lang=en/part-0.parquet"}; !slices.Equal(got, want) {
				t.Errorf("List(\"\") = %q, want %q", got, want)
			}
			if got, want := names(t, b, "a/"), []string{"a/x", "a/y/z"}; !slices.Equal(got, want) {
				t.Errorf("List(a/) = %q, want %q", got, want)
			}
			if got, want := names(t, b, "a"), []string{"a.b", "a/x", "a/y/z", "ab"}; !slices.Equal(got, want) {
				t.Errorf("List(a) = %q, want %q", got, want)
			}
			if got := names(t, b, "nothing/"); len(got) != 0 {
				t.Errorf("List(nothing/) = %q", got)
			}
			for o, err := range b.List(ctx, "a/y/") {
				if err != nil || o.Size != 5 {
					t.Errorf("List(a/y/) = %+v, %v; want size 5", o, err)
				}
			}

			// Rename replaces the target and removes the source.
			write(t, b, "final", "old")
			if err := b.Rename(ctx, "a.b", "final"); err != nil {
				t.Fatal(err)
			}
			if got, _ := b.ReadFile(ctx, "final"); string(got) != "a.b" {
				t.Errorf("after Rename: final = %q", got)
			}
			if ok, _ := b.Exists(ctx, "a.b"); ok {
				t.Error("Rename left the source")
			}
			if err := b.Rename(ctx, "a.b", "c"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Rename of a missing object: %v, want fs.ErrNotExist", err)
			}

			// Remove: missing is not an error.
			if err := b.Remove(ctx, "final"); err != nil {
				t.Error(err)
			}
			if err := b.Remove(ctx, "final"); err != nil {
				t.Errorf("Remove of a missing object: %v", err)
			}

			// Missing objects match fs.ErrNotExist and name the location.
			_, err = b.ReadFile(ctx, "missing/x")
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ReadFile(missing): %v, want fs.ErrNotExist", err)
			}
			if err == nil || !strings.Contains(err.Error(), strings.TrimSuffix(b.Join("missing/x"), "?")) {
				t.Errorf("error %v does not name %s", err, b.Join("missing/x"))
			}
			if _, err := b.NewReaderAt(ctx, "missing/x"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("NewReaderAt(missing): %v, want fs.ErrNotExist", err)
			}
			if _, err := b.NewReader(ctx, "a"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("NewReader of a directory-like prefix: %v, want fs.ErrNotExist", err)
			}
		})
	}
}

func TestReaderAt(t *testing.T) {
	ctx := context.Background()
	data := make([]byte, 100_000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for kind, loc := range backends(t) {
		t.Run(kind, func(t *testing.T) {
			b := open(t, loc)
			write(t, b, "x.parquet", string(data))
			r, err := b.NewReaderAt(ctx, "x.parquet")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Size() != int64(len(data)) {
				t.Errorf("Size = %d, want %d", r.Size(), len(data))
			}
			if end, err := r.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
				t.Errorf("Seek(0, End) = %d, %v", end, err)
			}
			for _, c := range []struct {
				off, n int64
				want   int
				eof    bool
			}{
				{0, 4, 4, false},
				{99_996, 4, 4, false},
				{50_000, 1000, 1000, false},
				{99_990, 20, 10, true},
				{100_000, 1, 0, true},
			} {
				p := make([]byte, c.n)
				n, err := r.ReadAt(p, c.off)
				if n != c.want || (err == io.EOF) != c.eof || (err != nil && err != io.EOF) {
					t.Errorf("ReadAt(%d bytes at %d) = %d, %v; want %d, eof %v", c.n, c.off, n, err, c.want, c.eof)
				}
				if !bytes.Equal(p[:n], data[c.off:c.off+int64(n)]) {
					t.Errorf("ReadAt(%d bytes at %d): wrong bytes", c.n, c.off)
				}
			}
		})
	}
}

func TestNames(t *testing.T) {
	ctx := context.Background()
	b := open(t, t.TempDir())
	for _, name := range []string{"", "/abs", "../x", "a/../../x", "a//b", "dir/", "./a"} {
		if _, err := b.Create(ctx, name); err == nil {
			t.Errorf("Create(%q) succeeded", name)
		}
		if _, err := b.NewReader(ctx, name); err == nil {
			t.Errorf("NewReader(%q) succeeded", name)
		}
	}
	for o, err := range b.List(ctx, "../") {
		if err == nil {
			t.Errorf("List(../) yielded %v", o)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	for _, loc := range []string{
		"",
		"ftp://host/x",
		"s3:///no-bucket",
		"s3://b/x?regoin=eu-west-1",
		"s3://b/x?use_path_style=maybe",
		"mem://x?part_size=-1",
		"file://otherhost/x",
	} {
		if b, err := storage.Open(context.Background(), loc); err == nil {
			b.Close()
			t.Errorf("Open(%q) succeeded", loc)
		}
	}
}

func TestIsURL(t *testing.T) {
	for loc, want := range map[string]bool{
		"s3://b/x": true, "gs://b": true, "azblob://c/p": true, "file:///tmp": true, "mem://x": true,
		"/tmp/x": false, "out": false, "C:\\data": false, "://x": false, "a b://x": false, "dir/s3://x": false,
	} {
		if got := storage.IsURL(loc); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", loc, got, want)
		}
	}
}

func TestJoin(t *testing.T) {
	for _, c := range []struct{ loc, name, want string }{
		{"/data/out", "lang=en/x", filepath.FromSlash("/data/out/lang=en/x")},
		{"file:///data/out", "x", "file:///data/out/x"},
		{"s3://b/run?region=eu-west-1", "stats.json", "s3://b/run/stats.json"},
		{"s3://b", "x", "s3://b/x"},
		{"mem://m/p/", "x", "mem://m/p/x"},
	} {
		b := open(t, c.loc)
		if got := b.Join(c.name); got != c.want {
			t.Errorf("Join(%s, %s) = %s, want %s", c.loc, c.name, got, c.want)
		}
		if b.String() != c.loc {
			t.Errorf("String() = %s, want %s", b.String(), c.loc)
		}
	}
}

// TestPrefixesAreSeparate checks that two locations in one bucket see only
// their own objects.
func TestPrefixesAreSeparate(t *testing.T) {
	s3 := fakes3.Start(t, "bkt")
	for _, mk := range []func(string) string{
		func(p string) string { return s3.URL("bkt", p) },
		func(p string) string { return "mem://prefixes/" + p },
	} {
		a, b, root := open(t, mk("runs/a")), open(t, mk("runs/ab")), open(t, mk(""))
		write(t, a, "x", "a")
		write(t, b, "x", "b")
		if got := names(t, a, ""); !slices.Equal(got, []string{"x"}) {
			t.Errorf("a lists %q", got)
		}
		if got := names(t, root, "runs/"); !slices.Equal(got, []string{"runs/a/x", "runs/ab/x"}) {
			t.Errorf("root lists %q", got)
		}
	}
}

// TestMultipart writes an object of several parts through S3 and reads it
// back byte for byte.
func TestMultipart(t *testing.T) {
	ctx := context.Background()
	s3 := fakes3.Start(t, "bkt")
	b := open(t, s3.URL("bkt", "big"), storage.WithPartSize(5<<20))
	data := make([]byte, 12<<20+12345)
	rand.NewChaCha8([32]byte{1}).Read(data)
	rng := rand.New(rand.NewPCG(1, 2))
	w, err := b.Create(ctx, "shard.parquet")
	if err != nil {
		t.Fatal(err)
	}
	// Odd-sized writes, as an encoder issues them.
	for p := data; len(p) > 0; {
		n := min(len(p), 1+rng.IntN(300_000))
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Three parts: created, uploaded and completed with POSTs and PUTs.
	if n := s3.Requests("PUT"); n < 3 {
		t.Errorf("%d PUT requests for a 12 MiB object in 5 MiB parts, want a multipart upload", n)
	}
	r, err := b.NewReader(ctx, "shard.parquet")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want %d identical", len(got), err, len(data))
	}

	// An aborted multipart upload leaves nothing.
	w, err = b.Create(ctx, "aborted.parquet")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Abort()
	if got := names(t, b, ""); !slices.Equal(got, []string{"shard.parquet"}) {
		t.Errorf("after abort: %q", got)
	}
}

// TestRetry answers requests with 503 SlowDown before passing them on:
// reads, writes and lists succeed after backing off.
func TestRetry(t *testing.T) {
	ctx := context.Background()
	s3 := fakes3.Start(t, "bkt")
	b := open(t, s3.URL("bkt", ""), storage.WithRetry(6, 20*time.Millisecond))
	s3.Throttle(3)
	write(t, b, "x", "payload")
	s3.Throttle(3)
	got, err := b.ReadFile(ctx, "x")
	if err != nil || string(got) != "payload" {
		t.Errorf("ReadFile after throttling = %q, %v", got, err)
	}
	s3.Throttle(3)
	if got := names(t, b, ""); !slices.Equal(got, []string{"x"}) {
		t.Errorf("List after throttling = %q", got)
	}
	s3.Throttle(0)
	if n := s3.Throttled(); n != 9 {
		t.Errorf("%d requests throttled, want 9 (each retried)", n)
	}

	// A multipart upload whose requests are throttled: parts are sent
	// again from their buffers.
	mb := open(t, s3.URL("bkt", ""), storage.WithRetry(6, 20*time.Millisecond), storage.WithPartSize(5<<20))
	big := bytes.Repeat([]byte("0123456789abcdef"), 11<<16) // 11 MiB
	s3.Throttle(4)
	write(t, mb, "big", string(big))
	if got, err := mb.ReadFile(ctx, "big"); err != nil || !bytes.Equal(got, big) {
		t.Errorf("multipart upload under throttling: read back %d bytes, %v", len(got), err)
	}
	if n := s3.Throttled(); n != 13 {
		t.Errorf("%d requests throttled, want 13", n)
	}

	// Past the attempts, the error reaches the caller, naming the object.
	s3.Throttle(100)
	_, err = b.ReadFile(ctx, "x")
	if err == nil || !strings.Contains(err.Error(), "s3://bkt/x") {
		t.Errorf("ReadFile under endless throttling: %v", err)
	}
	s3.Throttle(0)
}

func TestLocalTempsHidden(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := open(t, dir)
	w, err := b.Create(ctx, "sub/x")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	if got := names(t, b, ""); len(got) != 0 {
		t.Errorf("in-progress write listed: %q", got)
	}
	w.Abort()
	entries, _ := filepath.Glob(filepath.Join(dir, "sub", "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, "sub", ".*"))
	if len(entries)+len(hidden) != 0 {
		t.Errorf("abort left %q %q", entries, hidden)
	}
}

func ExampleBucket() {
	ctx := context.Background()
	b, err := storage.Open(ctx, "mem://example/run")
	if err != nil {
		panic(err)
	}
	defer b.Close()
	b.WriteFile(ctx, "lang=en/part-00000-00000.parquet", []byte("..."))
	b.WriteFile(ctx, "stats.json", []byte("{}"))
	for o, err := range b.List(ctx, "") {
		if err != nil {
			panic(err)
		}
		fmt.Println(b.Join(o.Name), o.Size)
	}
	// Output:
	// mem://example/run/lang=en/part-00000-00000.parquet 3
	// mem://example/run/stats.json 2
}

// TestResume breaks downloads midway: the reader asks for the rest and
// the bytes come out whole; past the limit of resumes the error shows.
func TestResume(t *testing.T) {
	ctx := context.Background()
	s3 := fakes3.Start(t, "bkt")
	b := open(t, s3.URL("bkt", ""), storage.WithRetry(3, 10*time.Millisecond))
	data := make([]byte, 3<<20)
	rand.NewChaCha8([32]byte{3}).Read(data)
	write(t, b, "crawl.warc.gz", string(data))

	s3.Cut(4, 200_000)
	r, err := b.NewReader(ctx, "crawl.warc.gz")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes (%v) through 4 broken connections, want %d identical", len(got), err, len(data))
	}
	if s3.Cuts() != 4 {
		t.Errorf("%d downloads broken, want 4", s3.Cuts())
	}

	s3.Cut(1000, 100_000)
	r, err = b.NewReader(ctx, "crawl.warc.gz")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(r)
	r.Close()
	s3.Cut(0, 0)
	if err == nil {
		t.Error("endless breaks: no error")
	}
}

// TestReaderAtResume breaks ranged reads midway: ReadAt asks again.
func TestReaderAtResume(t *testing.T) {
	ctx := context.Background()
	s3 := fakes3.Start(t, "bkt")
	b := open(t, s3.URL("bkt", ""), storage.WithRetry(3, 10*time.Millisecond))
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	write(t, b, "x.parquet", string(data))
	r, err := b.NewReaderAt(ctx, "x.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s3.Cut(2, 1000)
	p := make([]byte, 500_000)
	if n, err := r.ReadAt(p, 12345); n != len(p) || err != nil || !bytes.Equal(p, data[12345:12345+len(p)]) {
		t.Errorf("ReadAt through broken connections = %d, %v", n, err)
	}
	if s3.Cuts() != 2 {
		t.Errorf("%d reads broken, want 2", s3.Cuts())
	}
}

// TestOpenClouds opens Google Cloud Storage and Azure locations with
// credentials that need no network, and checks where they point.
func TestOpenClouds(t *testing.T) {
	t.Setenv("AZURE_STORAGE_ACCOUNT", "devstoreaccount1")
	// The storage emulator's published development key.
	t.Setenv("AZURE_STORAGE_KEY", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")
	for _, c := range []struct{ loc, join string }{
		{"gs://my-bucket/runs/1?anonymous=true", "gs://my-bucket/runs/1/x"},
		{"azblob://container/runs/1?localemu=true&domain=127.0.0.1:10000&protocol=http", "azblob://container/runs/1/x"},
	} {
		b, err := storage.Open(context.Background(), c.loc)
		if err != nil {
			t.Errorf("Open(%s): %v", c.loc, err)
			continue
		}
		if got := b.Join("x"); got != c.join {
			t.Errorf("Join = %s, want %s", got, c.join)
		}
		b.Close()
	}
}

// TestEndpointFromEnvironment reaches an S3-compatible store named by
// AWS_ENDPOINT_URL_S3 rather than by the URL.
func TestEndpointFromEnvironment(t *testing.T) {
	s3 := fakes3.Start(t, "bkt")
	t.Setenv("AWS_ENDPOINT_URL_S3", s3.Endpoint())
	b := open(t, "s3://bkt/env?use_path_style=true")
	write(t, b, "x", "via the environment")
	if got, err := open(t, s3.URL("bkt", "env")).ReadFile(context.Background(), "x"); err != nil || string(got) != "via the environment" {
		t.Errorf("read back %q, %v", got, err)
	}
}
