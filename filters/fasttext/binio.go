package fasttext

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// binReader reads the little-endian fields of a model file, remembering
// the first error and the offset, so a malformed file fails with its
// position and never makes the loader index out of range.
type binReader struct {
	r   *bufio.Reader
	off int64
	err error
	buf [8]byte
}

func newBinReader(r io.Reader) *binReader {
	return &binReader{r: bufio.NewReaderSize(r, 1<<16)}
}

func (b *binReader) fail(format string, a ...any) {
	if b.err == nil {
		b.err = fmt.Errorf("offset %d: %s", b.off, fmt.Sprintf(format, a...))
	}
}

func (b *binReader) read(p []byte) bool {
	if b.err != nil {
		return false
	}
	n, err := io.ReadFull(b.r, p)
	b.off += int64(n)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			b.err = fmt.Errorf("offset %d: truncated file: %w", b.off, io.ErrUnexpectedEOF)
		} else {
			b.err = fmt.Errorf("offset %d: %w", b.off, err)
		}
		return false
	}
	return true
}

func (b *binReader) u8() uint8 {
	if !b.read(b.buf[:1]) {
		return 0
	}
	return b.buf[0]
}

func (b *binReader) bool() bool { return b.u8() != 0 }

func (b *binReader) i32() int32 {
	if !b.read(b.buf[:4]) {
		return 0
	}
	return int32(binary.LittleEndian.Uint32(b.buf[:4]))
}

func (b *binReader) i64() int64 {
	if !b.read(b.buf[:8]) {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(b.buf[:8]))
}

func (b *binReader) f64() float64 {
	if !b.read(b.buf[:8]) {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b.buf[:8]))
}

// cstring reads a NUL-terminated string (a dictionary entry). Its length
// is bounded by maxLen so a file without terminators cannot exhaust memory.
func (b *binReader) cstring(maxLen int) string {
	if b.err != nil {
		return ""
	}
	s, err := b.r.ReadSlice(0)
	if err == nil {
		b.off += int64(len(s))
		if len(s)-1 > maxLen {
			b.fail("dictionary entry longer than %d bytes", maxLen)
			return ""
		}
		return string(s[:len(s)-1])
	}
	// Longer than the buffer, or the end of the file: collect by pieces.
	out := append([]byte(nil), s...)
	b.off += int64(len(s))
	for errors.Is(err, bufio.ErrBufferFull) {
		if len(out) > maxLen {
			b.fail("dictionary entry longer than %d bytes", maxLen)
			return ""
		}
		s, err = b.r.ReadSlice(0)
		out = append(out, s...)
		b.off += int64(len(s))
	}
	if err != nil {
		b.fail("truncated file in a dictionary entry: %v", io.ErrUnexpectedEOF)
		return ""
	}
	if len(out)-1 > maxLen {
		b.fail("dictionary entry longer than %d bytes", maxLen)
		return ""
	}
	return string(out[:len(out)-1])
}

// chunk bounds each allocation while reading arrays: a header claiming a
// huge matrix costs memory only as fast as its bytes actually arrive.
const chunk = 1 << 20

// f32s reads n float32 values.
func (b *binReader) f32s(n int64) []float32 {
	if b.err != nil {
		return nil
	}
	out := make([]float32, 0, min(n, chunk))
	var raw [4 * 4096]byte
	for int64(len(out)) < n && b.err == nil {
		k := min(n-int64(len(out)), 4096)
		if !b.read(raw[:4*k]) {
			return nil
		}
		for i := int64(0); i < k; i++ {
			out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	}
	return out
}

// bytes reads n raw bytes.
func (b *binReader) bytes(n int64) []byte {
	if b.err != nil {
		return nil
	}
	out := make([]byte, 0, min(n, chunk))
	for int64(len(out)) < n && b.err == nil {
		k := min(n-int64(len(out)), chunk)
		start := len(out)
		out = append(out, make([]byte, k)...)
		if !b.read(out[start:]) {
			return nil
		}
	}
	return out
}

// binWriter writes the same fields, remembering the first error.
type binWriter struct {
	w   *bufio.Writer
	err error
	buf [8]byte
}

func newBinWriter(w io.Writer) *binWriter {
	return &binWriter{w: bufio.NewWriterSize(w, 1<<16)}
}

func (b *binWriter) write(p []byte) {
	if b.err == nil {
		_, b.err = b.w.Write(p)
	}
}

func (b *binWriter) u8(v uint8) { b.buf[0] = v; b.write(b.buf[:1]) }

func (b *binWriter) bool(v bool) {
	if v {
		b.u8(1)
	} else {
		b.u8(0)
	}
}

func (b *binWriter) i32(v int32) {
	binary.LittleEndian.PutUint32(b.buf[:4], uint32(v))
	b.write(b.buf[:4])
}

func (b *binWriter) i64(v int64) {
	binary.LittleEndian.PutUint64(b.buf[:8], uint64(v))
	b.write(b.buf[:8])
}

func (b *binWriter) f64(v float64) {
	binary.LittleEndian.PutUint64(b.buf[:8], math.Float64bits(v))
	b.write(b.buf[:8])
}

func (b *binWriter) f32s(v []float32) {
	var raw [4 * 4096]byte
	for len(v) > 0 && b.err == nil {
		k := min(len(v), 4096)
		for i := 0; i < k; i++ {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v[i]))
		}
		b.write(raw[:4*k])
		v = v[k:]
	}
}

func (b *binWriter) flush() error {
	if b.err != nil {
		return b.err
	}
	return b.w.Flush()
}
