package warc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/winnow-data/winnow/pipeline"
)

// Options bounds what a reader accepts; the zero value of a field means
// its default. The defaults are safe against hostile input.
type Options struct {
	// MaxRecordBytes is the largest record block read into memory, and
	// the largest decoded HTTP payload; larger records are skipped with
	// reason "too_large". Default 32 MiB.
	MaxRecordBytes int
	// MaxHeaderBytes bounds a record's WARC header. Default 256 KiB.
	MaxHeaderBytes int
	// MaxWindow bounds the zstd window, and so the decoder's memory.
	// Default 2 GiB, what `zstd --long=31` writes.
	MaxWindow uint64
	// MaxDecodedBytes bounds the decompressed bytes of a compressed file:
	// past it the file ends in damage wrapping ErrDecodedLimit. Default
	// 1000 times the stored size, at least 1 GiB (1 TiB when the size is
	// unknown).
	MaxDecodedBytes int64
}

// ErrDecodedLimit ends a compressed file that decompresses past
// Options.MaxDecodedBytes (a decompression bomb).
var ErrDecodedLimit = errors.New("decompressed size limit exceeded")

func (o Options) withDefaults() Options {
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = 32 << 20
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 256 << 10
	}
	if o.MaxWindow == 0 {
		o.MaxWindow = 2 << 30
	}
	return o
}

// decodedLimit is the bound on the decompressed bytes of a file of
// stored size size (< 0: unknown), and how it was chosen.
func (o Options) decodedLimit(size int64) (int64, string) {
	switch {
	case o.MaxDecodedBytes > 0:
		return o.MaxDecodedBytes, "the configured bound"
	case size < 0:
		return 1 << 40, "the bound for a file of unknown size"
	}
	return max(1<<30, min(size, 1<<62/1000)*1000), "1000 times the stored size, at least 1 GiB"
}

// NewSource returns the WARC or WET file name as a pipeline source with
// the default Options. open returns the file's stored bytes: plain,
// gzip (per record or whole file), zstd (with or without a dictionary
// frame) or bzip2, detected from the first bytes. size is the stored size,
// -1 when unknown.
func NewSource(name string, size int64, open func() (io.ReadCloser, error)) pipeline.Source {
	return NewSourceOptions(name, size, open, Options{})
}

// NewSourceOptions is NewSource with explicit limits.
func NewSourceOptions(name string, size int64, open func() (io.ReadCloser, error), opts Options) pipeline.Source {
	return &source{name: name, size: size, open: open, opts: opts.withDefaults()}
}

type source struct {
	name string
	size int64
	open func() (io.ReadCloser, error)
	opts Options
}

func (s *source) Name() string { return s.name }
func (s *source) Size() int64  { return s.size }

// Records yields the file's documents, its skipped records and the damage
// it found, in file order. See the package documentation for what each
// record becomes.
func (s *source) Records(ctx context.Context) iter.Seq2[pipeline.Record, error] {
	return func(yield func(pipeline.Record, error) bool) {
		rc, err := s.open()
		if err != nil {
			yield(pipeline.Record{}, &pipeline.FileError{File: s.name, Err: err})
			return
		}
		defer rc.Close()
		raw := newRawReader(rc, 64<<10, 2<<20)
		defer raw.release()
		stream, err := openStream(raw, s.opts.MaxWindow)
		if err != nil {
			if ctx.Err() == nil {
				yield(pipeline.Record{}, &pipeline.FileError{File: s.name, Err: err})
			}
			return
		}
		if _, plain := stream.(*plainStream); !plain {
			limit, why := s.opts.decodedLimit(s.size)
			stream = &boundedStream{decodedStream: stream, left: limit, limit: limit, why: why, done: ctx.Done()}
		} else {
			stream = &boundedStream{decodedStream: stream, left: 1 << 62, done: ctx.Done()}
		}
		p := newParser(s.name, stream, s.opts)
		for {
			more := p.next()
			// A cancelled read ends here, its damage unreported.
			if ctx.Err() != nil {
				return
			}
			for _, ev := range p.events {
				if !yield(ev.rec, ev.err) {
					return
				}
			}
			p.events = p.events[:0]
			if !more {
				return
			}
		}
	}
}

// event is one value Records yields.
type event struct {
	rec pipeline.Record
	err error
}

// header holds the WARC header fields the reader uses.
type header struct {
	typ, id, uri, date, contentType, payloadType string
	length                                       int64
	hasLength                                    bool
}

// parser reads records from the decoded stream.
type parser struct {
	name   string
	opts   Options
	in     *bufReader
	stream decodedStream
	index  int64 // index of the next record
	events []event
	block  []byte // the current record's block
	// scratch is the reused buffer of blocks that cannot become
	// documents; a document's block is its own (see next).
	scratch []byte
	doc     pipeline.Document
	dec     decoders
	done    bool
}

func newParser(name string, stream decodedStream, opts Options) *parser {
	// A small buffer: headers are read through it, while blocks, most of
	// the bytes, are read past it straight into their own memory.
	return &parser{name: name, opts: opts, stream: stream, in: newBufReader(stream, 16<<10)}
}

func (p *parser) storedOffset() int64 { return p.stream.storedOffset() }

// fileError queues damage at decoded offset off.
func (p *parser) fileError(off int64, err error, recovered bool) {
	p.events = append(p.events, event{err: &pipeline.FileError{
		File: p.name, Offset: off, Records: p.index, Err: err, Recovered: recovered,
	}})
}

// recordError queues a record error for record index at off and advances
// the index.
func (p *parser) recordError(off int64, reason string, err error, skip bool) {
	p.events = append(p.events, event{err: &pipeline.RecordError{
		File: p.name, Index: p.index, Offset: off, Reason: reason, Err: err, Skip: skip,
	}})
	p.index++
}

// streamError handles an error from the stream: damage is queued (and
// reading goes on unless it was final); io.EOF ends the file. It returns
// false when the file ends.
func (p *parser) streamError(err error) bool {
	var d *damageError
	if errors.As(err, &d) {
		p.in.ackDamage()
		p.fileError(p.in.off, err, !d.Final)
		if d.Final {
			p.done = true
		}
		return !d.Final
	}
	if err == io.EOF {
		p.done = true
		return false
	}
	p.fileError(p.in.off, err, false)
	p.done = true
	return false
}

// next parses the next record (or damage) into p.events and reports
// whether the file goes on.
func (p *parser) next() bool {
	if p.done {
		return false
	}
	// Blank lines between records are tolerated.
	for {
		c, err := p.in.peekByte()
		if err != nil {
			return p.streamError(err)
		}
		if c != '\r' && c != '\n' {
			break
		}
		p.in.consume(1)
	}
	start := p.in.off
	if !p.atVersionLine() {
		return p.skipGarbage(start)
	}
	if _, err := p.in.readLine(p.opts.MaxHeaderBytes); err != nil {
		return p.cut(start, err)
	}
	h, err := p.readHeader()
	if err != nil {
		if errors.Is(err, errBadHeader) {
			// The record's extent is unknown: report it and look for
			// the next record.
			p.recordError(start, "damaged_record", err, false)
			return true
		}
		return p.cut(start, err)
	}
	if h.length > int64(p.opts.MaxRecordBytes) {
		return p.skipLarge(start, &h)
	}
	// The block of a record that may become a document is read into
	// memory of its own, which the document's text then shares instead of
	// copying it; other blocks reuse the scratch buffer.
	dst := p.scratch[:0]
	if isDocType(h.typ) {
		dst = make([]byte, 0, min(h.length, 1<<20))
	}
	p.block, err = p.in.readFull(dst, int(h.length))
	if !isDocType(h.typ) {
		p.scratch = p.block[:0]
	}
	var lie error
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) && p.findEnd() {
			lie = fmt.Errorf("Content-Length %d runs past the next record", h.length)
		} else {
			p.recordError(start, "damaged_record", fmt.Errorf("block cut after %d of %d bytes: %w", len(p.block), h.length, err), false)
			return p.streamErrorAfterCut(err)
		}
	} else if !p.endsRecord() {
		if !p.findEnd() {
			// Nothing after the block is a record: the block holds
			// the rest of the file; take it as it is.
			lie = fmt.Errorf("Content-Length %d does not end the record", h.length)
		} else {
			lie = fmt.Errorf("Content-Length %d does not end the record (%d bytes do)", h.length, len(p.block))
		}
	}
	if d := p.damagedBefore(p.in.off); d != nil {
		// The member holding (part of) this record failed its check:
		// its bytes cannot be trusted. The damage itself is reported
		// by the next call.
		p.recordError(start, "damaged_record", d, false)
		return true
	}
	if lie != nil {
		p.fileError(start, lie, true)
	}
	p.emit(start, &h)
	return true
}

// skipLarge skips the block of a record too large to read, holding none
// of it. Its Content-Length is trusted only as far as the data bears it
// out: a record that starts inside the block (a version line beginning a
// well-formed WARC header) means the length lied, and reading resumes
// there, so that one impossible length (10^15) cannot swallow the records
// after it. A block whose body really holds a WARC record in plain text
// (an archived WARC file) is cut there too: the price of never losing the
// rest of a file to one lying number.
func (p *parser) skipLarge(start int64, h *header) bool {
	n, found, err := p.in.discardToRecord(h.length, p.looksLikeRecord)
	switch {
	case found:
		p.fileError(start, fmt.Errorf("Content-Length %d runs past the next record, %d bytes on", h.length, n), true)
		p.recordError(start, "damaged_record", fmt.Errorf("Content-Length %d runs past the next record, %d bytes on", h.length, n), false)
		return true
	case err != nil:
		p.recordError(start, "damaged_record", fmt.Errorf("block cut after %d of %d bytes: %w", n, h.length, err), false)
		return p.streamErrorAfterCut(err)
	}
	p.recordError(start, "too_large", fmt.Errorf("block of %d bytes", h.length), true)
	return true
}

// looksLikeRecord reports whether the stream is at a version line that
// starts a well-formed WARC header: header lines up to a blank line,
// within MaxHeaderBytes, one of them a valid Content-Length.
func (p *parser) looksLikeRecord() bool {
	for size := 512; ; size *= 2 {
		size = min(size, p.opts.MaxHeaderBytes)
		b, err := p.in.peek(size)
		if !isVersion(b) {
			return false
		}
		if end := headerEnd(b); end >= 0 {
			return validHeader(b[:end])
		}
		if err != nil || len(b) >= p.opts.MaxHeaderBytes {
			return false
		}
	}
}

// headerEnd returns the length of the header at the start of b, through
// its first line, up to the blank line that ends it, or -1.
func headerEnd(b []byte) int {
	i := bytes.Index(b, []byte("\n\r\n"))
	if j := bytes.Index(b, []byte("\n\n")); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	return i
}

// validHeader reports whether h (a version line and field lines) is a
// WARC header: a version line of its own, every other line a field, and
// a Content-Length that is a number.
func validHeader(h []byte) bool {
	lines := bytes.Split(h, []byte("\n"))
	v := bytes.TrimRight(lines[0], "\r")
	if len(v) > 12 || !isVersion(v) {
		return false
	}
	length := false
	for _, l := range lines[1:] {
		l = bytes.TrimRight(l, "\r")
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 {
			return false
		}
		if asciiEqualFold(bytes.TrimSpace(l[:colon]), "content-length") {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(l[colon+1:])), 10, 64)
			length = err == nil && n >= 0
		}
	}
	return length
}

// damagedBefore returns the pending damage whose member's output began
// before decoded offset end. It reads on to the next byte first, so that
// the checksum of the gzip member holding a complete record is verified
// before the record is trusted.
func (p *parser) damagedBefore(end int64) *damageError {
	if p.in.r == p.in.w && p.in.err == nil {
		p.in.fill()
	}
	if d, ok := p.in.err.(*damageError); ok && d.Decoded < end {
		return d
	}
	return nil
}

// streamErrorAfterCut reports the error that cut a record.
func (p *parser) streamErrorAfterCut(err error) bool {
	var d *damageError
	if !errors.As(err, &d) && errors.Is(err, io.ErrUnexpectedEOF) {
		p.fileError(p.in.off, err, false)
		p.done = true
		return false
	}
	return p.streamError(err)
}

// cut handles a record whose header was cut by err.
func (p *parser) cut(start int64, err error) bool {
	if errors.Is(err, errLineTooLong) {
		p.recordError(start, "damaged_record", fmt.Errorf("header longer than %d bytes", p.opts.MaxHeaderBytes), false)
		if err := p.in.skipLine(); err != nil {
			return p.streamError(err)
		}
		return true
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	p.recordError(start, "damaged_record", fmt.Errorf("header cut: %w", err), false)
	return p.streamErrorAfterCut(err)
}

// atVersionLine reports whether the stream is at a "WARC/<digit>" line.
func (p *parser) atVersionLine() bool {
	b, _ := p.in.peek(6)
	return isVersion(b)
}

func isVersion(b []byte) bool {
	return len(b) >= 6 && string(b[:5]) == "WARC/" && '0' <= b[5] && b[5] <= '9'
}

// skipGarbage skips lines up to the next version line, reporting the
// skipped bytes as damage.
func (p *parser) skipGarbage(start int64) bool {
	for {
		if err := p.in.skipLine(); err != nil {
			if errors.Is(err, io.EOF) {
				p.fileError(start, fmt.Errorf("%d bytes of garbage at the end", p.in.off-start), false)
				p.done = true
				return false
			}
			// The garbage was the output of a damaged member: the
			// damage says it all.
			return p.streamError(err)
		}
		if p.atVersionLine() {
			p.fileError(start, fmt.Errorf("%d bytes of garbage before the next record", p.in.off-start), true)
			return true
		}
	}
}

var errBadHeader = errors.New("bad WARC header")

// readHeader reads the named fields up to the blank line.
func (p *parser) readHeader() (header, error) {
	var h header
	total := 0
	for {
		line, err := p.in.readLine(p.opts.MaxHeaderBytes - total)
		if err != nil {
			return h, err
		}
		total += len(line)
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if i := bytes.Index(line, []byte("WARC/")); i >= 0 && isVersion(line[i:]) && len(line)-i < 12 {
			// A new record starts inside this one's header.
			p.in.unread(append(line[i:], '\r', '\n'))
			return h, fmt.Errorf("%w: header cut by the next record", errBadHeader)
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		name := line[:colon]
		value := bytes.TrimSpace(line[colon+1:])
		switch {
		case asciiEqualFold(name, "warc-type"):
			h.typ = strings.ToLower(string(value))
		case asciiEqualFold(name, "warc-record-id"):
			h.id = string(value)
		case asciiEqualFold(name, "warc-target-uri"):
			value = bytes.TrimPrefix(bytes.TrimSuffix(value, []byte(">")), []byte("<"))
			h.uri = string(value)
		case asciiEqualFold(name, "warc-date"):
			h.date = string(value)
		case asciiEqualFold(name, "content-type"):
			h.contentType = string(value)
		case asciiEqualFold(name, "warc-identified-payload-type"):
			h.payloadType = string(value)
		case asciiEqualFold(name, "content-length"):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 {
				return h, fmt.Errorf("%w: Content-Length %.40q", errBadHeader, value)
			}
			h.length, h.hasLength = n, true
		}
	}
	if !h.hasLength {
		return h, fmt.Errorf("%w: no Content-Length", errBadHeader)
	}
	return h, nil
}

// endsRecord consumes the blank lines after a block and reports whether
// the stream is then at the end or at the next record.
func (p *parser) endsRecord() bool {
	b, err := p.in.peek(4)
	if len(b) >= 4 && string(b[:4]) == "\r\n\r\n" {
		p.in.consume(4)
		return true
	}
	if err != nil && len(b) == 0 {
		return true // the end, or damage the next call reports
	}
	// Tolerate other line-end styles, but only if a record follows.
	n := 0
	for n < len(b) && n < 4 && (b[n] == '\r' || b[n] == '\n') {
		n++
	}
	if n == 0 {
		// A writer that left out the separator: the next record
		// follows at once.
		nb, _ := p.in.peek(6)
		return isVersion(nb)
	}
	nb, _ := p.in.peek(n + 6)
	if len(nb) == n || isVersion(nb[n:]) {
		p.in.consume(n)
		return true
	}
	return false
}

// findEnd looks for the real end of the current block when its
// Content-Length lies: the first version line after the block's start. A
// Content-Length too long leaves the next record inside the block, whose
// tail is put back; one too short leaves the rest of the block in the
// stream, which is read up to the next record (within MaxRecordBytes).
// It reports whether a next record was found; if not, the block is
// extended to the end of the stream's readable data.
func (p *parser) findEnd() bool {
	if i := indexVersionLine(p.block); i >= 0 {
		p.in.unread(p.block[i:])
		p.block = trimRecordEnd(p.block[:i])
		return true
	}
	for len(p.block) < p.opts.MaxRecordBytes {
		if p.atVersionLine() && (len(p.block) == 0 || p.block[len(p.block)-1] == '\n') {
			p.block = trimRecordEnd(p.block)
			return true
		}
		line, err := p.in.readLine(p.opts.MaxRecordBytes - len(p.block))
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				return false
			}
			// Damage stays pending in p.in and is reported after
			// this record.
			return false
		}
		p.block = append(p.block, line...)
	}
	return false
}

// indexVersionLine returns the offset of the first "WARC/<digit>" that
// starts a line of b after its first line, or -1.
func indexVersionLine(b []byte) int {
	from := 0
	for {
		i := bytes.Index(b[from:], []byte("\nWARC/"))
		if i < 0 {
			return -1
		}
		at := from + i + 1
		if isVersion(b[at:]) {
			return at
		}
		from = at
	}
}

func trimRecordEnd(b []byte) []byte {
	for i := 0; i < 4 && len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r'); i++ {
		b = b[:len(b)-1]
	}
	return b
}

// isDocType reports whether records of WARC-Type typ may become documents.
func isDocType(typ string) bool {
	return typ == "response" || typ == "resource" || typ == "conversion"
}

// emit turns a complete record into a document or a skip.
func (p *parser) emit(start int64, h *header) {
	switch h.typ {
	case "response", "resource", "conversion":
	case "":
		p.recordError(start, "no_type", nil, true)
		return
	case "warcinfo", "request", "metadata", "revisit", "continuation":
		p.recordError(start, h.typ, nil, true)
		return
	default:
		p.recordError(start, "other_type", fmt.Errorf("WARC-Type %.40q", h.typ), true)
		return
	}
	payload := p.block
	var repaired []string
	ctHeader := h.contentType
	status := 0
	isHTTP := h.typ == "response" && (strings.HasPrefix(mediaType(h.contentType), "application/http") ||
		h.contentType == "" && bytes.HasPrefix(p.block, []byte("HTTP/")))
	if isHTTP {
		resp, err := parseHTTP(p.block)
		if err != nil {
			p.recordError(start, "bad_http", err, false)
			return
		}
		status = resp.status
		if status < 200 || status > 299 {
			p.recordError(start, "status_"+strconv.Itoa(status), nil, true)
			return
		}
		ctHeader = resp.contentType
		if ctHeader == "" {
			ctHeader = h.payloadType
		}
		body, cut, err := p.dec.decodeBody(resp.body, resp.transferEncoding, resp.contentEncoding, p.opts.MaxRecordBytes)
		if err != nil {
			p.recordError(start, "bad_encoding", err, false)
			return
		}
		payload = body
		if cut {
			repaired = append(repaired, "truncated_body")
		}
	} else if h.typ == "response" && mediaType(h.contentType) != "" && !isTextType(mediaType(h.contentType)) {
		// A DNS or other non-HTTP response.
		p.recordError(start, "non_text", fmt.Errorf("record type %.60q", h.contentType), true)
		return
	}
	mt := mediaType(ctHeader)
	if mt == "" || mt == "application/octet-stream" || mt == "unknown/unknown" {
		if sniffHTML(payload) {
			mt = "text/html"
		} else if h.typ == "conversion" {
			mt = "text/plain"
		}
	}
	if !isTextType(mt) {
		p.recordError(start, "non_text", fmt.Errorf("payload type %.60q", mt), true)
		return
	}
	d := &p.doc
	d.Reset()
	d.ID = h.id
	d.URL = h.uri
	d.Record = p.index
	d.Source = p.name + "#" + strconv.FormatInt(p.index, 10)
	// The payload lies in the record's own block or in a buffer decodeBody
	// made: nothing writes to it after this, so the text may share it.
	var fixed bool
	d.Text, fixed = toUTF8(payload, ctHeader, mt != "text/plain", true)
	if fixed {
		repaired = append(repaired, "invalid_utf8")
	}
	if t, err := time.Parse(time.RFC3339Nano, h.date); err == nil {
		d.Date = t
		d.SetRawField("date", quote(t.UTC().Format(time.RFC3339Nano)))
	}
	d.SetRawField("content_type", quote(mt))
	if status != 0 {
		d.SetRawField("http_status", strconv.AppendInt(nil, int64(status), 10))
	}
	p.events = append(p.events, event{rec: pipeline.Record{
		Index: p.index, Offset: start, StoredOffset: p.storedOffset(), Doc: d, Repaired: repaired,
	}})
	p.index++
}

// quote encodes a string of printable ASCII (a date, a media type) as
// JSON without the encoder's allocations; other strings take the
// encoder's path.
func quote(s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b, _ := json.Marshal(s)
			return b
		}
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
