package storage

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob:// through the default URL mux
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
	"gocloud.dev/gcp"
)

// blobStore is a prefix of a gocloud bucket.
type blobStore struct {
	loc    string
	bkt    *blob.Bucket
	prefix string // "" or ends with "/"
	opts   options
	shared bool // mem:// buckets outlive the Bucket
	// beforeWrite adjusts a driver's writer (see openS3).
	beforeWrite func(func(any) bool) error
}

// memBuckets holds the mem:// buckets by name, so that every Open of
// mem://name in the process sees the same objects (as two handles of one
// store would).
var memBuckets = struct {
	sync.Mutex
	m map[string]*blob.Bucket
}{m: map[string]*blob.Bucket{}}

func openBlob(ctx context.Context, loc string, u *url.URL, o options) (*blobStore, error) {
	q := u.Query()
	if v := q.Get("part_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("storage: %s: part_size %q is not a positive number of bytes", loc, v)
		}
		o.partSize = n
	}
	q.Del("part_size")
	if u.Host == "" {
		return nil, fmt.Errorf("storage: %s: no bucket name (want %s://bucket/prefix)", loc, u.Scheme)
	}
	s := &blobStore{loc: loc, prefix: cleanPrefix(u.Path), opts: o}
	var err error
	switch scheme := strings.ToLower(u.Scheme); scheme {
	case "mem":
		if len(q) > 0 {
			return nil, fmt.Errorf("storage: %s: mem URLs take no parameters but part_size", loc)
		}
		memBuckets.Lock()
		b := memBuckets.m[u.Host]
		if b == nil {
			b = memblob.OpenBucket(&memblob.Options{NoMD5: true})
			memBuckets.m[u.Host] = b
		}
		memBuckets.Unlock()
		s.bkt, s.shared = b, true
	case "s3":
		s.bkt, s.beforeWrite, err = openS3(ctx, u.Host, q, o)
		if o.partSize < minS3PartSize {
			s.opts.partSize = minS3PartSize
		}
	case "gs", "azblob":
		// The drivers' URL openers read each cloud's standard
		// environment; the bucket is opened without the prefix, which
		// this package applies itself.
		bu := &url.URL{Scheme: scheme, Host: u.Host, RawQuery: q.Encode()}
		if scheme == "gs" && os.Getenv("STORAGE_EMULATOR_HOST") == "" && os.Getenv("STORAGE_EMULATOR_HOST_GRPC") == "" {
			s.bkt, err = openGCS(ctx, bu)
		} else {
			s.bkt, err = blob.OpenBucket(ctx, bu.String())
		}
	default:
		return nil, fmt.Errorf("storage: %s: unsupported scheme %q (want s3, gs, azblob, file or mem)", loc, u.Scheme)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: %s: %w", loc, err)
	}
	return s, nil
}

// openGCS loads Google's default credentials itself: gcsblob's default
// opener prints a warning on standard output when there are none, which
// would corrupt a command's output (dupstats --json) when reading a
// public bucket anonymously.
func openGCS(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	o := &gcsblob.URLOpener{}
	if q := u.Query(); q.Get("anonymous") == "true" || q.Get("access_id") == "-" {
		// A public bucket: no credentials are looked for.
		o.Client = gcp.NewAnonymousHTTPClient(gcp.DefaultTransport())
		return o.OpenBucketURL(ctx, u)
	}
	creds, err := gcp.DefaultCredentials(ctx)
	if err != nil {
		return nil, fmt.Errorf("Google Cloud credentials (set GOOGLE_APPLICATION_CREDENTIALS, or anonymous=true for a public bucket): %w", err)
	}
	if o.Client, err = gcp.NewHTTPClient(gcp.DefaultTransport(), gcp.CredentialsTokenSource(creds)); err != nil {
		return nil, err
	}
	return o.OpenBucketURL(ctx, u)
}

func (s *blobStore) key(name string) string { return s.prefix + name }

func (s *blobStore) join(name string) string { return joinURL(s.loc, name) }

// wrap marks a missing object so that errors.Is(err, fs.ErrNotExist).
func wrap(err error) error {
	if err != nil && gcerrors.Code(err) == gcerrors.NotFound {
		return notExist(err)
	}
	return err
}

func (s *blobStore) newReader(ctx context.Context, name string) (io.ReadCloser, error) {
	r, err := s.bkt.NewReader(ctx, s.key(name), nil)
	if err != nil {
		return nil, wrap(err)
	}
	return &resumingReader{ctx: ctx, s: s, key: s.key(name), cur: r, size: r.Size(), mod: r.ModTime()}, nil
}

// maxResumes bounds how often one streaming read reopens its object.
const maxResumes = 10

// resumingReader streams an object and, when the connection breaks
// midway (the SDK retries requests, not the reading of a body), asks for
// the rest from the offset reached, with backoff: a reset an hour into a
// large crawl file costs a request, not the file.
type resumingReader struct {
	ctx     context.Context
	s       *blobStore
	key     string
	cur     *blob.Reader // nil after a failure
	off     int64
	size    int64
	mod     time.Time
	resumes int
}

func (r *resumingReader) Read(p []byte) (int, error) {
	for {
		if r.cur == nil {
			if err := r.reopen(); err != nil {
				return 0, err
			}
		}
		n, err := r.cur.Read(p)
		r.off += int64(n)
		if err == nil || err == io.EOF || r.ctx.Err() != nil || r.resumes >= maxResumes {
			return n, err
		}
		r.cur.Close()
		r.cur = nil
		if n > 0 {
			return n, nil
		}
	}
}

func (r *resumingReader) reopen() error {
	r.resumes++
	delay := min(r.s.opts.maxBackoff, time.Duration(50<<min(r.resumes, 12))*time.Millisecond)
	select {
	case <-time.After(delay):
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
	if r.off >= r.size {
		// Everything was read: the failure was at the very end.
		r.cur = nil
		return io.EOF
	}
	rr, err := r.s.bkt.NewRangeReader(r.ctx, r.key, r.off, -1, nil)
	if err != nil {
		return fmt.Errorf("byte %d: resume: %w", r.off, wrap(err))
	}
	if rr.Size() != r.size || !rr.ModTime().Equal(r.mod) {
		rr.Close()
		return fmt.Errorf("byte %d: the object changed while it was read", r.off)
	}
	r.cur = rr
	return nil
}

func (r *resumingReader) Close() error {
	if r.cur == nil {
		return nil
	}
	return r.cur.Close()
}

func (s *blobStore) newReaderAt(ctx context.Context, name string) (ReaderAt, error) {
	attrs, err := s.bkt.Attributes(ctx, s.key(name))
	if err != nil {
		return nil, wrap(err)
	}
	return &blobReaderAt{ctx: ctx, bkt: s.bkt, key: s.key(name), size: attrs.Size, maxBackoff: s.opts.maxBackoff}, nil
}

// blobReaderAt reads by ranged GETs, one per ReadAt: Parquet readers ask
// for the footer, then for whole column chunks, so requests are few and
// large.
type blobReaderAt struct {
	ctx  context.Context
	bkt  *blob.Bucket
	key  string
	size int64
	// maxBackoff caps the wait before reading a broken range again.
	maxBackoff time.Duration

	mu  sync.Mutex
	pos int64 // for Seek
}

func (r *blobReaderAt) Size() int64 { return r.size }

func (r *blobReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("negative offset %d", off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.size-off)
	if want == 0 {
		return 0, nil
	}
	var n int
	var err error
	for attempt := 1; ; attempt++ {
		var broken bool
		n, broken, err = r.readRange(p[:want], off)
		if err == nil || !broken || r.ctx.Err() != nil || attempt > maxResumes {
			break
		}
		// A broken body: the SDK retried the request, not the read.
		select {
		case <-time.After(min(r.maxBackoff, time.Duration(50<<min(attempt, 12))*time.Millisecond)):
		case <-r.ctx.Done():
		}
	}
	if err != nil {
		return n, err
	}
	if int64(n) < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// readRange fills p from offset off with one ranged request. broken
// reports an error while reading the body, after the request succeeded
// (the SDK has already retried failed requests).
func (r *blobReaderAt) readRange(p []byte, off int64) (n int, broken bool, err error) {
	rr, err := r.bkt.NewRangeReader(r.ctx, r.key, off, int64(len(p)), nil)
	if err != nil {
		return 0, false, wrap(err)
	}
	n, err = io.ReadFull(rr, p)
	rr.Close()
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = fmt.Errorf("byte %d: %w", off+int64(n), io.ErrUnexpectedEOF)
	}
	return n, err != nil, err
}

func (r *blobReaderAt) Seek(offset int64, whence int) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, fmt.Errorf("seek: bad whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek: negative position %d", offset)
	}
	r.pos = offset
	return offset, nil
}

func (r *blobReaderAt) Close() error { return nil }

func (s *blobStore) create(ctx context.Context, name string) (writer, error) {
	// Cancelling the writer's context before Close is gocloud's way to
	// abandon an upload: the multipart upload is aborted and no object
	// appears.
	ctx, cancel := context.WithCancel(ctx)
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w, err := s.bkt.NewWriter(ctx, s.key(name), &blob.WriterOptions{
		BufferSize:     s.opts.partSize,
		MaxConcurrency: s.opts.concurrency,
		ContentType:    ctype,
		BeforeWrite:    s.beforeWrite,
	})
	if err != nil {
		cancel()
		return nil, wrap(err)
	}
	return &blobWriter{w: w, cancel: cancel}, nil
}

type blobWriter struct {
	w      *blob.Writer
	cancel context.CancelFunc
}

func (w *blobWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w *blobWriter) close() error {
	defer w.cancel()
	return w.w.Close()
}

func (w *blobWriter) abort() error {
	w.cancel()
	w.w.Close() // reports the cancellation; nothing was written
	return nil
}

func (s *blobStore) exists(ctx context.Context, name string) (bool, error) {
	return s.bkt.Exists(ctx, s.key(name))
}

func (s *blobStore) stat(ctx context.Context, name string) (int64, error) {
	a, err := s.bkt.Attributes(ctx, s.key(name))
	if err != nil {
		return 0, wrap(err)
	}
	return a.Size, nil
}

func (s *blobStore) remove(ctx context.Context, name string) error {
	err := s.bkt.Delete(ctx, s.key(name))
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return err
}

func (s *blobStore) rename(ctx context.Context, oldname, newname string) error {
	if err := s.bkt.Copy(ctx, s.key(newname), s.key(oldname), nil); err != nil {
		return wrap(err)
	}
	return s.remove(ctx, oldname)
}

func (s *blobStore) list(ctx context.Context, prefix string) ([]Object, error) {
	var out []Object
	it := s.bkt.List(&blob.ListOptions{Prefix: s.key(prefix)})
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		// Consoles create "folder/" placeholder objects; they hold no
		// data and have no name inside the bucket.
		if o.IsDir || strings.HasSuffix(o.Key, "/") {
			continue
		}
		name, ok := strings.CutPrefix(o.Key, s.prefix)
		if !ok || checkName(name) != nil {
			continue
		}
		out = append(out, Object{Name: name, Size: o.Size})
	}
	// Stores list in key order already; sorting makes it a guarantee.
	byName := func(a, b Object) int { return strings.Compare(a.Name, b.Name) }
	if !slices.IsSortedFunc(out, byName) {
		slices.SortFunc(out, byName)
	}
	return out, nil
}

func (s *blobStore) close() error {
	if s.shared {
		return nil
	}
	return s.bkt.Close()
}
