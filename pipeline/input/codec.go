package input

import (
	"bufio"
	"compress/bzip2"
	"errors"
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
	newReader func(r *bufio.Reader) (io.ReadCloser, error)
}

// maxZstdWindow bounds the window a zstd stream may ask for (the decoder
// allocates it): 128 MiB covers every compression level including --ultra
// -22; larger windows (--long=28 and up) are refused rather than trusted.
const maxZstdWindow = 128 << 20

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

func unsupported(name string) func(*bufio.Reader) (io.ReadCloser, error) {
	return func(*bufio.Reader) (io.ReadCloser, error) {
		return nil, errors.New(name + " compression is not supported")
	}
}

var gzipPool sync.Pool

func newGzip(r *bufio.Reader) (io.ReadCloser, error) {
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

var zstdPool sync.Pool

func newZstd(r *bufio.Reader) (io.ReadCloser, error) {
	d, _ := zstdPool.Get().(*zstd.Decoder)
	var err error
	if d == nil {
		// Concurrency 2 decodes the next block while the engine's single
		// reader goroutine splits lines (the reader is the serial part of
		// a run: 2 workers converted 94–107 MB/s against 91–93 with
		// synchronous decoding); low-memory mode and a window bound keep
		// hostile frames from allocating much.
		d, err = zstd.NewReader(r,
			zstd.WithDecoderConcurrency(2),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(maxZstdWindow),
			zstd.WithDecoderMaxWindow(maxZstdWindow))
	} else {
		err = d.Reset(r)
	}
	if err != nil {
		return nil, err
	}
	return pooledZstd{d}, nil
}

type pooledZstd struct{ *zstd.Decoder }

func (p pooledZstd) Close() error {
	// Reset(nil) drops the reference to the file before pooling.
	_ = p.Decoder.Reset(nil)
	zstdPool.Put(p.Decoder)
	return nil
}

func newBzip2(r *bufio.Reader) (io.ReadCloser, error) {
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

// openStream opens path and returns its decoded contents.
func openStream(path string, c *codec) (*stream, error) {
	f, err := openFile(path) // a local file or an object-storage URL (storage.go)
	if err != nil {
		return nil, err
	}
	cnt := &counter{r: f}
	s := &stream{stored: cnt, closers: []io.Closer{f}}
	if c == nil {
		s.Reader = cnt
		return s, nil
	}
	br := bufios.Get().(*bufio.Reader)
	br.Reset(cnt)
	s.closers = append(s.closers, pooledBufio{br})
	d, err := c.newReader(br)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Reader = d
	s.closers = append(s.closers, d)
	return s, nil
}

var bufios = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, storedBufSize) }}

type pooledBufio struct{ *bufio.Reader }

func (p pooledBufio) Close() error {
	p.Reset(nil)
	bufios.Put(p.Reader)
	return nil
}
