package input

import (
	"bufio"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// codec is one compression format, detected by magic bytes first and by
// file extension second.
type codec struct {
	name      string
	ext       string
	magic     func(head []byte) bool
	newReader func(r *bufio.Reader, lim limits) (io.ReadCloser, error)
}

var codecs = []codec{
	{name: "gzip", ext: ".gz", magic: prefix("\x1f\x8b\x08"), newReader: newGzip},
	{name: "zstd", ext: ".zst", magic: prefix("\x28\xb5\x2f\xfd"), newReader: newZstd},
	{name: "bzip2", ext: ".bz2", magic: bzip2Magic, newReader: newBzip2},
	// No well-kept pure-Go xz decoder is among the module's dependencies;
	// xz files are named as such instead of being read as text.
	{name: "xz", ext: ".xz", magic: prefix("\xfd7zXZ\x00"), newReader: unsupported("xz")},
	{name: "lz4", ext: ".lz4", magic: prefix("\x04\x22\x4d\x18"), newReader: unsupported("lz4")},
}

// bzip2Magic matches "BZh", a block size digit and the magic of a first
// block or of the end of an empty stream: "BZh" alone starts too many
// words.
func bzip2Magic(head []byte) bool {
	if len(head) < 10 || string(head[:3]) != "BZh" || head[3] < '1' || head[3] > '9' {
		return false
	}
	m := string(head[4:10])
	return m == "\x31\x41\x59\x26\x53\x59" || m == "\x17\x72\x45\x38\x50\x90"
}

// detectCodec returns the codec of a stored file from its first bytes,
// else from its name; nil means uncompressed. An empty file is
// uncompressed whatever its name: it holds no records.
func detectCodec(head []byte, name string) *codec {
	if len(head) == 0 {
		return nil
	}
	for i := range codecs {
		if codecs[i].magic(head) {
			return &codecs[i]
		}
	}
	for i := range codecs {
		if hasSuffixFold(name, codecs[i].ext) {
			return &codecs[i]
		}
	}
	return nil
}

func unsupported(name string) func(*bufio.Reader, limits) (io.ReadCloser, error) {
	return func(*bufio.Reader, limits) (io.ReadCloser, error) {
		return nil, errors.New(name + " compression is not supported")
	}
}

var gzipPool sync.Pool

func newGzip(r *bufio.Reader, _ limits) (io.ReadCloser, error) {
	// klauspost's gzip reads concatenated members (multistream) by default,
	// as produced by pigz and many crawlers.
	z, _ := gzipPool.Get().(*gzip.Reader)
	var err error
	if z == nil {
		z, err = gzip.NewReader(r)
	} else {
		err = z.Reset(r)
	}
	if err != nil {
		return nil, err
	}
	return pooledGzip{z}, nil
}

type pooledGzip struct{ *gzip.Reader }

func (p pooledGzip) Close() error {
	gzipPool.Put(p.Reader)
	return nil
}

// zstdPool keeps decoders made with the default window bound; others
// are made for their file.
var zstdPool sync.Pool

func newZstd(r *bufio.Reader, lim limits) (io.ReadCloser, error) {
	pooled := lim.zstdWindow == DefaultMaxZstdWindow
	var d *zstd.Decoder
	if pooled {
		d, _ = zstdPool.Get().(*zstd.Decoder)
	}
	var err error
	if d == nil {
		// Concurrency 2 decodes the next block while the engine's single
		// reader goroutine splits lines (the reader is the serial part of
		// a run: 2 workers converted 94–107 MB/s against 91–93 with
		// synchronous decoding); low-memory mode and a window bound keep
		// hostile frames from allocating much. The window is allocated
		// as the frame asks (untouched pages cost no memory), so the
		// bound is what a --long=31 stream needs, not what most use.
		d, err = zstd.NewReader(r,
			zstd.WithDecoderConcurrency(2),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(uint64(lim.zstdWindow)),
			zstd.WithDecoderMaxWindow(uint64(lim.zstdWindow)))
	} else {
		err = d.Reset(r)
	}
	if err != nil {
		return nil, err
	}
	return &zstdReader{d, lim.zstdWindow, pooled}, nil
}

// zstdReader names the window bound when a frame exceeds it.
type zstdReader struct {
	*zstd.Decoder
	window int64
	pooled bool
}

func (z *zstdReader) explain(err error) error {
	if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		return fmt.Errorf("the zstd frame needs a window over the %s limit (Options.MaxZstdWindow, input.max_zstd_window): %w", sizeString(z.window), err)
	}
	return err
}

func (z *zstdReader) Read(p []byte) (int, error) {
	n, err := z.Decoder.Read(p)
	return n, z.explain(err)
}

func (z *zstdReader) WriteTo(w io.Writer) (int64, error) {
	n, err := z.Decoder.WriteTo(w)
	return n, z.explain(err)
}

func (z *zstdReader) Close() error {
	if !z.pooled {
		z.Decoder.Close()
		return nil
	}
	// Reset(nil) drops the reference to the file before pooling.
	_ = z.Decoder.Reset(nil)
	zstdPool.Put(z.Decoder)
	return nil
}

func newBzip2(r *bufio.Reader, _ limits) (io.ReadCloser, error) {
	// compress/bzip2 reads concatenated streams (pbzip2 output).
	return io.NopCloser(bzip2.NewReader(r)), nil
}

// counter counts the bytes read from the stored file, for
// Record.StoredOffset. It is atomic because the zstd decoder reads ahead
// on a goroutine of its own.
type counter struct {
	r io.Reader
	n atomic.Int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// stream is a decoded view of a stored file.
type stream struct {
	io.Reader
	stored  *counter
	closers []io.Closer
}

func (s *stream) Close() error {
	var err error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if e := s.closers[i].Close(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// storedBufSize is the read size on stored files: large reads keep
// system calls off the profile.
const storedBufSize = 256 << 10

// openStream opens path and returns its decoded contents. Reads fail
// with ctx's error once ctx is done, and a compressed file's decoded
// bytes are bounded by lim.
func openStream(ctx context.Context, path string, c *codec, lim limits) (*stream, error) {
	f, err := openFile(path) // a local file or an object-storage URL (storage.go)
	if err != nil {
		return nil, err
	}
	cnt := &counter{r: ctxReader{ctx.Done(), f}}
	s := &stream{stored: cnt, closers: []io.Closer{f}}
	if c == nil {
		s.Reader = cnt
		return s, nil
	}
	br := bufios.Get().(*bufio.Reader)
	br.Reset(cnt)
	s.closers = append(s.closers, pooledBufio{br})
	d, err := c.newReader(br, lim)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.closers = append(s.closers, d)
	b := &bounded{r: d, done: ctx.Done(), left: lim.decoded, limit: lim.decoded, why: lim.why}
	if _, ok := d.(io.WriterTo); ok {
		s.Reader = boundedWriterTo{b}
	} else {
		s.Reader = b
	}
	return s, nil
}

// ctxReader fails reads once done is closed: a reader blocked in nothing
// but long reads (an endless file) then stops within one read.
type ctxReader struct {
	done <-chan struct{}
	r    io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	select {
	case <-c.done:
		return 0, context.Canceled
	default:
	}
	return c.r.Read(p)
}

// bounded passes decoded bytes through up to a limit, past which it
// fails with an error that names the limit, and fails once done is
// closed: a decompression bomb costs at most the limit's work, and
// decoding stops within one read of a cancellation.
type bounded struct {
	r     io.Reader
	done  <-chan struct{}
	left  int64
	limit int64
	why   string
}

func (b *bounded) check(n int) error {
	b.left -= int64(n)
	if b.left < 0 {
		return fmt.Errorf("%w: more than %s decompressed (%s)", ErrDecodedLimit, sizeString(b.limit), b.why)
	}
	select {
	case <-b.done:
		return context.Canceled
	default:
	}
	return nil
}

func (b *bounded) Read(p []byte) (int, error) {
	if err := b.check(0); err != nil {
		return 0, err
	}
	n, err := b.r.Read(p)
	if cerr := b.check(n); cerr != nil {
		if b.left < 0 {
			// The bytes past the limit are dropped with the rest.
			n = max(0, n+int(b.left))
		}
		return n, cerr
	}
	return n, err
}

// boundedWriterTo keeps the decoder's WriteTo (it writes from its own
// buffer, sparing a copy) under the same bound.
type boundedWriterTo struct{ *bounded }

func (b boundedWriterTo) WriteTo(w io.Writer) (int64, error) {
	return b.r.(io.WriterTo).WriteTo(boundedWriter{b.bounded, w})
}

type boundedWriter struct {
	b *bounded
	w io.Writer
}

func (bw boundedWriter) Write(p []byte) (int, error) {
	if err := bw.b.check(len(p)); err != nil {
		return 0, err
	}
	return bw.w.Write(p)
}

// ErrDecodedLimit is the error of a compressed file that decompresses to
// more than Options.MaxDecodedBytes allows (a decompression bomb, or a
// limit set too low).
var ErrDecodedLimit = errors.New("decompressed size limit exceeded")

// sizeString renders a byte count for messages: "2 GiB", "1000 bytes".
func sizeString(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d %s", n>>u.shift, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

var bufios = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, storedBufSize) }}

type pooledBufio struct{ *bufio.Reader }

func (p pooledBufio) Close() error {
	p.Reset(nil)
	bufios.Put(p.Reader)
	return nil
}
