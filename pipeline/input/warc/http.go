package warc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httputil"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
)

// httpResponse is the part of an HTTP response a document needs.
type httpResponse struct {
	status           int
	contentType      string // header value, parameters included
	contentEncoding  string
	transferEncoding string
	body             []byte
}

var errNoHTTP = errors.New("no HTTP status line")

// parseHTTP splits a response record's block into status, the headers a
// document needs and the body. Header lines may end in LF alone; folded
// lines are ignored.
func parseHTTP(block []byte) (httpResponse, error) {
	var h httpResponse
	nl := bytes.IndexByte(block, '\n')
	if nl < 0 {
		return h, errNoHTTP
	}
	status := bytes.TrimRight(block[:nl], "\r")
	// "HTTP/1.1 200 OK", "HTTP/2 200"
	if !bytes.HasPrefix(status, []byte("HTTP/")) {
		return h, errNoHTTP
	}
	sp := bytes.IndexByte(status, ' ')
	if sp < 0 || len(status) < sp+4 {
		return h, fmt.Errorf("bad HTTP status line %.60q", status)
	}
	code, err := strconv.Atoi(string(status[sp+1 : sp+4]))
	if err != nil || code < 100 || code > 999 || len(status) > sp+4 && status[sp+4] != ' ' {
		return h, fmt.Errorf("bad HTTP status line %.60q", status)
	}
	h.status = code
	rest := block[nl+1:]
	for {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			// Headers without their terminating blank line: a response
			// cut by the crawler. There is no body.
			return h, nil
		}
		line := bytes.TrimRight(rest[:nl], "\r")
		rest = rest[nl+1:]
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		name, value := line[:colon], string(bytes.TrimSpace(line[colon+1:]))
		switch {
		case asciiEqualFold(name, "content-type"):
			h.contentType = value
		case asciiEqualFold(name, "content-encoding"):
			h.contentEncoding = value
		case asciiEqualFold(name, "transfer-encoding"):
			h.transferEncoding = value
		}
	}
	h.body = rest
	return h, nil
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// mediaType returns the lower-case media type of a Content-Type value,
// without parameters.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// isTextType reports whether documents of media type mt are read as text:
// HTML (with XHTML) and plain text.
func isTextType(mt string) bool {
	switch mt {
	case "text/html", "application/xhtml+xml", "text/plain":
		return true
	}
	return false
}

// sniffHTML reports whether a body without a declared type starts like an
// HTML page.
func sniffHTML(body []byte) bool {
	head := body[:min(len(body), 1024)]
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(head) == 0 || head[0] != '<' {
		return false
	}
	lower := bytes.ToLower(head)
	return bytes.Contains(lower, []byte("<html")) || bytes.HasPrefix(lower, []byte("<!doctype html"))
}

// decoders holds the reusable decompressors of one reader.
type decoders struct {
	gz   *gzip.Reader
	zstd *zstd.Decoder
	buf  bytes.Buffer
}

// decodeBody undoes the transfer and content codings of an HTTP body,
// producing at most max bytes; cut reports that there were more (the
// text is then the first max bytes). Archivers often store bodies
// already decoded but keep the headers, so a body that does not look
// encoded is taken as it is. A body cut short (a truncated fetch) keeps
// what was decoded.
func (d *decoders) decodeBody(body []byte, te, ce string, max int) (out []byte, cut bool, err error) {
	// copyMax reads r into d.buf up to max bytes, noting whether more
	// were there.
	copyMax := func(r io.Reader) error {
		d.buf.Reset()
		_, err := io.Copy(&d.buf, io.LimitReader(r, int64(max)+1))
		if d.buf.Len() > max {
			d.buf.Truncate(max)
			cut = true
		}
		return err
	}
	if strings.Contains(strings.ToLower(te), "chunked") && looksChunked(body) {
		err := copyMax(httputil.NewChunkedReader(bytes.NewReader(body)))
		if err == nil || d.buf.Len() > 0 {
			body = append([]byte(nil), d.buf.Bytes()...)
		}
	}
	var r io.Reader
	switch strings.ToLower(strings.TrimSpace(ce)) {
	case "", "identity", "none":
		return body, cut, nil
	case "gzip", "x-gzip":
		if !bytes.HasPrefix(body, gzipMagic[:2]) {
			return body, cut, nil
		}
		if d.gz == nil {
			d.gz = new(gzip.Reader)
		}
		if err := d.gz.Reset(bytes.NewReader(body)); err != nil {
			return nil, false, err
		}
		r = d.gz
	case "deflate":
		// "deflate" is zlib-wrapped by the standard, raw by some servers.
		if len(body) >= 2 && body[0]&0x0f == 8 && (uint16(body[0])<<8|uint16(body[1]))%31 == 0 {
			zr, err := zlib.NewReader(bytes.NewReader(body))
			if err != nil {
				return nil, false, err
			}
			r = zr
		} else {
			r = flate.NewReader(bytes.NewReader(body))
		}
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "zstd":
		if d.zstd == nil {
			dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(max)))
			if err != nil {
				return nil, false, err
			}
			d.zstd = dec
		}
		if err := d.zstd.Reset(bytes.NewReader(body)); err != nil {
			return nil, false, err
		}
		r = d.zstd
	default:
		return nil, false, fmt.Errorf("unknown content encoding %q", ce)
	}
	if err := copyMax(r); err != nil && d.buf.Len() == 0 {
		return nil, false, fmt.Errorf("content encoding %s: %w", ce, err)
	}
	return append([]byte(nil), d.buf.Bytes()...), cut, nil
}

// looksChunked reports whether body starts with a chunk-size line.
func looksChunked(body []byte) bool {
	i := 0
	for i < len(body) && i < 16 && isHex(body[i]) {
		i++
	}
	return i > 0 && i < len(body) && (body[i] == '\r' || body[i] == '\n' || body[i] == ';' || body[i] == ' ')
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// toUTF8 converts a payload to UTF-8 text. The charset comes from a byte
// order mark, the Content-Type header, or for HTML the meta tag; a body
// that is valid UTF-8 is taken as UTF-8 when nothing is declared or when a
// Latin-1 label is declared (a very common mislabel). Undecodable bytes
// become U+FFFD, and repaired reports that some did. With own set, body
// is the caller's to give away: nothing writes to it afterwards, and
// valid UTF-8 becomes the text without a copy (the payload is most of a
// WARC's bytes).
func toUTF8(body []byte, contentType string, html, own bool) (text string, repaired bool) {
	e, valid := charsetOf(body, contentType, html)
	if e == nil {
		if !valid {
			body = bytes.TrimPrefix(body, utf8BOM)
			valid = utf8.Valid(body)
		}
		switch {
		case !valid:
			return strings.ToValidUTF8(string(body), "\ufffd"), true
		case own && len(body) > 0:
			return unsafe.String(&body[0], len(body)), false
		}
		return string(body), false
	}
	out, err := e.NewDecoder().Bytes(body)
	if err != nil {
		return strings.ToValidUTF8(string(body), "\ufffd"), true
	}
	// Decoders replace what they cannot decode with U+FFFD; one in the
	// text that the body did not spell in UTF-8 is such a repair.
	repaired = bytes.Contains(out, utf8FFFD) && !bytes.Contains(body, utf8FFFD)
	return string(out), repaired
}

var utf8FFFD = []byte("\ufffd")

var utf8BOM = []byte("\ufeff")

func hasBOM(b []byte) bool {
	return len(b) >= 2 && (b[0] == 0xfe && b[1] == 0xff || b[0] == 0xff && b[1] == 0xfe) || bytes.HasPrefix(b, utf8BOM)
}

// charsetOf returns the payload's encoding, nil for UTF-8; valid reports
// that body, which then has no byte order mark, was found to be valid
// UTF-8, so that the caller need not check it again.
func charsetOf(body []byte, contentType string, html bool) (e encoding.Encoding, valid bool) {
	// Fast path: with nothing declared, valid UTF-8 needs no lookup.
	if !html && !strings.Contains(strings.ToLower(contentType), "charset") && !hasBOM(body) && utf8.Valid(body) {
		return nil, true
	}
	e, name, certain := charset.DetermineEncoding(body, contentType)
	if e == nil || name == "utf-8" {
		return nil, false
	}
	if (!certain || name == "windows-1252" || name == "iso-8859-1") && !hasBOM(body) && utf8.Valid(body) {
		return nil, true
	}
	return e, false
}
