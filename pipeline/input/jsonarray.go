package input

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/winnow-data/winnow/pipeline"
)

// jsonDocSource reads a file of JSON that is not one record per line: a
// JSON array of records, as many instruction-tuning sets are published
// (alpaca_data.json), or one or more pretty-printed (multi-line) JSON
// objects, each a record. Its reader splits the file into top-level
// values (array elements) by their brackets alone; the workers decode and
// validate each like a JSONL line, so a malformed or too deeply nested
// element is one errored record and the next element is read.
type jsonDocSource struct {
	jsonlSource
	// array: the file is one JSON array whose elements are the records;
	// else it is a sequence of JSON values, each a record.
	array bool
}

// Records yields the top-level values (array elements). An element over
// MaxRecordBytes is a "record_too_large" record error, skipped with no
// more memory than the bound. The file ends in a *pipeline.FileError when
// it is not a JSON array (array mode), is cut inside a value, or holds
// data after the array's closing bracket.
func (s *jsonDocSource) Records(ctx context.Context) iter.Seq2[pipeline.Record, error] {
	return func(yield func(pipeline.Record, error) bool) {
		name, max := s.Name(), s.in.fields.maxRecordBytes
		var index int64
		st, err := openStream(ctx, name, s.in.codec, s.in.limits)
		if err != nil {
			if ctx.Err() == nil {
				yield(pipeline.Record{}, &pipeline.FileError{File: name, Err: err})
			}
			return
		}
		defer st.Close()
		sp := &valueSplitter{r: bufio.NewReaderSize(st, 64<<10), max: max, array: s.array, done: ctx.Done()}
		defer func() { sp.elem = nil }()
		for {
			v, off, tooLong, err := sp.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if ctx.Err() == nil {
					yield(pipeline.Record{}, &pipeline.FileError{File: name, Offset: off, Records: index, Err: err})
				}
				return
			}
			if tooLong {
				rerr := &pipeline.RecordError{File: name, Index: index, Offset: off, Reason: "record_too_large",
					Err: fmt.Errorf("element longer than %d bytes", max)}
				index++
				if !yield(pipeline.Record{}, rerr) {
					return
				}
				continue
			}
			rec := pipeline.Record{Index: index, Offset: off, StoredOffset: st.stored.n.Load(), Raw: v}
			index++
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// valueSplitter splits a stream of JSON into its top-level values, or
// the elements of one top-level array, tracking only strings and bracket
// depth (a counter, so no nesting is too deep to skip). Validation is
// the decoder's.
type valueSplitter struct {
	r       *bufio.Reader
	max     int64
	array   bool
	done    <-chan struct{}
	off     int64 // decoded offset of the next byte
	started bool  // array mode: the '[' is behind
	ended   bool  // array mode: the ']' is behind
	elem    []byte
	long    bool  // the current value passed max
	n       int64 // its length
}

var errCancelled = errors.New("cancelled")

func (s *valueSplitter) readByte() (byte, error) {
	c, err := s.r.ReadByte()
	if err == nil {
		s.off++
		if s.off&(1<<20-1) == 0 {
			select {
			case <-s.done:
				return 0, errCancelled
			default:
			}
		}
	}
	return c, err
}

// skipSpace consumes JSON whitespace (and a byte order mark at the start)
// and returns the next byte, unread.
func (s *valueSplitter) skipSpace() (byte, error) {
	if s.off == 0 {
		if b, _ := s.r.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
			s.r.Discard(len(utf8BOM))
			s.off += int64(len(utf8BOM))
		}
	}
	for {
		c, err := s.readByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			s.r.UnreadByte()
			s.off--
			return c, nil
		}
	}
}

func (s *valueSplitter) add(c byte) {
	s.n++
	if s.n > s.max {
		s.long = true
		s.elem = s.elem[:0]
		return
	}
	s.elem = append(s.elem, c)
}

// next returns the next value, its offset and whether it was too long
// to keep; io.EOF at a clean end.
func (s *valueSplitter) next() (v []byte, off int64, tooLong bool, err error) {
	for {
		if s.ended {
			c, err := s.skipSpace()
			if err == io.EOF {
				return nil, s.off, false, io.EOF
			}
			if err != nil {
				return nil, s.off, false, err
			}
			return nil, s.off, false, fmt.Errorf("data after the JSON array: %.20q", c)
		}
		c, err := s.skipSpace()
		if err != nil {
			if err == io.EOF && !s.array {
				return nil, s.off, false, io.EOF
			}
			if err == io.EOF {
				err = fmt.Errorf("the JSON array is not closed: %w", io.ErrUnexpectedEOF)
			}
			return nil, s.off, false, err
		}
		if s.array && !s.started {
			if c != '[' {
				return nil, s.off, false, fmt.Errorf("not a JSON array: starts with %q", c)
			}
			s.readByte()
			s.started = true
			continue
		}
		off = s.off
		s.elem, s.long, s.n = s.elem[:0], false, 0
		if s.array {
			err = s.scanElement()
		} else {
			err = s.scanValue()
		}
		if err != nil {
			if err == io.EOF && s.array {
				err = fmt.Errorf("the JSON array is not closed: cut inside an element: %w", io.ErrUnexpectedEOF)
			} else if err == io.EOF {
				err = fmt.Errorf("cut inside a value: %w", io.ErrUnexpectedEOF)
			}
			return nil, off, false, err
		}
		if s.n == 0 {
			continue // "[1,,2]", a trailing comma: nothing to read
		}
		return s.elem, off, s.long, nil
	}
}

// scanString adds a string's bytes through its closing quote; the
// opening quote is added already.
func (s *valueSplitter) scanString() error {
	for {
		c, err := s.readByte()
		if err != nil {
			return err
		}
		s.add(c)
		switch c {
		case '"':
			return nil
		case '\\':
			c, err := s.readByte()
			if err != nil {
				return err
			}
			s.add(c)
		}
	}
}

// scanElement adds the bytes of an array element up to the ',' or ']'
// that ends it at depth 0, which it consumes; trailing whitespace is
// dropped.
func (s *valueSplitter) scanElement() error {
	depth := 0
	for {
		c, err := s.readByte()
		if err != nil {
			return err
		}
		switch c {
		case '"':
			s.add(c)
			if err := s.scanString(); err != nil {
				return err
			}
			continue
		case '{', '[':
			depth++
		case '}':
			// A stray '}' at depth 0 stays in the element, whose
			// decoding then fails.
			depth = max(depth-1, 0)
		case ']':
			if depth == 0 {
				s.ended = true
				s.trim()
				return nil
			}
			depth--
		case ',':
			if depth == 0 {
				s.trim()
				return nil
			}
		}
		s.add(c)
	}
}

// scanValue adds the bytes of one top-level value: a bracketed value
// through its closing bracket; anything else (a scalar, junk) up to the
// next whitespace or bracket.
func (s *valueSplitter) scanValue() error {
	depth := 0
	for {
		c, err := s.readByte()
		if err == io.EOF && depth == 0 && s.n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
		if depth == 0 && s.n > 0 {
			switch c {
			case ' ', '\t', '\r', '\n', '{', '[':
				s.r.UnreadByte()
				s.off--
				return nil
			}
		}
		switch c {
		case '"':
			s.add(c)
			if err := s.scanString(); err != nil {
				return err
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth <= 0 {
				s.add(c)
				return nil
			}
		}
		s.add(c)
	}
}

// trim drops the whitespace at the end of the kept element.
func (s *valueSplitter) trim() {
	for !s.long && len(s.elem) > 0 {
		switch s.elem[len(s.elem)-1] {
		case ' ', '\t', '\r', '\n':
			s.elem = s.elem[:len(s.elem)-1]
			s.n--
			continue
		}
		return
	}
}

// multiLineJSON reports whether a head that starts with '{' (after
// whitespace) is pretty-printed JSON rather than JSON Lines: its first
// line is not a JSON value of its own, and the line after it does not
// start another object (as the line after a damaged first record of a
// JSON Lines file would). A first line longer than the head is a JSON
// Lines record: pretty-printed JSON breaks lines early.
func multiLineJSON(head []byte) bool {
	nl := bytes.IndexByte(head, '\n')
	if nl < 0 {
		return false
	}
	if first := bytes.TrimSpace(head[:nl]); validJSON(first) {
		return false
	}
	rest := bytes.TrimLeft(head[nl+1:], " \t\r\n")
	return len(rest) == 0 || rest[0] != '{'
}

// validJSON reports whether b is one JSON object.
func validJSON(b []byte) bool {
	_, notObject, err := scanObject(b, nil, "")
	return err == nil && !notObject
}
