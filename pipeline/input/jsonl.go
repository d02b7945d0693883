package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"sync"

	"github.com/winnow-data/winnow/pipeline"
)

// jsonlSource reads JSON Lines: one JSON object per line. Its reader only
// splits lines; the engine's workers decode them (pipeline.Decoder).
type jsonlSource struct {
	in *input
}

func (s *jsonlSource) Name() string { return s.in.file.Path }
func (s *jsonlSource) Size() int64  { return s.in.file.Size }

// Decode fills doc from one line; it is safe for concurrent use.
func (s *jsonlSource) Decode(raw []byte, doc *pipeline.Document) error {
	return s.in.fields.decodeJSON(s.in.file.Path, raw, doc)
}

// Records yields the file's non-blank lines, without their line ending.
func (s *jsonlSource) Records(ctx context.Context) iter.Seq2[pipeline.Record, error] {
	return func(yield func(pipeline.Record, error) bool) {
		name, max := s.Name(), s.in.fields.maxRecordBytes
		st, err := openStream(ctx, name, s.in.codec, s.in.limits)
		if err != nil {
			if ctx.Err() == nil {
				yield(pipeline.Record{}, &pipeline.FileError{File: name, Err: err})
			}
			return
		}
		defer st.Close()
		done := ctx.Done()
		var index int64
		// handle yields one line; it returns false when iteration stops.
		handle := func(line []byte, off int64, tooLong bool) bool {
			select {
			case <-done:
				return false
			default:
			}
			if tooLong {
				rerr := &pipeline.RecordError{File: name, Index: index, Offset: off, Reason: "record_too_large",
					Err: fmt.Errorf("line longer than %d bytes", max)}
				index++
				return yield(pipeline.Record{}, rerr)
			}
			if off == 0 && bytes.HasPrefix(line, utf8BOM) {
				line, off = line[len(utf8BOM):], off+int64(len(utf8BOM))
			}
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if blank(line) {
				return true
			}
			rec := pipeline.Record{Index: index, Offset: off, StoredOffset: st.stored.n.Load(), Raw: line}
			index++
			return yield(rec, nil)
		}
		if wt, ok := st.Reader.(io.WriterTo); ok {
			// A decompressor that writes from its own buffer: lines
			// are split there, and only those crossing its writes are
			// copied.
			sp := &lineSplitter{max: max, line: handle}
			_, err := wt.WriteTo(sp)
			switch {
			case sp.stopped, ctx.Err() != nil:
			case err != nil:
				yield(pipeline.Record{}, &pipeline.FileError{File: name, Offset: sp.off + sp.n, Records: index, Err: err})
			default:
				sp.flush()
			}
			return
		}
		lr := newLineReader(st, max)
		defer lr.release()
		for {
			l, off, tooLong, err := lr.next()
			if err != nil {
				if err != io.EOF && ctx.Err() == nil {
					yield(pipeline.Record{}, &pipeline.FileError{File: name, Offset: lr.damageOffset(), Records: index, Err: err})
				}
				return
			}
			if !handle(l, off, tooLong) {
				return
			}
		}
	}
}

// lineSplitter is the writer side of lineReader: it splits what it is
// written into lines and hands each to line, in place when it lies within
// one write, else assembled in carry (up to max bytes; past that it is
// only measured, and reported too long).
type lineSplitter struct {
	max     int64
	line    func(line []byte, off int64, tooLong bool) bool
	off     int64  // stream offset of the line being assembled
	n       int64  // its bytes so far
	carry   []byte // its bytes, unless too long
	stopped bool   // line returned false
}

var errStopped = errors.New("iteration stopped")

func (s *lineSplitter) Write(p []byte) (int, error) {
	total := len(p)
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.n += int64(len(p))
			if s.n <= s.max {
				s.carry = append(s.carry, p...)
			} else {
				s.carry = s.carry[:0]
			}
			return total, nil
		}
		seg := p[:i]
		p = p[i+1:]
		if !s.emit(seg) {
			s.stopped = true
			return total - len(p), errStopped
		}
	}
}

// emit ends the current line with seg and hands it on.
func (s *lineSplitter) emit(seg []byte) bool {
	n, off := s.n+int64(len(seg)), s.off
	s.off += n + 1
	s.n = 0
	var line []byte
	tooLong := n > s.max
	switch {
	case tooLong:
	case len(s.carry) == 0:
		line = seg
	default:
		s.carry = append(s.carry, seg...)
		line = s.carry
	}
	ok := s.line(line, off, tooLong)
	s.carry = s.carry[:0]
	return ok
}

// flush hands on a last line without '\n' at the end of the stream.
func (s *lineSplitter) flush() {
	if s.n > 0 {
		s.emit(nil)
		s.off-- // no '\n' was consumed
	}
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// blank reports whether line holds only JSON whitespace.
func blank(line []byte) bool {
	return skipWS(line, 0) == len(line)
}

// lineReader splits a stream into lines with one growable buffer, bounded
// by the longest line it accepts. It is faster than bufio.Scanner here
// because it skips over too-long lines instead of failing, and it finds
// newlines with bytes.IndexByte over large reads.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int   // unconsumed bytes are buf[start:end]
	scanned    int   // buf[start:scanned] holds no '\n'
	off        int64 // offset of buf[start] in the stream
	max        int64
	err        error // sticky read error; io.EOF at the end
	zeroReads  int
	pooled     *[]byte // the pool's buffer, while buf is it
}

// lineBufSize is the line reader's starting buffer: large reads keep
// per-read costs off the profile; buffers are pooled so that many small
// files do not each allocate one.
const lineBufSize = 256 << 10

var lineBufs = sync.Pool{New: func() any { b := make([]byte, lineBufSize); return &b }}

func newLineReader(r io.Reader, max int64) *lineReader {
	l := &lineReader{r: r, max: max}
	if max+1 >= lineBufSize {
		l.pooled = lineBufs.Get().(*[]byte)
		l.buf = *l.pooled
	} else {
		l.buf = make([]byte, max+1)
	}
	return l
}

// release returns the buffer to the pool; the reader is unusable after.
func (l *lineReader) release() {
	if l.pooled != nil {
		lineBufs.Put(l.pooled)
		l.pooled, l.buf = nil, nil
	}
}

// damageOffset is the stream offset up to which the reader got before a
// read error.
func (l *lineReader) damageOffset() int64 { return l.off + int64(l.end-l.start) }

// next returns the next line without its '\n' and its offset in the
// stream; the line is valid until the next call. A line longer than max is
// skipped and reported with tooLong. At the end it returns io.EOF; a final
// line without '\n' is still a line, unless the stream ended in an error,
// which is returned instead (the partial line is lost: it is damaged).
func (l *lineReader) next() (line []byte, off int64, tooLong bool, err error) {
	for {
		if i := bytes.IndexByte(l.buf[l.scanned:l.end], '\n'); i >= 0 {
			nl := l.scanned + i
			line, off = l.buf[l.start:nl], l.off
			l.off += int64(nl + 1 - l.start)
			l.start, l.scanned = nl+1, nl+1
			if int64(len(line)) > l.max {
				return nil, off, true, nil
			}
			return line, off, false, nil
		}
		l.scanned = l.end
		if int64(l.end-l.start) > l.max {
			off, err := l.skipLine()
			return nil, off, true, err
		}
		if l.err != nil {
			if l.err == io.EOF && l.end > l.start {
				line, off = l.buf[l.start:l.end], l.off
				l.off += int64(l.end - l.start)
				l.start, l.scanned = l.end, l.end
				return line, off, false, nil
			}
			return nil, l.off, false, l.err
		}
		l.fill()
	}
}

// fill reads more of the stream, first making room by moving the
// unconsumed bytes to the front or growing the buffer (up to max+1, so a
// too-long line is detected before memory grows further).
func (l *lineReader) fill() {
	if l.start > 0 {
		n := copy(l.buf, l.buf[l.start:l.end])
		l.scanned -= l.start
		l.start, l.end = 0, n
	}
	if l.end == len(l.buf) {
		size := min(int64(2*len(l.buf)), l.max+1)
		nb := make([]byte, size)
		copy(nb, l.buf[:l.end])
		l.buf = nb
	}
	n, err := l.r.Read(l.buf[l.end:])
	l.end += n
	if err != nil {
		l.err = err
	}
	if n == 0 && err == nil {
		// A reader returning (0, nil) forever would spin here.
		l.zeroReads++
		if l.zeroReads > 100 {
			l.err = io.ErrNoProgress
		}
	} else {
		l.zeroReads = 0
	}
}

// skipLine discards the rest of the current (too long) line, through its
// '\n', with no more memory than the buffer it has. It returns the line's
// offset; an error other than io.EOF ends the stream.
func (l *lineReader) skipLine() (int64, error) {
	off := l.off
	for {
		l.off += int64(l.end - l.start)
		l.start, l.end, l.scanned = 0, 0, 0
		if l.err != nil {
			if errors.Is(l.err, io.EOF) {
				return off, nil
			}
			return off, l.err
		}
		l.fill()
		if i := bytes.IndexByte(l.buf[:l.end], '\n'); i >= 0 {
			l.off += int64(i + 1)
			l.start, l.scanned = i+1, i+1
			return off, nil
		}
	}
}
