// Package input finds input files and reads them as pipeline sources.
//
// List (Expand without options) turns command-line arguments (files,
// directories, globs, storage URLs, pipes) into a sorted file list:
// directories are walked with Options.Include and Options.Exclude, a
// winnow output gives its kept shards only, and entries that cannot be
// examined (dangling links, loops, unreadable directories) are listed as
// damaged. OpenFiles makes a pipeline.Source of each file (Open, for one),
// turning a file that cannot be read into a source reporting it; every
// command that reads inputs goes through these two. Open detects a file's
// compression and format from its first bytes, then its name, and skips
// binary files (images, archives, executables, fonts, ...; see Open):
//
//   - JSON Lines (.jsonl, .json, .ndjson; or any file whose first
//     non-space byte is '{'): one object per line. The reader only splits
//     lines; the engine's workers decode them (the source is a
//     pipeline.Decoder), with a validating scanner that finds the fields
//     without building a map of the record.
//   - JSON arrays of records (a .json, .jsonl or .ndjson file whose first
//     non-space byte is '['), as many instruction-tuning sets are
//     published, and pretty-printed JSON objects (a first line that is
//     not a JSON object of its own, followed by one that does not start
//     another): split into elements or objects by their brackets while
//     reading, decoded like lines, so a bad element is one bad record.
//   - Parquet (.parquet, or the magic "PAR1"): read record batch by record
//     batch, one document per row.
//   - Text (.txt, and anything not recognised): the whole file is one
//     document.
//
// Compression is gzip (multi-member), zstd or bzip2 (multi-stream),
// recognised by magic bytes and by the .gz, .zst and .bz2 extensions;
// compressed Parquet is refused (Parquet compresses its own pages).
//
// Options map record fields to the document: the text, by default the
// field "text", may be the join of several fields or of a conversation's
// turns; the id, url and date come from fields of those names unless told
// otherwise, all by dotted paths into nested objects or struct columns.
// Every other field of the record passes through, as its raw JSON, to
// Document.Fields and so to the output, except those named like the
// output's own columns (id, text, url, lang, lang_score, source), which
// are produced from the document.
//
// A pipe, a device or standard input is a stream: opened once, its first
// bytes peeked at for detection, read once; waiting for it and reading it
// end when the context given to OpenContext is done.
//
// Readers never panic on bad input and hold at most one record (bounded
// by Options.MaxRecordBytes) besides their buffers. What a compressed
// file may decompress to is bounded (Options.MaxDecodedBytes, by default
// 1000 times its stored size, at least 1 GiB), as is the zstd window
// (Options.MaxZstdWindow, 2 GiB); past either the file ends in a
// *pipeline.FileError that names the bound. Every read loop stops within
// one read once the context of Records is cancelled. A bad record is a
// *pipeline.RecordError with a reason (malformed_json, not_an_object,
// missing_text, record_too_large) and reading goes on; a damaged file
// (truncated gzip, garbage after zstd frames, an I/O error) ends in a
// *pipeline.FileError after every intact record before the damage; a
// corrupt Parquet page loses its own row group only (a recovered
// *pipeline.FileError naming the group and row).
package input
