package input

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"

	"github.com/winnow-data/winnow/pipeline"
)

// textSource reads a whole file as one document, decoded while reading.
type textSource struct {
	in *input
}

func openText(in *input) (pipeline.Source, error) { return &textSource{in: in}, nil }

func (s *textSource) Name() string { return s.in.file.Path }
func (s *textSource) Size() int64  { return s.in.file.Size }

// Records yields the file's content as one document (none for an empty
// file); a leading UTF-8 byte order mark is dropped. A file longer than
// MaxRecordBytes is a "record_too_large" record error.
func (s *textSource) Records(ctx context.Context) iter.Seq2[pipeline.Record, error] {
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
		// Size the buffer from the stored size when uncompressed, so the
		// text is read without regrowing.
		hint := int64(bytes.MinRead)
		if s.in.codec == nil && s.in.file.Size > 0 {
			hint = min(s.in.file.Size, max) + 1
		}
		buf := bytes.NewBuffer(make([]byte, 0, hint))
		n, err := buf.ReadFrom(io.LimitReader(st, max+1))
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			yield(pipeline.Record{}, &pipeline.FileError{File: name, Offset: n, Err: err})
			return
		case n > max:
			yield(pipeline.Record{}, &pipeline.RecordError{File: name, Offset: 0, Reason: "record_too_large",
				Err: fmt.Errorf("text file longer than %d bytes", max)})
			return
		case n == 0 || ctx.Err() != nil:
			return
		}
		text := bytes.TrimPrefix(buf.Bytes(), utf8BOM)
		doc := &pipeline.Document{Text: ownString(text)}
		yield(pipeline.Record{Doc: doc, StoredOffset: st.stored.n.Load()}, nil)
	}
}
