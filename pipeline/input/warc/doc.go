// Package warc reads WARC 1.0/1.1 files (ISO 28500) and their WET
// derivatives as pipeline sources.
//
// # Records
//
// A response record carrying an HTTP response with status 2xx and an HTML
// (text/html, application/xhtml+xml) or plain-text payload becomes a
// document: the HTTP transfer coding (chunked) and content coding (gzip,
// deflate, br, zstd) are undone, the charset (byte order mark, HTTP header,
// HTML meta tag, else UTF-8 when valid, else windows-1252) is converted to
// UTF-8, and the document gets
//
//	ID    WARC-Record-ID, as written ("<urn:uuid:...>")
//	URL   WARC-Target-URI
//	Date  WARC-Date
//	Text  the decoded payload: HTML for HTML, text for text
//
// and the fields date (RFC 3339), content_type (the payload's media type
// without parameters) and, for HTTP responses, http_status. A resource
// record and a WET conversion record become documents the same way,
// without HTTP. Every other record is yielded as a *pipeline.RecordError
// with Skip set and a reason: its WARC-Type (warcinfo, request, metadata,
// revisit, continuation), other_type, non_text (images, PDFs, DNS
// records), status_NNN (non-2xx), too_large (a block over
// Options.MaxRecordBytes). A response whose HTTP head cannot be parsed is
// bad_http, one whose content coding cannot be undone bad_encoding; both
// are counted as errored.
//
// # Compression and damage
//
// The stored bytes may be plain, gzip with one member per record (the WARC
// convention) or one member for the whole file, zstd (with the dictionary
// frame of the .warc.zst convention) or bzip2; the package detects which
// from the first bytes so that it can resynchronise after damage itself:
//
//   - garbage between records is skipped to the next line starting
//     "WARC/<digit>";
//   - a Content-Length that does not end the record (the stream does not go
//     on with blank lines and a new record) is corrected to the next
//     record's start: the record is kept and the lie reported; one beyond
//     Options.MaxRecordBytes (10^15, say) is skipped only up to the first
//     well-formed WARC header inside the declared block, where reading
//     resumes (the record is damaged_record), so it cannot swallow the
//     records after it;
//   - a damaged or truncated gzip member is reported, and reading goes on
//     at the next gzip member, searched from just after the damaged
//     member's start, whose output begins a WARC record; a record whose
//     bytes came from a damaged member is never trusted.
//
// Each damage is a *pipeline.FileError with Recovered set, naming the
// file, the decoded offset and the records read so far; a record it cut
// is a *pipeline.RecordError with reason damaged_record. A FileError
// without Recovered comes only when nothing after the damage can be read
// (a truncated end, damaged zstd or bzip2 data, which have no resync
// // point the decoder exposes, trailing garbage, the decompressed size
// bound). Header size, block size, decoded HTTP body (cut, kept and named
// "truncated_body" in Record.Repaired), the zstd window (2 GiB) and what
// a compressed file decompresses to (1000 times its stored size, at least
// 1 GiB) are bounded (Options) so hostile input cannot exhaust memory or
// time; a cancelled context ends Records within one read; everything runs in time linear in the input, the only
// rescanning being bounded by a fixed window.
//
// # Why a reader of its own
//
// The Go WARC libraries were evaluated against what a curation run needs:
// keep every intact record of a damaged file, and read fast.
//
//   - github.com/internetarchive/gowarc (the maintained successor of
//     github.com/CorentinB/warc) is built for writing WARCs from a crawler:
//     its module pulls in a DNS client, uTLS, SOCKS and a cache. Its
//     ReadRecord reads through one multistream decompressor and returns an
//     error on a bad Content-Length or end-of-record marker with no way to
//     resynchronise: the stream position after the error is undefined, and
//     gzip member boundaries are invisible, so a truncated member loses the
//     rest of the file. Record content is spooled through a temporary-file
//     abstraction per record.
//   - github.com/nlnwa/gowarc is a careful validator (digests, field
//     syntax) that resynchronises by discarding one byte at a time until
//     "WARC/" or a gzip magic number, without checking that the candidate
//     is a real member, and cannot go back into a member the inflater has
//     overrun; it allocates readers per record and checks digests we do not
//     need.
//
// Neither resynchronises the way input_errors promises, and neither
// decodes HTTP payloads to text. This package is therefore a small reader
// of its own over klauspost/compress (gzip, zstd), andybalholm/brotli and
// golang.org/x/net/html/charset; the hot path (line and block reads,
// header fields) is hand-written because it runs once per record of
// terabyte crawls, and allocates only the document's text.
package warc
