package warc

import (
	"bytes"
	"errors"
	"io"
	"slices"
)

// errLineTooLong reports a header line longer than the reader's limit.
var errLineTooLong = errors.New("line too long")

// bufReader buffers the decoded stream for the record parser. Unlike
// bufio.Reader it can push bytes back in front of the stream (when a
// record's Content-Length is found to lie, the bytes past the record's real
// end belong to the next record) and it delivers a *damageError exactly at
// the position where the stream was cut.
type bufReader struct {
	src decodedStream
	buf []byte
	r   int // read position
	w   int // write position
	err error
	off int64 // decoded offset of buf[r]
}

func newBufReader(src decodedStream, size int) *bufReader {
	return &bufReader{src: src, buf: make([]byte, size)}
}

// fill reads more data into the buffer. Errors of the stream are sticky
// until handled: a *damageError stays until ackDamage, so that a parser
// looking ahead cannot lose it.
func (b *bufReader) fill() error {
	if b.err != nil {
		return b.err
	}
	if b.r > 0 {
		copy(b.buf, b.buf[b.r:b.w])
		b.w -= b.r
		b.r = 0
	}
	if b.w == len(b.buf) {
		b.buf = append(b.buf, make([]byte, len(b.buf))...)
	}
	for tries := 0; ; tries++ {
		n, err := b.src.Read(b.buf[b.w:])
		b.w += n
		if err != nil {
			b.err = err
			if n > 0 {
				return nil
			}
			return err
		}
		if n > 0 {
			return nil
		}
		if tries == 100 {
			b.err = io.ErrNoProgress
			return b.err
		}
	}
}

// ackDamage clears a pending *damageError and drops the unread bytes
// before it: they belong to the record the damage cut, and gluing them to
// the data after the damage would corrupt the next record.
func (b *bufReader) ackDamage() {
	if _, ok := b.err.(*damageError); ok {
		b.err = nil
		b.consume(b.w - b.r)
	}
}

// buffered returns the unread buffered bytes.
func (b *bufReader) buffered() []byte { return b.buf[b.r:b.w] }

func (b *bufReader) consume(n int) {
	b.r += n
	b.off += int64(n)
}

// peekByte returns the next byte without consuming it.
func (b *bufReader) peekByte() (byte, error) {
	for b.r == b.w {
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	return b.buf[b.r], nil
}

// peek returns at least n bytes (fewer only with an error) without
// consuming them.
func (b *bufReader) peek(n int) ([]byte, error) {
	for b.w-b.r < n {
		if err := b.fill(); err != nil {
			return b.buf[b.r:b.w], err
		}
	}
	return b.buf[b.r:b.w], nil
}

// readLine returns the next line including its '\n' (without one at the
// end of the stream). The slice is valid until the next call. A line
// longer than max is errLineTooLong, with nothing consumed.
func (b *bufReader) readLine(max int) ([]byte, error) {
	scanned := 0
	for {
		if i := bytes.IndexByte(b.buf[b.r+scanned:b.w], '\n'); i >= 0 {
			n := scanned + i + 1
			if n > max {
				return nil, errLineTooLong
			}
			line := b.buf[b.r : b.r+n]
			b.consume(n)
			return line, nil
		}
		scanned = b.w - b.r
		if scanned > max {
			return nil, errLineTooLong
		}
		if err := b.fill(); err != nil {
			if err == io.EOF && b.w > b.r {
				line := b.buf[b.r:b.w]
				b.consume(len(line))
				return line, nil
			}
			return nil, err
		}
	}
}

// skipLine consumes everything up to and including the next '\n'.
func (b *bufReader) skipLine() error {
	for {
		if i := bytes.IndexByte(b.buf[b.r:b.w], '\n'); i >= 0 {
			b.consume(i + 1)
			return nil
		}
		b.consume(b.w - b.r)
		if err := b.fill(); err != nil {
			return err
		}
	}
}

// readFull appends exactly n bytes to dst. With an error it returns what
// it got. What is not buffered is read from the stream straight into dst:
// a record block is most of the stream, and passing it through the buffer
// would copy it once more.
func (b *bufReader) readFull(dst []byte, n int) ([]byte, error) {
	k := min(n, b.w-b.r)
	dst = append(dst, b.buf[b.r:b.r+k]...)
	b.consume(k)
	n -= k
	for tries := 0; n > 0; {
		if b.err != nil {
			err := b.err
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return dst, err
		}
		if len(dst) == cap(dst) {
			// Grow with the data rather than to the declared length at
			// once: a lying Content-Length costs no memory.
			dst = slices.Grow(dst, min(n, max(cap(dst), 64<<10)))
		}
		m, err := b.src.Read(dst[len(dst):min(cap(dst), len(dst)+n)])
		dst = dst[:len(dst)+m]
		b.off += int64(m)
		n -= m
		if err != nil {
			// Sticky, as in fill: damage stays until ackDamage.
			b.err = err
		} else if m == 0 {
			if tries++; tries == 100 {
				b.err = io.ErrNoProgress
			}
		}
	}
	return dst, nil
}

// discardToRecord skips n bytes, or fewer if a line inside them starts
// what isRecord, looking at the stream there, accepts; it returns how
// many bytes it skipped and whether it stopped at such a line. Memory
// stays that of the buffer.
func (b *bufReader) discardToRecord(n int64, isRecord func() bool) (int64, bool, error) {
	const pat = "\nWARC/"
	var done int64
	for done < n {
		if b.w-b.r < len(pat) {
			if err := b.fill(); err != nil {
				// Fewer bytes than the pattern are left: the end.
				k := int(min(n-done, int64(b.w-b.r)))
				b.consume(k)
				done += int64(k)
				if done == n {
					return done, false, nil
				}
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return done, false, err
			}
			continue
		}
		win := b.buf[b.r:b.w]
		i := bytes.Index(win, []byte(pat))
		if i >= 0 && int64(i) < n-done {
			b.consume(i + 1)
			done += int64(i + 1)
			if isRecord() {
				return done, true, nil
			}
			continue
		}
		// Keep a partial match at the end for the next round.
		k := int64(len(win) - (len(pat) - 1))
		k = min(k, n-done)
		b.consume(int(k))
		done += k
	}
	return done, false, nil
}

// unread puts p back in front of the unread data; the decoded offset
// moves back by len(p).
func (b *bufReader) unread(p []byte) {
	if len(p) <= b.r {
		b.r -= len(p)
		copy(b.buf[b.r:], p)
	} else {
		nb := make([]byte, len(p)+b.w-b.r, max(len(b.buf), len(p)+b.w-b.r))
		copy(nb, p)
		copy(nb[len(p):], b.buf[b.r:b.w])
		b.buf = nb[:cap(nb)]
		b.w = len(p) + b.w - b.r
		b.r = 0
	}
	b.off -= int64(len(p))
}
