package warc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"golang.org/x/text/encoding/charmap"

	"github.com/winnow-data/winnow/pipeline"
)

// crawl is a small crawl with one record of every kind.
func crawl() [][]byte {
	return [][]byte{
		rec("warcinfo", "", "application/warc-fields", []byte("software: test\r\n")),
		rec("request", "http://a.example/", "application/http; msgtype=request", []byte("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n")),
		htmlResponse("http://a.example/", "<html><body><p>Hello A</p></body></html>"),
		rec("metadata", "http://a.example/", "application/warc-fields", []byte("fetchTimeMs: 12\r\n")),
		response("http://b.example/missing", 404, "<html>not found</html>", "Content-Type: text/html"),
		response("http://c.example/logo.png", 200, "\x89PNG....", "Content-Type: image/png"),
		response("http://d.example/notes.txt", 200, "plain notes", "Content-Type: text/plain"),
		rec("revisit", "http://a.example/", "application/http; msgtype=response", []byte("HTTP/1.1 200 OK\r\n\r\n")),
		rec("conversion", "http://e.example/", "text/plain", []byte("Extracted text of e.\nSecond line.")),
	}
}

const crawlWant = "skip:warcinfo skip:request doc:http://a.example/ skip:metadata skip:status_404 " +
	"skip:non_text doc:http://d.example/notes.txt skip:revisit doc:http://e.example/"

func TestRecordKinds(t *testing.T) {
	plain := bytes.Join(crawl(), nil)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"plain", plain},
		{"gzip per record", gzEach(crawl()...)},
		{"gzip whole file", gz(plain)},
		{"zstd", zst(plain)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(t, testSource(tc.data))
			if k := kinds(got); k != crawlWant {
				t.Errorf("got  %s\nwant %s", k, crawlWant)
			}
			for i, it := range got {
				if it.index != int64(i) {
					t.Errorf("item %d has index %d", i, it.index)
				}
			}
		})
	}
}

func TestDocumentFields(t *testing.T) {
	ds := docs(t, testSource(gzEach(crawl()...)))
	if len(ds) != 3 {
		t.Fatalf("got %d documents", len(ds))
	}
	a := ds[0]
	if a.ID != "<urn:uuid:response-"+fmt.Sprint(len(httpResp(200, "<html><body><p>Hello A</p></body></html>", "Content-Type: text/html; charset=utf-8")))+">" {
		t.Errorf("ID = %q", a.ID)
	}
	if a.Text != "<html><body><p>Hello A</p></body></html>" {
		t.Errorf("Text = %q", a.Text)
	}
	if !a.Date.Equal(time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)) {
		t.Errorf("Date = %v", a.Date)
	}
	for name, want := range map[string]string{"date": `"2024-03-01T12:30:00Z"`, "content_type": `"text/html"`, "http_status": "200"} {
		if got := string(a.Field(name)); got != want {
			t.Errorf("field %s = %s, want %s", name, got, want)
		}
	}
	if got := string(ds[1].Field("content_type")); got != `"text/plain"` {
		t.Errorf("text/plain response content_type = %s", got)
	}
	wet := ds[2]
	if wet.Text != "Extracted text of e.\nSecond line." || string(wet.Field("content_type")) != `"text/plain"` || wet.Field("http_status") != nil {
		t.Errorf("WET conversion: %q %s %s", wet.Text, wet.Field("content_type"), wet.Field("http_status"))
	}
}

func TestHTTPPayloads(t *testing.T) {
	page := "<html><body><p>Grüße, naïve café</p></body></html>"
	var brBody bytes.Buffer
	bw := brotli.NewWriter(&brBody)
	bw.Write([]byte(page))
	bw.Close()
	latin1, _ := charmap.ISO8859_1.NewEncoder().String(page)
	cp1251, _ := charmap.Windows1251.NewEncoder().String("<html><head><meta charset=\"windows-1251\"></head><body>Привет</body></html>")
	chunked := fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", 20, page[:20], len(page)-20, page[20:])
	for _, tc := range []struct {
		name    string
		body    string
		headers []string
		want    string
	}{
		{"gzip", string(gz([]byte(page))), []string{"Content-Type: text/html", "Content-Encoding: gzip"}, page},
		{"gzip header but stored decoded", page, []string{"Content-Type: text/html", "Content-Encoding: gzip"}, page},
		{"brotli", brBody.String(), []string{"Content-Type: text/html", "Content-Encoding: br"}, page},
		{"chunked", chunked, []string{"Content-Type: text/html", "Transfer-Encoding: chunked"}, page},
		{"chunked and gzip", fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(gz([]byte(page))), gz([]byte(page))), []string{"Content-Type: text/html", "Transfer-Encoding: chunked", "Content-Encoding: gzip"}, page},
		{"latin-1 from header", latin1, []string{"Content-Type: text/html; charset=ISO-8859-1"}, page},
		{"utf-8 mislabelled latin-1", page, []string{"Content-Type: text/html; charset=iso-8859-1"}, page},
		{"windows-1251 from meta", cp1251, []string{"Content-Type: text/html"}, "<html><head><meta charset=\"windows-1251\"></head><body>Привет</body></html>"},
		{"no type, sniffed html", page, nil, page},
		{"invalid utf-8 replaced", "<html>a\xffb</html>", []string{"Content-Type: text/html; charset=utf-8"}, "<html>a\ufffdb</html>"},
		{"utf-8 bom", "\ufeff" + page, []string{"Content-Type: text/html"}, page},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := docs(t, testSource(response("http://x.example/", 200, tc.body, tc.headers...)))
			if len(ds) != 1 {
				t.Fatalf("got %d documents: %s", len(ds), kinds(collect(t, testSource(response("http://x.example/", 200, tc.body, tc.headers...)))))
			}
			if ds[0].Text != tc.want {
				t.Errorf("Text = %q\nwant   %q", ds[0].Text, tc.want)
			}
		})
	}
}

func TestDamage(t *testing.T) {
	a := htmlResponse("http://a.example/", "<p>A</p>")
	b := htmlResponse("http://b.example/", "<p>B</p>")
	c := htmlResponse("http://c.example/", "<p>C</p>")
	cl := fmt.Sprintf("Content-Length: %d\r\n", len(httpResp(200, "<p>B</p>", "Content-Type: text/html; charset=utf-8")))
	lieLong := bytes.Replace(b, []byte(cl), []byte("Content-Length: 150\r\n"), 1)
	lieShort := bytes.Replace(b, []byte(cl), []byte("Content-Length: 40\r\n"), 1)
	if bytes.Equal(lieLong, b) || bytes.Equal(lieShort, b) {
		t.Fatalf("test records changed; fix the Content-Length in the test: %q", b[:200])
	}
	gb := gz(b)
	// Whole-file gzip cut inside the second record: records of varied
	// text so that the cut falls where intended.
	rng := rand.New(rand.NewPCG(3, 4))
	words := func() string {
		var sb strings.Builder
		for range 300 {
			sb.WriteString(strconv.Itoa(rng.IntN(100000)) + " ")
		}
		return sb.String()
	}
	wa := htmlResponse("http://a.example/", words())
	wholeCut := gz(bytes.Join([][]byte{wa, htmlResponse("http://b.example/", words())}, nil))
	wholeCut = wholeCut[:len(wholeCut)*3/4]
	flipped := append([]byte(nil), gb...)
	flipped[len(flipped)/2] ^= 0xff
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"intact", bytes.Join([][]byte{a, b, c}, nil), "doc:http://a.example/ doc:http://b.example/ doc:http://c.example/"},
		{"garbage between records", bytes.Join([][]byte{a, []byte("junk\x00\x01 line\nmore junk\n"), b, c}, nil),
			"doc:http://a.example/ damage doc:http://b.example/ doc:http://c.example/"},
		{"garbage at the end", bytes.Join([][]byte{a, b, []byte("trailing junk")}, nil),
			"doc:http://a.example/ doc:http://b.example/ fatal"},
		{"Content-Length too long", bytes.Join([][]byte{a, lieLong, c}, nil),
			"doc:http://a.example/ damage doc:http://b.example/ doc:http://c.example/"},
		{"Content-Length too short", bytes.Join([][]byte{a, lieShort, c}, nil),
			"doc:http://a.example/ damage doc:http://b.example/ doc:http://c.example/"},
		{"no separator after a record", bytes.Join([][]byte{bytes.TrimSuffix(a, []byte("\r\n\r\n")), b, c}, nil),
			"doc:http://a.example/ doc:http://b.example/ doc:http://c.example/"},
		{"LF separators", bytes.Join([][]byte{bytes.TrimSuffix(a, []byte("\r\n\r\n")), []byte("\n\n"), c}, nil),
			"doc:http://a.example/ doc:http://c.example/"},
		{"Content-Length too long, gzip", gzEach(a, lieLong, c),
			"doc:http://a.example/ damage doc:http://b.example/ doc:http://c.example/"},
		{"truncated file", bytes.Join([][]byte{a, b[:60]}, nil),
			"doc:http://a.example/ error:damaged_record fatal"},
		{"header cut by next record", bytes.Join([][]byte{a, b[:40], c}, nil),
			"doc:http://a.example/ error:damaged_record doc:http://c.example/"},
		{"truncated gzip member", bytes.Join([][]byte{gz(a), gb[:len(gb)-30], gz(c)}, nil),
			"doc:http://a.example/ error:damaged_record damage doc:http://c.example/"},
		{"corrupt gzip member", bytes.Join([][]byte{gz(a), flipped, gz(c)}, nil),
			"doc:http://a.example/ error:damaged_record damage doc:http://c.example/"},
		{"garbage between gzip members", bytes.Join([][]byte{gz(a), []byte("not gzip at all"), gb, gz(c)}, nil),
			"doc:http://a.example/ damage doc:http://b.example/ doc:http://c.example/"},
		{"truncated last gzip member", bytes.Join([][]byte{gz(a), gb[:len(gb)-30]}, nil),
			"doc:http://a.example/ error:damaged_record fatal"},
		{"truncated whole-file gzip", wholeCut,
			"doc:http://a.example/ error:damaged_record fatal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := kinds(collect(t, testSource(tc.data)))
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestNothingLost damages one member of a per-record gzip WARC in random
// ways and checks that every other record comes through.
func TestNothingLost(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 12
	for trial := range 200 {
		var members [][]byte
		for i := range n {
			body := fmt.Sprintf("<html><body><p>%s</p></body></html>", strings.Repeat(fmt.Sprintf("doc %d word ", i), 1+rng.IntN(200)))
			members = append(members, gz(htmlResponse(fmt.Sprintf("http://x.example/%d", i), body)))
		}
		victim := rng.IntN(n)
		m := append([]byte(nil), members[victim]...)
		switch trial % 3 {
		case 0: // truncate
			m = m[:rng.IntN(len(m))]
		case 1: // flip bytes after the gzip header
			for range 1 + rng.IntN(4) {
				m[10+rng.IntN(len(m)-10)] ^= byte(1 + rng.IntN(255))
			}
		case 2: // replace with garbage
			for i := range m {
				m[i] = byte(rng.IntN(256))
			}
		}
		members[victim] = m
		seen := map[string]bool{}
		for _, it := range collect(t, testSource(bytes.Join(members, nil))) {
			if it.kind == "doc" {
				seen[it.detail] = true
			}
		}
		for i := range n {
			if i != victim && !seen[fmt.Sprintf("http://x.example/%d", i)] {
				t.Fatalf("trial %d (damage %d to member %d): record %d lost", trial, trial%3, victim, i)
			}
		}
	}
}

func TestResponseWithoutWARCContentType(t *testing.T) {
	block := httpResp(200, "<p>x</p>", "Content-Type: text/html")
	ds := docs(t, testSource(rec("response", "http://x.example/", "", block)))
	if len(ds) != 1 || ds[0].Text != "<p>x</p>" {
		t.Fatalf("got %+v", ds)
	}
}

func TestLimits(t *testing.T) {
	big := htmlResponse("http://big.example/", strings.Repeat("x", 5000))
	small := htmlResponse("http://small.example/", "<p>ok</p>")
	src := NewSourceOptions("t.warc", -1, openBytes(bytes.Join([][]byte{big, small}, nil)), Options{MaxRecordBytes: 4096})
	if got, want := kinds(collect(t, src)), "skip:too_large doc:http://small.example/"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	longHeader := []byte("WARC/1.0\r\nX: " + strings.Repeat("y", 1000) + "\r\nContent-Length: 0\r\n\r\n\r\n\r\n")
	src = NewSourceOptions("t.warc", -1, openBytes(bytes.Join([][]byte{longHeader, small}, nil)), Options{MaxHeaderBytes: 512})
	if got, want := kinds(collect(t, src)), "error:damaged_record damage doc:http://small.example/"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestErrorsNameFileAndPosition(t *testing.T) {
	first := htmlResponse("http://a.example/", "<p>A</p>")
	data := bytes.Join([][]byte{first, []byte("junk\n"), htmlResponse("http://b.example/", "<p>B</p>")}, nil)
	for _, err := range testSource(data).Records(t.Context()) {
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, "test.warc") || !strings.Contains(msg, fmt.Sprintf("byte %d", len(first))) {
				t.Errorf("error %q does not name file and offset", msg)
			}
		}
	}
}

// TestImpossibleContentLength: a record whose Content-Length lies upward,
// far beyond the record size bound, must not swallow the intact records
// after it: reading resumes at the next record.
func TestImpossibleContentLength(t *testing.T) {
	good := func(i int) []byte {
		return htmlResponse(fmt.Sprintf("http://x.example/%d", i), fmt.Sprintf("<p>page %d</p>", i))
	}
	liar := rec("response", "http://liar.example/", "application/http; msgtype=response", httpResp(200, "<p>liar</p>", "Content-Type: text/html"))
	for _, length := range []string{"100000000", "1000000000000000"} {
		lie := bytes.Replace(liar, []byte(fmt.Sprintf("Content-Length: %d\r\n", len(liar)-bytes.Index(liar, []byte("HTTP/"))-4)), []byte("Content-Length: "+length+"\r\n"), 1)
		if bytes.Equal(lie, liar) {
			t.Fatal("the test's liar record did not change")
		}
		recs := [][]byte{good(0), lie}
		for i := 1; i <= 1000; i++ {
			recs = append(recs, good(i))
		}
		// A body that holds "WARC/" text but no header is not a record.
		recs = append(recs, htmlResponse("http://x.example/1001", "<pre>\nWARC/1.0 is a format\n</pre>"))
		for name, data := range map[string][]byte{
			".warc":            bytes.Join(recs, nil),
			"per-record .gz":   gzEach(recs...),
			"whole-file .gz":   gz(bytes.Join(recs, nil)),
			".warc, small max": bytes.Join(recs, nil),
		} {
			t.Run(length+" "+name, func(t *testing.T) {
				var got []string
				damage, liarErr := 0, 0
				src := NewSource("t.warc", int64(len(data)), openBytes(data))
				for _, it := range collect(t, src) {
					switch {
					case it.kind == "doc":
						got = append(got, it.detail)
					case it.kind == "damage":
						damage++
					case it.kind == "error" && it.detail == "damaged_record":
						liarErr++
					default:
						t.Errorf("unexpected %s %s", it.kind, it.detail)
					}
				}
				if len(got) != 1002 || got[0] != "http://x.example/0" || got[1001] != "http://x.example/1001" {
					t.Fatalf("got %d documents (first %q), want 1002", len(got), got[:min(len(got), 3)])
				}
				if damage != 1 || liarErr != 1 {
					t.Errorf("damage reports %d, damaged records %d; want 1 and 1", damage, liarErr)
				}
			})
		}
	}
}

// TestLargeRecordKept: an honest record over the size bound whose body
// mentions "WARC/1.0" on a line of its own, without a header after it, is
// skipped whole; the next record is read.
func TestLargeRecordSkippedWhole(t *testing.T) {
	body := strings.Repeat("x", 3000) + "\nWARC/1.0\r\nnot a header line\r\n\r\n" + strings.Repeat("y", 3000)
	big := htmlResponse("http://big.example/", body)
	small := htmlResponse("http://small.example/", "<p>ok</p>")
	src := NewSourceOptions("t.warc", -1, openBytes(bytes.Join([][]byte{big, small}, nil)), Options{MaxRecordBytes: 4096})
	if got, want := kinds(collect(t, src)), "skip:too_large doc:http://small.example/"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestRepairsReported: a body cut at the record bound and text whose
// undecodable bytes became U+FFFD are kept and named in Record.Repaired,
// which the run counts under "repaired".
func TestRepairsReported(t *testing.T) {
	big := strings.Repeat("<p>many words here</p>\n", 1000) // 23 KB
	var gzBody bytes.Buffer
	zw := gzip.NewWriter(&gzBody)
	zw.Write([]byte(big))
	zw.Close()
	recs := [][]byte{
		response("http://gzip.example/", 200, gzBody.String(), "Content-Type: text/html", "Content-Encoding: gzip"),
		response("http://chunked.example/", 200, fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", gzBody.Len(), gzBody.String()), "Content-Type: text/html", "Transfer-Encoding: chunked", "Content-Encoding: gzip"),
		response("http://bad-utf8.example/", 200, "<p>caf\xe9 \xff</p>", "Content-Type: text/html; charset=utf-8"),
		response("http://sjis.example/", 200, "<p>\x82\xa0 \x82</p>", "Content-Type: text/html; charset=shift_jis"),
		response("http://fine.example/", 200, "<p>caf\xc3\xa9 \xef\xbf\xbd</p>", "Content-Type: text/html"),
		response("http://latin1.example/", 200, "<p>caf\xe9</p>", "Content-Type: text/html; charset=iso-8859-1"),
	}
	want := map[string]string{
		"http://gzip.example/":     "truncated_body",
		"http://chunked.example/":  "truncated_body",
		"http://bad-utf8.example/": "invalid_utf8",
		"http://sjis.example/":     "invalid_utf8",
		"http://fine.example/":     "",
		"http://latin1.example/":   "",
	}
	src := NewSourceOptions("t.warc", -1, openBytes(bytes.Join(recs, nil)), Options{MaxRecordBytes: 8 << 10})
	n := 0
	for r, err := range src.Records(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if got := strings.Join(r.Repaired, ","); got != want[r.Doc.URL] {
			t.Errorf("%s: repaired %q, want %q", r.Doc.URL, got, want[r.Doc.URL])
		}
		if strings.Contains(r.Doc.URL, "gzip") && len(r.Doc.Text) != 8<<10 {
			t.Errorf("truncated text of %d bytes, want %d", len(r.Doc.Text), 8<<10)
		}
	}
	if n != len(recs) {
		t.Errorf("%d documents, want %d", n, len(recs))
	}
}

// TestDecodedLimit: a compressed WARC that decompresses past the bound
// ends there with damage naming the bound, after the records before it.
func TestDecodedLimit(t *testing.T) {
	var recs [][]byte
	for i := range 200 {
		recs = append(recs, htmlResponse(fmt.Sprintf("http://x.example/%d", i), strings.Repeat("<p>words</p>", 50)))
	}
	for name, data := range map[string][]byte{"per-record gzip": gzEach(recs...), "zstd": zst(bytes.Join(recs, nil))} {
		t.Run(name, func(t *testing.T) {
			src := NewSourceOptions("t.warc.gz", int64(len(data)), openBytes(data), Options{MaxDecodedBytes: 40 << 10})
			items := collect(t, src)
			last := items[len(items)-1]
			if last.kind != "fatal" || !strings.Contains(last.detail, "decompressed size limit exceeded") || !strings.Contains(last.detail, "40960 bytes") {
				t.Fatalf("last item %+v, want the decoded size limit", last)
			}
			docs := 0
			for _, it := range items {
				if it.kind == "doc" {
					docs++
				}
			}
			if docs == 0 || docs >= 200 {
				t.Errorf("%d documents before the limit", docs)
			}
		})
	}
	if l, _ := (Options{}).decodedLimit(1500); l != 1<<30 {
		t.Errorf("default limit for a small file %d", l)
	}
	if l, _ := (Options{}).decodedLimit(10 << 30); l != 10000<<30 {
		t.Errorf("default limit for 10 GiB %d", l)
	}
}

// TestCancelMidRead: a read in the middle of a decompression bomb (a
// member of zeros after a record) ends within a second of cancellation.
func TestCancelMidRead(t *testing.T) {
	var zeros bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zeros, gzip.BestSpeed)
	zw.Write(make([]byte, 16<<20))
	zw.Close()
	data := append(gz(htmlResponse("http://a.example/", "<p>a</p>")), bytes.Repeat(zeros.Bytes(), 512)...) // 8 GiB of zeros
	src := NewSourceOptions("bomb.warc.gz", -1, openBytes(data), Options{MaxDecodedBytes: 1 << 50})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan []error)
	go func() {
		var errs []error
		for _, err := range src.Records(ctx) {
			if err != nil {
				errs = append(errs, err)
			}
		}
		done <- errs
	}()
	select {
	case <-done:
		t.Fatal("the read ended before it was cancelled")
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	start := time.Now()
	select {
	case errs := <-done:
		if d := time.Since(start); d > time.Second {
			t.Errorf("ended %v after cancellation", d)
		}
		for _, err := range errs {
			var fe *pipeline.FileError
			if errors.As(err, &fe) && errors.Is(err, context.Canceled) {
				t.Errorf("cancellation reported as damage: %v", err)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still reading 5 s after cancellation")
	}
}

// TestZstdLongWindow: a .warc.zst written with a 2 GiB window (zstd
// --long=31) reads by default; over the configured bound the error names
// the bound.
func TestZstdLongWindow(t *testing.T) {
	block := htmlResponse("http://a.example/", "<p>A</p>")
	// One raw block in a frame whose header asks for 1<<31 bytes.
	frame := append([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, byte(31-10) << 3}, 0, 0, 0)
	h := uint32(1) | uint32(len(block))<<3
	frame[6], frame[7], frame[8] = byte(h), byte(h>>8), byte(h>>16)
	frame = append(frame, block...)
	if got := kinds(collect(t, testSource(frame))); got != "doc:http://a.example/" {
		t.Errorf("default bound: %s", got)
	}
	src := NewSourceOptions("t.warc.zst", -1, openBytes(frame), Options{MaxWindow: 128 << 20})
	items := collect(t, src)
	if len(items) != 1 || items[0].kind != "fatal" || !strings.Contains(items[0].detail, "128 MiB limit") {
		t.Errorf("bound 128 MiB: %+v", items)
	}
}
