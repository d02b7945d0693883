package input

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/winnow-data/winnow/pipeline"
)

// zerosBomb is 2 GiB of zero bytes, one line without end, compressed by
// `bzip2 -9` to 1.5 KB.
const zerosBomb = "testdata/zeros-2g.bz2"

// TestDecodedLimit: a compressed file that decompresses past the bound
// ends with an error naming the bound, after the records before it, in
// every codec.
func TestDecodedLimit(t *testing.T) {
	lines := jsonlLines(20000) // about 1.2 MB
	bomb, err := os.ReadFile(zerosBomb)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		opts Options
		docs bool // some records come before the limit
	}{
		{"a.jsonl.gz", gzipBytes(t, lines), Options{MaxDecodedBytes: 256 << 10}, true},
		{"a.jsonl.zst", zstdBytes(t, lines), Options{MaxDecodedBytes: 256 << 10}, true},
		{"a.jsonl.bz2", bytes.Repeat(knownBz2(t), 2000), Options{MaxDecodedBytes: 256 << 10}, true},
		{"a.json.zst", zstdBytes(t, append(append([]byte("[\n"), bytes.ReplaceAll(lines, []byte("}\n{"), []byte("},\n{"))...), ']')), Options{MaxDecodedBytes: 256 << 10}, true},
		{"a.txt.gz", gzipBytes(t, lines), Options{MaxDecodedBytes: 256 << 10}, false},
		// The default bound for a 1.5 KB file is 1 GiB; a smaller record
		// bound keeps the endless line from being held.
		{"bomb.jsonl.bz2", bomb, Options{MaxDecodedBytes: 16 << 20}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := readAll(t, mustOpenBytes(t, tc.name, tc.data, tc.opts))
			if r.fileErr == nil || !errors.Is(r.fileErr, ErrDecodedLimit) {
				t.Fatalf("file error %v, want the decoded size limit", r.fileErr)
			}
			if msg := r.fileErr.Error(); !strings.Contains(msg, "MiB decompressed") && !strings.Contains(msg, "KiB decompressed") || !strings.Contains(msg, tc.name) {
				t.Errorf("message %q does not name the file and the limit", msg)
			}
			if tc.docs && (len(r.docs) == 0 || len(r.docs) >= 20000) {
				t.Errorf("%d records before the limit", len(r.docs))
			}
		})
	}
	// Within the bound nothing changes.
	r := readAll(t, mustOpenBytes(t, "ok.jsonl.gz", gzipBytes(t, lines), Options{MaxDecodedBytes: int64(len(lines))}))
	if r.fileErr != nil || len(r.docs) != 20000 {
		t.Errorf("%d docs, %v", len(r.docs), r.fileErr)
	}
}

func TestDefaultDecodedLimit(t *testing.T) {
	m, err := compile(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ size, want int64 }{
		{1522, 1 << 30},
		{10 << 20, 10 << 30 * 1000 / 1024},
		{2 << 30, 2000 << 30},
		{-1, 1 << 40},
		{1 << 62, (1 << 62 / 1000) * 1000},
	} {
		if got := m.limitsFor(tc.size).decoded; got != tc.want {
			t.Errorf("size %d: limit %d, want %d", tc.size, got, tc.want)
		}
	}
	m, _ = compile(Options{MaxDecodedBytes: 5})
	if got := m.limitsFor(1 << 30).decoded; got != 5 {
		t.Errorf("explicit limit %d", got)
	}
}

// zstdFrame builds a zstd frame whose header asks for a window of
// 1<<windowLog bytes, holding data as one raw block: what `zstd
// --long=windowLog` writes for incompressible data, without the tool.
func zstdFrame(windowLog int, data []byte) []byte {
	f := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, byte(windowLog-10) << 3}
	h := uint32(1) | uint32(len(data))<<3 // last block, raw
	f = append(f, byte(h), byte(h>>8), byte(h>>16))
	return append(f, data...)
}

// TestZstdLongWindow: streams with the large windows of `zstd --long`
// read by default; a window over the configured bound is refused with a
// message naming the bound.
func TestZstdLongWindow(t *testing.T) {
	data := []byte(`{"text":"long window"}` + "\n")
	for _, log := range []int{27, 28, 29, 30, 31} {
		r := readAll(t, mustOpenBytes(t, "w.jsonl.zst", zstdFrame(log, data), Options{}))
		if r.fileErr != nil || len(r.docs) != 1 {
			t.Errorf("window 2^%d: %d docs, %v", log, len(r.docs), r.fileErr)
		}
	}
	for _, tc := range []struct {
		log  int
		opts Options
		want string
	}{
		{32, Options{}, "over the 2 GiB limit"},
		{28, Options{MaxZstdWindow: 128 << 20}, "over the 128 MiB limit"},
	} {
		r := readAll(t, mustOpenBytes(t, "w.jsonl.zst", zstdFrame(tc.log, data), tc.opts))
		if r.fileErr == nil || !strings.Contains(r.fileErr.Error(), tc.want) || !strings.Contains(r.fileErr.Error(), "max_zstd_window") {
			t.Errorf("window 2^%d: file error %v, want one about %q", tc.log, r.fileErr, tc.want)
		}
	}
	// A real --long=31 stream, if the zstd tool is here to make one, is
	// covered by the frame above: the decoder sees only the header's
	// window.
}

// TestCancelMidRead: every reader returns within a second of its context
// being cancelled in the middle of a read that would go on for long: an
// endless line, a decompression bomb, an endless JSON value.
func TestCancelMidRead(t *testing.T) {
	bomb, err := os.ReadFile(zerosBomb)
	if err != nil {
		t.Fatal(err)
	}
	endless := Options{MaxDecodedBytes: 1 << 50}
	type tc struct {
		name string
		path string
		opts Options
	}
	cases := []tc{
		{"bzip2 bomb, jsonl", writeTemp(t, "b.jsonl.bz2", bomb), endless},
		// Zeros are a binary file, skipped unread: the text bomb is of letters.
		{"gzip bomb, text", writeTemp(t, "b.txt.gz", gzipRepeat(t, 'a', 4<<30)), Options{MaxDecodedBytes: 1 << 50, MaxRecordBytes: 1 << 40}},
		{"gzip bomb, json array", writeTemp(t, "b.json.gz", append(gzipBytes(t, []byte("[\n")), gzipZeros(t, 4<<30)...)), endless},
		{"zstd bomb, jsonl", writeTemp(t, "z.jsonl.zst", zstdZeros(64<<30)), endless},
		{"gzip bomb, jsonl", writeTemp(t, "g.jsonl.gz", gzipZeros(t, 4<<30)), endless},
	}
	if fi, err := os.Stat("/dev/zero"); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		cases = append(cases, tc{"/dev/zero as jsonl", "/dev/zero", Options{}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var src pipeline.Source
			if c.path == "/dev/zero" {
				// The over-long line of a .jsonl that never ends.
				src = &jsonlSource{in: &input{file: File{Path: c.path}, fields: mustCompile(t, c.opts), limits: limits{decoded: 1 << 50}}}
			} else {
				var err error
				if src, err = Open(File{Path: c.path, Size: 2048}, c.opts); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan int)
			go func() {
				n := 0
				for _, err := range src.Records(ctx) {
					if err != nil {
						var fe *pipeline.FileError
						if errors.As(err, &fe) {
							t.Errorf("cancelled read reported %v", err)
						}
					}
					n++
				}
				done <- n
			}()
			select {
			case <-done:
				t.Fatal("the read ended before it was cancelled: the test input is too small")
			case <-time.After(300 * time.Millisecond):
			}
			cancel()
			start := time.Now()
			select {
			case <-done:
				if d := time.Since(start); d > time.Second {
					t.Errorf("ended %v after cancellation", d)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("still reading 5 s after cancellation")
			}
		})
	}
}

func mustCompile(t testing.TB, o Options) *fieldMap {
	m, err := compile(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// zstdZeros is a zstd frame of n zero bytes in RLE blocks of 128 KiB:
// 4 bytes of stored data per block.
func zstdZeros(n int64) []byte {
	const block = 128 << 10
	f := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, byte(17-10) << 3}
	for n > 0 {
		size := min(n, block)
		n -= size
		h := uint32(1)<<1 | uint32(size)<<3 // RLE
		if n == 0 {
			h |= 1
		}
		f = append(f, byte(h), byte(h>>8), byte(h>>16), '0')
	}
	return f
}

// gzipZeros is n zero bytes (a multiple of 16 MiB) as repeated gzip
// members of 16 MiB each, cheap to make.
func gzipZeros(t testing.TB, n int) []byte { return gzipRepeat(t, 0, n) }

// gzipRepeat is about n bytes of c, gzip-compressed (16 MiB members
// concatenated).
func gzipRepeat(t testing.TB, c byte, n int) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	w.Write(bytes.Repeat([]byte{c}, 16<<20))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.Repeat(b.Bytes(), n/(16<<20))
}

// knownBz2 is a small bzip2 stream of JSONL; concatenated streams make
// a longer file (the standard library has no bzip2 writer).
func knownBz2(t testing.TB) []byte {
	b, err := os.ReadFile("testdata/known.jsonl.bz2")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
