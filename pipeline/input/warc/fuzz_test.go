package warc

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/winnow-data/winnow/pipeline"
)

// FuzzRecords feeds arbitrary stored bytes to the reader: it must not
// panic or hang, record indexes must increase, documents must hold valid
// UTF-8, and errors must be of the contract's types.
func FuzzRecords(f *testing.F) {
	a := htmlResponse("http://a.example/", "<p>A</p>")
	b := response("http://b.example/", 200, "3\r\nabc\r\n0\r\n\r\n", "Content-Type: text/plain", "Transfer-Encoding: chunked")
	c := rec("conversion", "http://c.example/", "text/plain", []byte("text"))
	f.Add(bytes.Join([][]byte{a, b, c}, nil))
	f.Add(gzEach(a, b, c))
	f.Add(gz(bytes.Join([][]byte{a, b, c}, nil)))
	f.Add(zst(a))
	f.Add(bytes.Join([][]byte{a, []byte("junk\n"), b}, nil))
	f.Add(bytes.Join([][]byte{gz(a)[:20], gz(b)}, nil))
	f.Add(bytes.Replace(a, []byte("Content-Length: "), []byte("Content-Length: 1"), 1))
	f.Add([]byte("WARC/1.0\r\nContent-Length: 99999999999\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := NewSourceOptions("fuzz.warc", int64(len(data)), openBytes(data), Options{MaxRecordBytes: 1 << 16, MaxHeaderBytes: 2048})
		last := int64(-1)
		for r, err := range src.Records(context.Background()) {
			var re *pipeline.RecordError
			var fe *pipeline.FileError
			switch {
			case err == nil:
				if r.Index <= last {
					t.Fatalf("record index %d after %d", r.Index, last)
				}
				last = r.Index
				if !utf8.ValidString(r.Doc.Text) {
					t.Fatalf("record %d: text is not UTF-8", r.Index)
				}
			case errors.As(err, &re):
				if re.Index <= last {
					t.Fatalf("record error index %d after %d", re.Index, last)
				}
				last = re.Index
			case errors.As(err, &fe):
				if fe.File != "fuzz.warc" {
					t.Fatalf("file error names %q", fe.File)
				}
			default:
				t.Fatalf("error of type %T: %v", err, err)
			}
		}
	})
}
