package input

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"strings"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/input/warc"
	"github.com/winnow-data/winnow/pipeline/storage"
)

// File is one input file found by Expand.
type File struct {
	// Path is the file's path, or for object storage its URL without
	// the query (s3://bucket/key), as messages and the source column
	// name it.
	Path string
	Size int64 // bytes in storage
	// Bucket and Name locate a file in object storage (Path is then
	// Bucket.Join(Name)); Bucket is nil for a local file. Open also
	// reaches a URL Path without them, through the parameters in its
	// query or the environment.
	Bucket *storage.Bucket
	Name   string
	// Err is set for an entry that List found but could not examine (a
	// dangling symbolic link, a loop of links, a directory that cannot
	// be read): Open reports it as a damaged file.
	Err error
}

// input is what a format needs to make a source of one file.
type input struct {
	file   File
	codec  *codec // nil: stored uncompressed
	fields *fieldMap
	limits limits
}

// openStored opens the file as stored (compressed or not), for formats
// that do their own decompression.
func (in *input) openStored() (io.ReadCloser, error) { return openFile(in.file.Path) }

// format is one record format. Detection tries every format's magic on
// the decoded head of the file, then every format's extensions (after the
// compression extension), then sniffs JSON, then falls back to text.
type format struct {
	name  string
	exts  []string
	magic func(head []byte) bool // nil: extension only
	open  func(in *input) (pipeline.Source, error)
}

var formats = []format{
	{name: "parquet", exts: []string{".parquet", ".pq"}, magic: prefix("PAR1"), open: openParquet},
	{name: "warc", exts: []string{".warc", ".wet", ".wat"}, magic: prefix("WARC/1."), open: openWARC},
	{name: "jsonl", exts: []string{".jsonl", ".json", ".ndjson", ".jsonlines"}, open: openJSONL},
	{name: "text", exts: []string{".txt", ".text"}, open: openText},
}

func prefix(p string) func([]byte) bool {
	return func(head []byte) bool { return bytes.HasPrefix(head, []byte(p)) }
}

// openWARC hands the stored bytes, compressed as they are, to the WARC
// reader: it resynchronises at the next gzip member after damage, which a
// decompressed stream would hide.
func openWARC(in *input) (pipeline.Source, error) {
	return warc.NewSourceOptions(in.file.Path, in.file.Size, in.openStored, warc.Options{
		MaxWindow: uint64(in.fields.zstdWindow), MaxDecodedBytes: in.fields.maxDecoded,
	}), nil
}

func openJSONL(in *input) (pipeline.Source, error) { return &jsonlSource{in: in}, nil }

// Open returns the Source for file f. It reads the first bytes of the file
// to detect its compression and format (magic bytes first, extension
// second) and keeps no file open: each Records call opens the file anew,
// so a source can be read once per pass. A stream (a pipe, a device,
// standard input: see List) is the exception: it is opened here, its first
// bytes looked at without consuming them, and it can be read once.
//
// A file whose decoded start is that of a binary format (an image, an
// archive, an executable, a font, ...) or, when it has no recognised
// record format, is not text (a NUL byte, mostly control bytes or invalid
// UTF-8) holds no documents: its source yields one *pipeline.RecordError
// with Skip set, Index -1 and Reason SkipBinary, naming the format.
//
// An error that concerns the file (it cannot be opened, its format is not
// supported, it is compressed Parquet, List could not examine it) is a
// *pipeline.FileError; Failed turns it into a source that reports it, for
// callers that list such files with the run's input errors rather than
// stop. Any other error is a problem with opts.
func Open(f File, opts Options) (pipeline.Source, error) {
	return OpenContext(context.Background(), f, opts)
}

// OpenContext is Open with a context, which ends waiting for a pipe's
// writer and reading a stream.
func OpenContext(ctx context.Context, f File, opts Options) (pipeline.Source, error) {
	fields, err := compile(opts)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (pipeline.Source, error) {
		return nil, &pipeline.FileError{File: f.Path, Err: err}
	}
	if f.Err != nil {
		return fail(f.Err)
	}
	register(f)
	stream, err := holdStream(ctx, f.Path)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return fail(err)
	}
	lim := fields.limitsFor(f.Size)
	stored, err := readHead(f.Path, nil, lim)
	if ctx.Err() != nil {
		return nil, ctx.Err() // waiting for a stream's first bytes
	}
	if err != nil {
		return fail(err)
	}
	in := &input{file: f, fields: fields, codec: detectCodec(stored, f.Path), limits: lim}
	head := stored
	name := f.Path
	if in.codec != nil {
		if hasSuffixFold(name, in.codec.ext) {
			name = name[:len(name)-len(in.codec.ext)]
		}
		// A head that does not decode (damage at the very start) leaves
		// detection to the extension; Records then reports the damage.
		head, _ = readHead(f.Path, in.codec, lim)
	}
	if !formatMagic(head) {
		if kind := binaryKind(head); kind != "" {
			return &skippedFile{f: f, why: kind}, nil
		}
	}
	fm := detectFormat(head, name)
	if fm.name == "text" {
		if why := notText(head); why != "" {
			return &skippedFile{f: f, why: "not text: " + why}, nil
		}
	}
	if fm.name == "parquet" && in.codec != nil {
		return fail(errors.New("compressed Parquet is not supported: decompress it first (Parquet compresses its pages itself)"))
	}
	if fm.name == "parquet" && stream {
		return fail(errors.New("Parquet cannot be read from a pipe or device (its index is at the end of the file): save it to a file first"))
	}
	if fm.name == "jsonl" {
		// By content: a JSON array, or pretty-printed objects, are read
		// as JSON documents; one object per line as JSON Lines.
		h := bytes.TrimPrefix(head, utf8BOM)
		if i := skipWS(h, 0); i < len(h) && h[i] == '[' {
			return &jsonDocSource{jsonlSource: jsonlSource{in: in}, array: true}, nil
		} else if i < len(h) && h[i] == '{' && multiLineJSON(h[i:]) {
			return &jsonDocSource{jsonlSource: jsonlSource{in: in}}, nil
		}
	}
	src, err := fm.open(in)
	if err != nil {
		return fail(err)
	}
	return src, nil
}

// formatMagic reports whether head starts like a record format that has
// magic bytes (Parquet, WARC): such a file is never binary junk, whatever
// its payload.
func formatMagic(head []byte) bool {
	for i := range formats {
		if formats[i].magic != nil && formats[i].magic(head) {
			return true
		}
	}
	return false
}

// readHead returns up to sniffSize decoded bytes from the start of the
// file, without consuming a held stream's.
func readHead(path string, c *codec, lim limits) ([]byte, error) {
	if h := heldStream(path); h != nil {
		return h.head(c)
	}
	st, err := openStream(context.Background(), path, c, lim)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	head := make([]byte, sniffSize)
	n, err := io.ReadFull(st, head)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return head[:n], err
}

func detectFormat(head []byte, name string) *format {
	for i := range formats {
		if formats[i].magic != nil && formats[i].magic(head) {
			return &formats[i]
		}
	}
	for i := range formats {
		for _, ext := range formats[i].exts {
			if hasSuffixFold(name, ext) {
				return &formats[i]
			}
		}
	}
	// A file of unknown name whose first non-space byte opens a JSON
	// object is JSON Lines; anything else is one text document.
	h := bytes.TrimPrefix(head, utf8BOM)
	if i := skipWS(h, 0); i < len(h) && h[i] == '{' {
		return formatNamed("jsonl")
	}
	return formatNamed("text")
}

func formatNamed(name string) *format {
	for i := range formats {
		if formats[i].name == name {
			return &formats[i]
		}
	}
	panic("input: no format " + name)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// Failed returns a source whose Records yields err, which concerns file
// f, as a *pipeline.FileError: the engine then lists the file with the
// run's input errors and goes on.
func Failed(f File, err error) pipeline.Source {
	var fe *pipeline.FileError
	if !errors.As(err, &fe) {
		fe = &pipeline.FileError{File: f.Path, Err: err}
	}
	return &failed{f: f, err: fe}
}

type failed struct {
	f   File
	err *pipeline.FileError
}

func (s *failed) Name() string { return s.f.Path }
func (s *failed) Size() int64  { return s.f.Size }
func (s *failed) Records(context.Context) iter.Seq2[pipeline.Record, error] {
	return func(yield func(pipeline.Record, error) bool) { yield(pipeline.Record{}, s.err) }
}

// OpenFiles opens every file for reading with OpenContext. A file that
// cannot be read (a *pipeline.FileError: unreadable, unsupported, found
// damaged by List) becomes a source that reports it (Failed), so the
// run lists it with its input errors, exits 3 and reads the rest; the
// error returned is about opts, or ctx's when it is done.
func OpenFiles(ctx context.Context, files []File, opts Options) ([]pipeline.Source, error) {
	sources := make([]pipeline.Source, 0, len(files))
	for _, f := range files {
		src, err := OpenContext(ctx, f, opts)
		var fe *pipeline.FileError
		if errors.As(err, &fe) {
			src, err = Failed(f, err), nil
		}
		if err != nil {
			return nil, err
		}
		sources = append(sources, src)
	}
	return sources, nil
}
