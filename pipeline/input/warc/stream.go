package warc

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// rawReader reads the stored (possibly compressed) bytes and keeps a
// window of history behind the read position, so that the gzip layer can
// go back to just after the start of a damaged member and search for the
// next one: when a member is truncated, the inflater has usually read past
// the start of the next member before it notices.
type rawReader struct {
	r    io.Reader
	buf  []byte
	off  int64 // stored offset of buf[0]
	pos  int   // read position in buf
	end  int   // end of valid data in buf
	err  error // sticky error of r
	hist int   // bytes of history kept behind pos
	// limit, when >= 0, is a stored offset past which Read reports EOF:
	// it bounds the input spent on validating a candidate gzip member.
	limit int64
}

// newRawReader starts with a buffer of at least bufSize bytes, which grows
// to hold up to hist bytes of history when the file is that large.
func newRawReader(r io.Reader, bufSize, hist int) *rawReader {
	var buf []byte
	if p, _ := rawBufs.Get().(*[]byte); p != nil && len(*p) >= bufSize {
		buf = *p
	} else {
		buf = make([]byte, bufSize)
	}
	return &rawReader{r: r, buf: buf, hist: hist, limit: -1}
}

// rawBufs keeps the buffers of finished readers: grown to hold the
// history, they are megabytes, and zeroing a new one for every file cost
// more than the copies of a small file's bytes.
var rawBufs sync.Pool

// release gives the buffer back for the next reader; r is unusable after.
func (r *rawReader) release() {
	if r.buf != nil {
		b := r.buf
		rawBufs.Put(&b)
		r.buf = nil
		r.pos, r.end = 0, 0
	}
}

// offset is the stored offset of the next byte Read returns.
func (r *rawReader) offset() int64 { return r.off + int64(r.pos) }

// fill reads more data, dropping all but hist bytes of history. It
// returns false when no more data can be had.
func (r *rawReader) fill() bool {
	if r.err != nil {
		return false
	}
	if r.end == len(r.buf) {
		drop := r.pos - r.hist
		if drop <= 0 {
			// The buffer holds only history and unread data: grow.
			nb := make([]byte, 2*len(r.buf))
			copy(nb, r.buf[:r.end])
			r.buf = nb
		} else {
			copy(r.buf, r.buf[drop:r.end])
			r.off += int64(drop)
			r.pos -= drop
			r.end -= drop
		}
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.r.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			r.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	r.err = io.ErrNoProgress
	return false
}

func (r *rawReader) Read(p []byte) (int, error) {
	if r.pos == r.end && !r.fill() {
		return 0, r.readErr()
	}
	avail := r.buf[r.pos:r.end]
	if r.limit >= 0 {
		left := r.limit - r.offset()
		if left <= 0 {
			return 0, io.EOF
		}
		if int64(len(avail)) > left {
			avail = avail[:left]
		}
	}
	n := copy(p, avail)
	r.pos += n
	return n, nil
}

func (r *rawReader) readErr() error {
	if r.err == nil || r.err == io.EOF {
		return io.EOF
	}
	return r.err
}

// seek moves the read position to stored offset o, which must lie in the
// history or the buffered data; it reports whether it could.
func (r *rawReader) seek(o int64) bool {
	if o < r.off || o > r.off+int64(r.end) {
		return false
	}
	r.pos = int(o - r.off)
	return true
}

// earliest is the smallest offset seek accepts.
func (r *rawReader) earliest() int64 { return r.off }

// index moves the read position to the next occurrence of pat and reports
// whether one was found; if not, everything was consumed.
func (r *rawReader) index(pat []byte) bool {
	for {
		if i := bytes.Index(r.buf[r.pos:r.end], pat); i >= 0 {
			r.pos += i
			return true
		}
		// Keep a possible partial match at the end.
		keep := min(len(pat)-1, r.end-r.pos)
		r.pos = r.end - keep
		if !r.fill() {
			r.pos = r.end
			return false
		}
	}
}

// indexRecordStart returns the offset of the first "WARC/<digit>" in b,
// or -1: junk that merely holds "WARC/" does not make a gzip file plain.
func indexRecordStart(b []byte) int {
	for from := 0; ; {
		i := bytes.Index(b[from:], []byte("WARC/"))
		if i < 0 {
			return -1
		}
		if isVersion(b[from+i:]) {
			return from + i
		}
		from += i + 1
	}
}

// gzipRecordIn reports whether b holds, among its first gzip headers, a
// member whose output starts a WARC record: then a "WARC/" before them is
// junk, not a plain file's first record. (The first member may be the
// damaged one.)
func gzipRecordIn(b []byte) bool {
	var zr gzip.Reader
	for tries := 0; tries < 64; tries++ {
		g := bytes.Index(b, gzipMagic)
		if g < 0 {
			return false
		}
		if zr.Reset(bytes.NewReader(b[g:])) == nil {
			zr.Multistream(false)
			var head [32]byte
			n, _ := io.ReadAtLeast(&zr, head[:], 16)
			if startsRecord(head[:n]) {
				return true
			}
		}
		b = b[g+1:]
	}
	return false
}

// damageError is returned once by a decompressing stream at the point
// where its output was cut by damage to the stored bytes. Reading goes on
// after it with the data of the next intact member, unless Final is set.
type damageError struct {
	Stored int64 // stored offset of the damaged member (or garbage)
	// Decoded is the decoded offset where the damaged member's output
	// began: records overlapping [Decoded, here) hold damaged bytes.
	Decoded int64
	Err     error
	Final   bool // nothing intact follows: the rest of the file is lost
}

func (e *damageError) Error() string {
	return fmt.Sprintf("stored byte %d: %v", e.Stored, e.Err)
}

func (e *damageError) Unwrap() error { return e.Err }

// decodedStream is the decompressed byte stream the record parser reads.
// Read may return a *damageError, after which it goes on.
type decodedStream interface {
	io.Reader
	// storedOffset is how far into the stored file the stream has read.
	storedOffset() int64
}

// plainStream passes stored bytes through.
type plainStream struct{ raw *rawReader }

func (s *plainStream) Read(p []byte) (int, error) { return s.raw.Read(p) }
func (s *plainStream) storedOffset() int64        { return s.raw.offset() }

// gzipMagic starts every gzip member written with deflate, the only
// method gzip defines.
var gzipMagic = []byte{0x1f, 0x8b, 0x08}

const (
	// candidateLimit bounds the stored bytes read while checking that a
	// gzip header found by scanning starts a WARC record.
	candidateLimit = 64 << 10
)

// gzipStream decompresses a gzip file member by member, whether it holds
// one member per record (the WARC convention) or one for the whole file.
// When a member is damaged it reports a damageError and resynchronises at
// the next member whose output starts a WARC record.
type gzipStream struct {
	raw *rawReader
	br  *bufio.Reader // over raw: the inflater's fast path wants one
	gz  *gzip.Reader

	inMember      bool
	memberStart   int64  // stored offset of the current member
	decoded       int64  // decoded bytes returned so far
	memberDecoded int64  // decoded offset where the current member began
	freshMember   bool   // a resynchronised member whose output is pending
	pending       []byte // output read while validating a candidate member
	pendBuf       [32]byte
	damage        *damageError // to return after the bytes before it
	done          bool
}

func newGzipStream(raw *rawReader) *gzipStream {
	return &gzipStream{raw: raw, br: bufio.NewReaderSize(raw, 64<<10), gz: new(gzip.Reader)}
}

// pos is the stored offset of the next byte the inflater will consume.
func (s *gzipStream) pos() int64 { return s.raw.offset() - int64(s.br.Buffered()) }

func (s *gzipStream) storedOffset() int64 { return s.pos() }

func (s *gzipStream) Read(p []byte) (int, error) {
	n, err := s.read(p)
	s.decoded += int64(n)
	return n, err
}

func (s *gzipStream) read(p []byte) (int, error) {
	for {
		if s.damage != nil {
			d := s.damage
			s.damage = nil
			if d.Final {
				s.done = true
			}
			return 0, d
		}
		if len(s.pending) > 0 {
			if s.freshMember {
				s.memberDecoded = s.decoded
				s.freshMember = false
			}
			n := copy(p, s.pending)
			s.pending = s.pending[n:]
			return n, nil
		}
		if s.done {
			return 0, io.EOF
		}
		if !s.inMember {
			if _, err := s.br.Peek(1); err != nil {
				if err != io.EOF {
					s.damage = &damageError{Stored: s.pos(), Decoded: s.decoded, Err: err, Final: true}
					continue
				}
				s.done = true
				return 0, io.EOF
			}
			s.memberStart = s.pos()
			s.memberDecoded = s.decoded
			if err := s.gz.Reset(s.br); err != nil {
				s.fail(fmt.Errorf("no gzip member: %w", err), s.decoded)
				continue
			}
			s.gz.Multistream(false)
			s.inMember = true
		}
		n, err := s.gz.Read(p)
		if err == io.EOF {
			s.inMember = false
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = fmt.Errorf("gzip member truncated: %w", err)
			} else {
				err = fmt.Errorf("gzip member damaged: %w", err)
			}
			s.fail(err, s.memberDecoded)
		}
		if n > 0 || err == nil {
			return n, nil
		}
	}
}

// fail records damage to the member starting at s.memberStart, whose
// output began at decoded offset decoded, and searches for the next
// intact member after its start.
func (s *gzipStream) fail(err error, decoded int64) {
	s.inMember = false
	s.damage = &damageError{Stored: s.memberStart, Decoded: decoded, Err: err}
	if !s.resync(s.memberStart + 1) {
		s.damage.Final = true
		if errors.Is(err, io.ErrUnexpectedEOF) {
			// The file ends inside this member and nothing was read
			// past it: everything inflated so far is exact.
			s.damage.Decoded = 1 << 62
		}
	}
}

// resync finds the first gzip member at or after stored offset from whose
// output starts a WARC record (after optional blank lines) and leaves the
// stream inside it, its first bytes in pending.
func (s *gzipStream) resync(from int64) bool {
	if from < s.raw.earliest() {
		from = s.raw.earliest()
	}
	if !s.raw.seek(from) {
		return false
	}
	for {
		if !s.raw.index(gzipMagic) {
			return false
		}
		cand := s.raw.offset()
		s.br.Reset(s.raw)
		s.raw.limit = cand + candidateLimit
		ok := s.gz.Reset(s.br) == nil
		n := 0
		if ok {
			s.gz.Multistream(false)
			n, _ = io.ReadAtLeast(s.gz, s.pendBuf[:], 16)
			ok = startsRecord(s.pendBuf[:n])
		}
		s.raw.limit = -1
		if ok {
			// The validation read may have stopped at the limit with
			// data left: the bufio reader has seen a false EOF only if
			// it ran into the limit, and the inflater keeps no error
			// after a successful read, so continuing is safe once the
			// limit is lifted.
			s.pending = s.pendBuf[:n]
			s.memberStart = cand
			s.freshMember = true
			s.inMember = true
			return true
		}
		if !s.raw.seek(cand + 1) {
			return false
		}
	}
}

// startsRecord reports whether b, the first bytes of a member, begin a
// WARC record.
func startsRecord(b []byte) bool {
	b = bytes.TrimLeft(b, "\r\n")
	return len(b) >= 6 && string(b[:6]) == "WARC/1" || len(b) >= 7 && string(b[:7]) == "WARC/0."
}

// zstdStream decompresses a .warc.zst file, with the dictionary the WARC
// zstd convention stores in a leading skippable frame. zstd frames carry no
// resynchronisation point the decoder exposes, so damage ends the file.
type zstdStream struct {
	raw       *rawReader
	dec       *zstd.Decoder
	final     bool
	maxWindow uint64
}

func (s *zstdStream) storedOffset() int64 { return s.raw.offset() }

func (s *zstdStream) Read(p []byte) (int, error) {
	if s.final {
		return 0, io.EOF
	}
	n, err := s.dec.Read(p)
	if err != nil && err != io.EOF {
		s.final = true
		if n > 0 {
			// Deliver the bytes; report the damage on the next call.
			return n, nil
		}
		if errors.Is(err, zstd.ErrWindowSizeExceeded) {
			err = fmt.Errorf("the frame needs a window over the %d MiB limit (Options.MaxWindow, input.max_zstd_window): %w", s.maxWindow>>20, err)
		}
		return 0, &damageError{Stored: s.raw.offset(), Decoded: 1 << 62, Err: fmt.Errorf("zstd: %w", err), Final: true}
	}
	return n, err
}

// zstdDictMagic starts the skippable frame holding a .warc.zst dictionary.
var zstdDictMagic = []byte{0x5d, 0x2a, 0x4d, 0x18}

func newZstdStream(raw *rawReader, maxWindow uint64) (*zstdStream, error) {
	var opts []zstd.DOption
	head := make([]byte, 8)
	if n, _ := io.ReadFull(raw, head); n == 8 && bytes.Equal(head[:4], zstdDictMagic) {
		size := int64(head[4]) | int64(head[5])<<8 | int64(head[6])<<16 | int64(head[7])<<24
		if size > 64<<20 {
			return nil, fmt.Errorf("zstd dictionary frame of %d bytes", size)
		}
		dict := make([]byte, size)
		if _, err := io.ReadFull(raw, dict); err != nil {
			return nil, fmt.Errorf("zstd dictionary frame: %w", err)
		}
		if bytes.HasPrefix(dict, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
			d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(64<<20))
			if err != nil {
				return nil, err
			}
			dict, err = d.DecodeAll(dict, nil)
			d.Close()
			if err != nil {
				return nil, fmt.Errorf("zstd dictionary frame: %w", err)
			}
		}
		opts = append(opts, zstd.WithDecoderDicts(dict))
	} else if !raw.seek(raw.earliest()) {
		return nil, errors.New("zstd: cannot rewind")
	}
	opts = append(opts, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxWindow))
	dec, err := zstd.NewReader(raw, opts...)
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return &zstdStream{raw: raw, dec: dec, maxWindow: maxWindow}, nil
}

// bzip2Stream decompresses bzip2 with the standard library; like zstd,
// damage ends the file.
type bzip2Stream struct {
	raw   *rawReader
	r     io.Reader
	final bool
}

func (s *bzip2Stream) storedOffset() int64 { return s.raw.offset() }

func (s *bzip2Stream) Read(p []byte) (int, error) {
	if s.final {
		return 0, io.EOF
	}
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.final = true
		if n > 0 {
			return n, nil
		}
		return 0, &damageError{Stored: s.raw.offset(), Decoded: 1 << 62, Err: fmt.Errorf("bzip2: %w", err), Final: true}
	}
	return n, err
}

// boundedStream fails a decoded stream past a limit on its bytes, and
// once done is closed, as final damage: a decompression bomb costs at
// most the limit's work, and cancellation is answered within one read.
type boundedStream struct {
	decodedStream
	done        <-chan struct{}
	left, limit int64
	why         string
	failed      bool
}

func (b *boundedStream) Read(p []byte) (int, error) {
	if b.failed {
		return 0, io.EOF
	}
	select {
	case <-b.done:
		b.failed = true
		return 0, &damageError{Stored: b.storedOffset(), Decoded: 1 << 62, Err: context.Canceled, Final: true}
	default:
	}
	n, err := b.decodedStream.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		b.failed = true
		n = max(0, n+int(b.left))
		if n > 0 {
			// The bytes up to the limit first; the damage on the next
			// call.
			b.left, b.failed = 0, false
			return n, nil
		}
		return 0, &damageError{Stored: b.storedOffset(), Decoded: 1 << 62, Final: true,
			Err: fmt.Errorf("%w: more than %d bytes decompressed (%s)", ErrDecodedLimit, b.limit, b.why)}
	}
	return n, err
}

// openStream detects the stored compression from the first bytes.
func openStream(raw *rawReader, maxWindow uint64) (decodedStream, error) {
	for raw.end-raw.pos < 4 && raw.fill() {
	}
	head := raw.buf[raw.pos:raw.end]
	switch {
	case bytes.HasPrefix(head, gzipMagic[:2]):
		return newGzipStream(raw), nil
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}), bytes.HasPrefix(head, zstdDictMagic):
		s, err := newZstdStream(raw, maxWindow)
		raw.hist = 0 // only gzip resynchronises backwards
		return s, err
	case bytes.HasPrefix(head, []byte("BZh")):
		raw.hist = 0
		return &bzip2Stream{raw: raw, r: bzip2.NewReader(raw)}, nil
	}
	if raw.err != nil && raw.err != io.EOF && raw.end == raw.pos {
		return nil, raw.err
	}
	if !bytes.HasPrefix(head, []byte("WARC/")) {
		// Damage at the very start: decide by what comes first, a
		// record or a gzip member.
		for raw.end-raw.pos < 1<<20 && raw.fill() {
		}
		head = raw.buf[raw.pos:raw.end]
		w, g := indexRecordStart(head), bytes.Index(head, gzipMagic)
		if g >= 0 && (w < 0 || g < w || gzipRecordIn(head[g:])) {
			return newGzipStream(raw), nil
		}
	}
	raw.hist = 0
	return &plainStream{raw: raw}, nil
}
