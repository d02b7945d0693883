package pipeline

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/klauspost/compress/s2"
)

// The spill keeps the first pass's work for the passes after it. Without
// it every preparatory pass would read and decode the input again and
// re-run every stage before its Preparer (language identification and
// extraction, the costliest, once per de-duplication stage). The first
// pass writes each batch as it accounts for it — every item in input
// order, with its outcome and, when it will be written, its document —
// and the later passes read the batches back instead of the sources,
// running only the stages after the first Preparer. The file is
// S2-compressed (about half the text) and removed when the run ends.
type spillWriter struct {
	zw  *s2.Writer
	bw  *bufio.Writer
	buf []byte
	err error
}

func newSpillWriter(w io.Writer) (*spillWriter, error) {
	// S2, not zstd: the spill is written and read once, so compressing
	// must cost far less than redoing the work it saves (zstd at its
	// fastest took as long as decoding the input again).
	zw := s2.NewWriter(w, s2.WriterConcurrency(1), s2.WriterBlockSize(1<<20))
	return &spillWriter{zw: zw, bw: bufio.NewWriterSize(zw, 256<<10)}, nil
}

// write appends one batch: a length-prefixed frame.
func (s *spillWriter) write(b *batch) {
	if s.err != nil {
		return
	}
	p := s.buf[:0]
	p = appendString(p, b.name)
	p = binary.AppendUvarint(p, uint64(b.fileIndex))
	p = binary.AppendUvarint(p, uint64(max(b.bytesRead, 0)))
	p = binary.AppendUvarint(p, uint64(b.n))
	for i := range b.items[:b.n] {
		it := &b.items[i]
		p = append(p, byte(it.outcome))
		p = binary.AppendVarint(p, it.index)
		p = binary.AppendVarint(p, it.offset)
		if it.outcome != kept {
			p = appendString(p, it.reason)
		}
		if it.outcome == errored {
			p = appendString(p, errString(it.readErr))
		}
		if it.outcome == kept || it.outcome == rejected {
			p = appendDoc(p, &it.doc)
		}
	}
	s.buf = p
	var n [binary.MaxVarintLen64]byte
	if _, err := s.bw.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))]); err != nil {
		s.err = err
		return
	}
	if _, err := s.bw.Write(p); err != nil {
		s.err = err
	}
}

// finish flushes the spill to its writer.
func (s *spillWriter) finish() error {
	err := s.err
	if err == nil {
		err = s.bw.Flush()
	}
	if cerr := s.zw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	return nil
}

// tempSpill is a spill in a temporary file.
type tempSpill struct {
	*spillWriter
	f *os.File
}

func newTempSpill(dir string) (*tempSpill, error) {
	f, err := os.CreateTemp(dir, "winnow-spill-*.s2")
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	sw, err := newSpillWriter(f)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &tempSpill{sw, f}, nil
}

// finish completes the file and returns its name.
func (t *tempSpill) finish() (string, error) {
	err := t.spillWriter.finish()
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(t.f.Name())
		return "", fmt.Errorf("%s: %w", t.f.Name(), err)
	}
	return t.f.Name(), nil
}

// abort removes the file.
func (t *tempSpill) abort() {
	t.zw.Close()
	t.f.Close()
	os.Remove(t.f.Name())
}

func appendString(p []byte, s string) []byte {
	p = binary.AppendUvarint(p, uint64(len(s)))
	return append(p, s...)
}

func appendDoc(p []byte, d *Document) []byte {
	for _, s := range [...]string{d.ID, d.Text, d.URL, d.Source, d.Lang} {
		p = appendString(p, s)
	}
	p = binary.LittleEndian.AppendUint64(p, math.Float64bits(d.LangScore))
	if d.Date.IsZero() {
		p = append(p, 0)
	} else {
		t, _ := d.Date.MarshalBinary() // cannot fail for years 0–9999
		p = append(p, byte(len(t)))
		p = append(p, t...)
	}
	p = binary.AppendUvarint(p, uint64(d.FileIndex))
	p = binary.AppendVarint(p, d.Record)
	p = binary.AppendUvarint(p, uint64(len(d.Signals)))
	for _, s := range d.Signals {
		p = appendString(p, s.Name)
		p = binary.LittleEndian.AppendUint64(p, math.Float64bits(s.Value))
	}
	p = binary.AppendUvarint(p, uint64(len(d.Fields)))
	for _, f := range d.Fields {
		p = appendString(p, f.Name)
		p = binary.AppendUvarint(p, uint64(len(f.Value)))
		p = append(p, f.Value...)
	}
	return p
}

// spillReader reads the batches back.
type spillReader struct {
	zr  *s2.Reader
	br  *bufio.Reader
	buf []byte
}

func newSpillReader(r io.Reader) (*spillReader, error) {
	zr := s2.NewReader(r, s2.ReaderMaxBlockSize(1<<20))
	return &spillReader{zr: zr, br: bufio.NewReaderSize(zr, 256<<10)}, nil
}

func (s *spillReader) close() {}

// errSpill marks a spill that does not read back as written.
var errSpill = errors.New("spill damaged")

// next fills b with the next batch; io.EOF after the last.
func (s *spillReader) next(b *batch) error {
	size, err := binary.ReadUvarint(s.br)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return fmt.Errorf("spill: %w", err)
	}
	if size > 1<<40 {
		return errSpill
	}
	if uint64(cap(s.buf)) < size {
		s.buf = make([]byte, size)
	}
	frame := s.buf[:size]
	if _, err := io.ReadFull(s.br, frame); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	// One string per batch: the documents' strings are slices of it.
	d := decoder{str: string(frame)}
	b.reserved = int64(size)
	b.name = d.string()
	b.fileIndex = int(d.uvarint())
	b.bytesRead = int64(d.uvarint())
	n := int(d.uvarint())
	for range n {
		if d.err != nil {
			break
		}
		it := b.add()
		it.replayed = true
		it.outcome = outcome(d.byte())
		it.index = d.varint()
		it.offset = d.varint()
		if it.outcome != kept {
			it.reason = d.string()
		}
		if it.outcome == errored {
			it.readErr = errors.New(d.string())
		}
		if it.outcome == kept || it.outcome == rejected {
			d.doc(&it.doc)
		}
	}
	if d.err != nil || d.pos != len(d.str) {
		return errSpill
	}
	return nil
}

// decoder reads a frame; a short frame sets err instead of panicking.
type decoder struct {
	str string
	pos int
	err error
}

func (d *decoder) byte() byte {
	if d.pos >= len(d.str) {
		d.err = errSpill
		return 0
	}
	d.pos++
	return d.str[d.pos-1]
}

func (d *decoder) uvarint() uint64 {
	var x uint64
	for shift := uint(0); shift < 64; shift += 7 {
		c := d.byte()
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return x
		}
	}
	d.err = errSpill
	return 0
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.str)-d.pos) {
		d.err = errSpill
		return ""
	}
	s := d.str[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return s
}

func (d *decoder) float() float64 {
	if len(d.str)-d.pos < 8 {
		d.err = errSpill
		return 0
	}
	var v uint64
	for i := 7; i >= 0; i-- { // little-endian, read from the string as it is
		v = v<<8 | uint64(d.str[d.pos+i])
	}
	d.pos += 8
	return math.Float64frombits(v)
}

func (d *decoder) doc(doc *Document) {
	doc.ID, doc.Text, doc.URL, doc.Source, doc.Lang = d.string(), d.string(), d.string(), d.string(), d.string()
	doc.LangScore = d.float()
	if n := int(d.byte()); n > 0 && d.err == nil {
		if n > len(d.str)-d.pos {
			d.err = errSpill
			return
		}
		if err := doc.Date.UnmarshalBinary([]byte(d.str[d.pos : d.pos+n])); err != nil {
			d.err = errSpill
		}
		d.pos += n
	} else {
		doc.Date = time.Time{}
	}
	doc.FileIndex = int(d.uvarint())
	doc.Record = d.varint()
	for range min(d.uvarint(), uint64(len(d.str))) {
		doc.Signals = append(doc.Signals, Signal{Name: d.string(), Value: d.float()})
	}
	for range min(d.uvarint(), uint64(len(d.str))) {
		name := d.string()
		doc.Fields = append(doc.Fields, Field{Name: name, Value: []byte(d.string())})
	}
}
