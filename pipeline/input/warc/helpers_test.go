package warc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/winnow-data/winnow/pipeline"
)

// rec builds one WARC record.
func rec(typ, uri, contentType string, block []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "WARC/1.1\r\nWARC-Type: %s\r\n", typ)
	fmt.Fprintf(&b, "WARC-Record-ID: <urn:uuid:%s-%d>\r\n", typ, len(block))
	if uri != "" {
		fmt.Fprintf(&b, "WARC-Target-URI: %s\r\n", uri)
	}
	b.WriteString("WARC-Date: 2024-03-01T12:30:00Z\r\n")
	if contentType != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(block))
	b.Write(block)
	b.WriteString("\r\n\r\n")
	return b.Bytes()
}

// httpResp builds an HTTP response block; headers are "Name: value".
func httpResp(status int, body string, headers ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d X\r\n", status)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return b.Bytes()
}

func response(uri string, status int, body string, headers ...string) []byte {
	return rec("response", uri, "application/http; msgtype=response", httpResp(status, body, headers...))
}

func htmlResponse(uri, body string) []byte {
	return response(uri, 200, body, "Content-Type: text/html; charset=utf-8")
}

var gzw = gzip.NewWriter(nil)

func gz(b []byte) []byte {
	var out bytes.Buffer
	gzw.Reset(&out)
	gzw.Write(b)
	gzw.Close()
	return out.Bytes()
}

// gzEach compresses each record as its own member, the WARC convention.
func gzEach(recs ...[]byte) []byte {
	var out []byte
	for _, r := range recs {
		out = append(out, gz(r)...)
	}
	return out
}

func zst(b []byte) []byte {
	enc, _ := zstd.NewWriter(nil)
	return enc.EncodeAll(b, nil)
}

func testSource(data []byte) pipeline.Source {
	return NewSource("test.warc", int64(len(data)), func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

// item is one yielded value, summarised for comparison.
type item struct {
	kind   string // "doc", "skip", "error", "damage", "fatal"
	detail string // URL, reason or error text
	index  int64
}

func collect(t testing.TB, src pipeline.Source) []item {
	t.Helper()
	var out []item
	for r, err := range src.Records(context.Background()) {
		var re *pipeline.RecordError
		var fe *pipeline.FileError
		switch {
		case err == nil:
			out = append(out, item{"doc", r.Doc.URL, r.Index})
		case errors.As(err, &re) && re.Skip:
			out = append(out, item{"skip", re.Reason, re.Index})
		case errors.As(err, &re):
			out = append(out, item{"error", re.Reason, re.Index})
		case errors.As(err, &fe) && fe.Recovered:
			out = append(out, item{"damage", fe.Err.Error(), -1})
		case errors.As(err, &fe):
			out = append(out, item{"fatal", fe.Err.Error(), -1})
		default:
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
	}
	return out
}

// kinds renders the items as "kind:detail" with damage details cut to a
// stable prefix.
func kinds(items []item) string {
	var parts []string
	for _, it := range items {
		switch it.kind {
		case "damage", "fatal":
			parts = append(parts, it.kind)
		default:
			parts = append(parts, it.kind+":"+it.detail)
		}
	}
	return strings.Join(parts, " ")
}

func docs(t testing.TB, src pipeline.Source) []pipeline.Document {
	t.Helper()
	var out []pipeline.Document
	for r, err := range src.Records(context.Background()) {
		if err == nil {
			d := *r.Doc
			d.Fields = append([]pipeline.Field(nil), d.Fields...)
			out = append(out, d)
		}
	}
	return out
}

func openBytes(data []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}
