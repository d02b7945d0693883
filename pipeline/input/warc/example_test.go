package warc_test

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/winnow-data/winnow/pipeline/input/warc"
)

func ExampleNewSource() {
	body := "<html><body><p>Hello</p></body></html>"
	http := "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
	record := fmt.Sprintf("WARC/1.1\r\nWARC-Type: response\r\n"+
		"WARC-Record-ID: <urn:uuid:0b6d1a4e-0000-4000-8000-000000000001>\r\n"+
		"WARC-Target-URI: https://example.com/\r\nWARC-Date: 2024-05-01T10:00:00Z\r\n"+
		"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n%s\r\n\r\n", len(http), http)
	data := []byte(record + "garbage between records\n" + record)

	src := warc.NewSource("crawl.warc", int64(len(data)), func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	for rec, err := range src.Records(context.Background()) {
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(rec.Index, rec.Doc.ID, rec.Doc.URL, rec.Doc.Date.Format("2006-01-02"), string(rec.Doc.Field("content_type")), string(rec.Doc.Field("http_status")))
	}
	// Output:
	// 0 <urn:uuid:0b6d1a4e-0000-4000-8000-000000000001> https://example.com/ 2024-05-01 "text/html" 200
	// error: crawl.warc: byte 341 (after 1 records): 24 bytes of garbage before the next record
	// 1 <urn:uuid:0b6d1a4e-0000-4000-8000-000000000001> https://example.com/ 2024-05-01 "text/html" 200
}
