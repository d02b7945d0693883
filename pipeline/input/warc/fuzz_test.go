package warc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
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
	// A Content-Length beyond the size bound that lies: the records after
	// it are found inside the declared block.
	f.Add(bytes.Join([][]byte{a, bytes.Replace(b, []byte("Content-Length: "), []byte("Content-Length: 1000000000000000"), 1), c}, nil))
	f.Add(gzEach(a, bytes.Replace(b, []byte("Content-Length: "), []byte("Content-Length: 9"), 1), c, a))
	f.Add([]byte("WARC/1.0\r\nContent-Length: 99999999\r\n\r\nx\nWARC/1.0\r\nbad\r\n\r\n\nWARC/1.1\nContent-Length: 0\n\n"))
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

// FuzzDamagedGzip damages one member of a per-record gzip WARC — cut at
// cut, a byte changed at flip, junk inserted before it — and checks that
// every record in the other members still comes through.
func FuzzDamagedGzip(f *testing.F) {
	f.Add(uint8(1), uint16(30), uint16(0), []byte{})
	f.Add(uint8(2), uint16(0), uint16(57), []byte{0xff})
	f.Add(uint8(3), uint16(0), uint16(0), []byte("junk\x1f\x8b\x08"))
	f.Add(uint8(0), uint16(5), uint16(200), []byte("WARC/1.0\r\n"))
	var members [][]byte
	for i := range 6 {
		members = append(members, gz(htmlResponse(fmt.Sprintf("http://x.example/%d", i), fmt.Sprintf("<p>page %d %s</p>", i, strings.Repeat("text ", i*40)))))
	}
	f.Fuzz(func(t *testing.T, victim uint8, cut, flip uint16, junk []byte) {
		v := int(victim) % len(members)
		var parts [][]byte
		for i, m := range members {
			if i != v {
				parts = append(parts, m)
				continue
			}
			m = append([]byte(nil), m...)
			if c := int(cut) % len(m); c > 0 {
				m = m[:len(m)-c]
			}
			if len(m) > 0 && flip > 0 {
				m[int(flip)%len(m)] ^= byte(flip>>8 | 1)
			}
			if i == 0 && bytes.HasPrefix(junk, []byte("WARC/")) {
				// The first bytes decide the format: a file starting
				// with a WARC version line is a plain WARC.
				junk = nil
			}
			parts = append(parts, append(append([]byte(nil), junk...), m...))
		}
		data := bytes.Join(parts, nil)
		seen := map[string]bool{}
		for r, err := range testSource(data).Records(context.Background()) {
			if err == nil {
				seen[r.Doc.URL] = true
			}
		}
		for i := range members {
			if i != v && !seen[fmt.Sprintf("http://x.example/%d", i)] {
				t.Fatalf("record %d lost (damage to member %d)", i, v)
			}
		}
	})
}
