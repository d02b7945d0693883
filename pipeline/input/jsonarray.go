package input

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/winnow-data/winnow/pipeline"
)

// jsonArraySource reads a file holding one JSON array of records, as many
// instruction-tuning sets are published (alpaca_data.json). Its reader
// splits the array into elements with encoding/json's streaming decoder
// (such files are small next to web crawls, and need a full parse to split
// anyway); the workers decode the elements as JSONL lines.
type jsonArraySource struct {
	jsonlSource
}

// Records yields the array's elements. Damage inside the array (bad
// syntax, truncation, data after the closing bracket) ends the file: a
// JSON array offers no line breaks to resynchronise on.
func (s *jsonArraySource) Records(ctx context.Context) iter.Seq2[pipeline.Record, error] {
	return func(yield func(pipeline.Record, error) bool) {
		name := s.Name()
		var index int64
		fail := func(off int64, err error) {
			yield(pipeline.Record{}, &pipeline.FileError{File: name, Offset: off, Records: index, Err: err})
		}
		st, err := openStream(name, s.in.codec)
		if err != nil {
			fail(0, err)
			return
		}
		defer st.Close()
		br := bufio.NewReader(st)
		var bom int64
		if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
			br.Discard(len(utf8BOM))
			bom = int64(len(utf8BOM))
		}
		g := &guard{r: br}
		dec := json.NewDecoder(g)
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			fail(0, fmt.Errorf("not a JSON array: %v", orToken(err, tok)))
			return
		}
		done := ctx.Done()
		for dec.More() {
			select {
			case <-done:
				return
			default:
			}
			// Bound what the decoder may buffer for one element: it reads
			// ahead, so allow a read buffer's worth beyond the limit.
			g.limit = dec.InputOffset() + s.in.fields.maxRecordBytes + lineBufSize
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				if errors.Is(err, errTooLarge) {
					err = fmt.Errorf("an element longer than %d bytes: %w", s.in.fields.maxRecordBytes, err)
				}
				fail(dec.InputOffset(), err)
				return
			}
			off := bom + dec.InputOffset() - int64(len(raw))
			if int64(len(raw)) > s.in.fields.maxRecordBytes {
				rerr := &pipeline.RecordError{File: name, Index: index, Offset: off, Reason: "record_too_large",
					Err: fmt.Errorf("element longer than %d bytes", s.in.fields.maxRecordBytes)}
				index++
				if !yield(pipeline.Record{}, rerr) {
					return
				}
				continue
			}
			rec := pipeline.Record{Index: index, Offset: off, StoredOffset: st.stored.n.Load(), Raw: raw}
			index++
			if !yield(rec, nil) {
				return
			}
		}
		g.limit = 0
		if _, err := dec.Token(); err != nil {
			fail(dec.InputOffset(), err)
			return
		}
		if tok, err := dec.Token(); err != io.EOF {
			fail(dec.InputOffset(), fmt.Errorf("data after the JSON array: %v", orToken(err, tok)))
		}
	}
}

func orToken(err error, tok json.Token) any {
	if err != nil {
		return err
	}
	return tok
}

var errTooLarge = errors.New("record too large")

// guard fails reads past limit (when set), so one huge element cannot
// make the decoder buffer without bound.
type guard struct {
	r     io.Reader
	n     int64
	limit int64
}

func (g *guard) Read(p []byte) (int, error) {
	if g.limit > 0 && g.n >= g.limit {
		return 0, errTooLarge
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	return n, err
}
