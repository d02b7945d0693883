// Package storage is where a run reads its inputs and writes its outputs:
// a local directory or a prefix of an object store (S3 and S3-compatible
// stores such as MinIO and Ceph, Google Cloud Storage, Azure Blob
// Storage) reached through gocloud.dev/blob.
//
// A Bucket names objects by slash-separated paths relative to its root.
// Whatever the backend, an object created with Create appears whole when
// its Writer closes without error and not at all after Abort; List yields
// every object under a prefix, sorted by name; a missing object is
// reported with an error that matches fs.ErrNotExist. Local directories
// use plain os files (the fast path); URLs use gocloud's drivers with
// streaming reads, multipart writes and retries with backoff. See
// README.md for URL forms, parameters and credentials.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Defaults of the options.
const (
	// DefaultPartSize is the part size of multipart uploads: the bytes a
	// blob Writer buffers before sending a part. S3 requires at least
	// 5 MiB for every part but the last.
	DefaultPartSize = 8 << 20
	// DefaultConcurrency is how many parts of one upload are in flight
	// at once. An output run may have one shard open per language, so
	// memory per open Writer ((concurrency+2) × part size on S3) is kept
	// modest.
	DefaultConcurrency = 2
	// DefaultMaxAttempts is how many times an S3 request is tried before
	// its error is returned (the AWS SDK's default is 3, too few for a
	// bucket that throttles a large job with SlowDown).
	DefaultMaxAttempts = 10
	// DefaultMaxBackoff caps the exponential, jittered delay between
	// attempts.
	DefaultMaxBackoff = 20 * time.Second
)

// Option configures Open.
type Option func(*options)

type options struct {
	partSize    int
	concurrency int
	maxAttempts int
	maxBackoff  time.Duration
}

// WithPartSize sets the part size of multipart uploads in bytes (default
// DefaultPartSize). S3 rejects parts under 5 MiB except the last; smaller
// values are raised to 5 MiB for s3:// locations. Local directories
// ignore it.
func WithPartSize(n int) Option { return func(o *options) { o.partSize = n } }

// WithConcurrency sets how many parts of one upload are sent at once
// (default DefaultConcurrency).
func WithConcurrency(n int) Option { return func(o *options) { o.concurrency = n } }

// WithRetry sets how many attempts an S3 request gets (default
// DefaultMaxAttempts) and the largest delay between two of them (default
// DefaultMaxBackoff). Throttling (503 SlowDown, 429), 5xx answers and
// broken connections are retried with exponential, jittered backoff.
// Google Cloud Storage and Azure use their SDKs' own retry policies.
func WithRetry(maxAttempts int, maxBackoff time.Duration) Option {
	return func(o *options) { o.maxAttempts, o.maxBackoff = maxAttempts, maxBackoff }
}

func newOptions(opts []Option) options {
	o := options{partSize: DefaultPartSize, concurrency: DefaultConcurrency,
		maxAttempts: DefaultMaxAttempts, maxBackoff: DefaultMaxBackoff}
	for _, f := range opts {
		f(&o)
	}
	if o.partSize <= 0 {
		o.partSize = DefaultPartSize
	}
	if o.concurrency <= 0 {
		o.concurrency = DefaultConcurrency
	}
	if o.maxAttempts <= 0 {
		o.maxAttempts = DefaultMaxAttempts
	}
	if o.maxBackoff <= 0 {
		o.maxBackoff = DefaultMaxBackoff
	}
	return o
}

// Object is one object (file) listed by Bucket.List.
type Object struct {
	// Name is the object's slash-separated path relative to the bucket.
	Name string
	// Size is the object's size in bytes.
	Size int64
}

// ReaderAt reads an object at random offsets, as Parquet readers need.
// It is safe for concurrent use.
type ReaderAt interface {
	io.ReaderAt
	// Seek supports only finding the size (Seek(0, io.SeekEnd)) and
	// position bookkeeping; reads go through ReadAt.
	io.Seeker
	// Size is the object's size in bytes.
	Size() int64
	io.Closer
}

// Bucket is a local directory or an object-store prefix. Its methods are
// safe for concurrent use.
type Bucket struct {
	loc string // as given to Open
	be  backend
}

// backend is one kind of storage. Names are already checked.
type backend interface {
	join(name string) string
	newReader(ctx context.Context, name string) (io.ReadCloser, error)
	newReaderAt(ctx context.Context, name string) (ReaderAt, error)
	create(ctx context.Context, name string) (writer, error)
	exists(ctx context.Context, name string) (bool, error)
	stat(ctx context.Context, name string) (int64, error)
	remove(ctx context.Context, name string) error
	rename(ctx context.Context, oldname, newname string) error
	list(ctx context.Context, prefix string) ([]Object, error)
	close() error
}

// writer is a backend's open object.
type writer interface {
	io.Writer
	close() error
	abort() error
}

// IsURL reports whether loc names a location by URL (scheme://...) rather
// than by local path.
func IsURL(loc string) bool {
	i := strings.Index(loc, "://")
	if i <= 0 {
		return false
	}
	for j, c := range loc[:i] {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// ErrCredentialsInURL is returned (wrapped) for a location that holds
// credentials (s3://KEY:SECRET@bucket/...).
var ErrCredentialsInURL = errors.New("credentials in a URL are refused: they would be copied into logs, job files and the scheduler's queue; give them through the environment or a profile instead (S3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE; GCS: GOOGLE_APPLICATION_CREDENTIALS; Azure: AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY; see \"Credentials\" in pipeline/storage/README.md)")

// CheckLocation refuses a URL that carries credentials before its bucket
// name: user information (KEY:SECRET@, TOKEN@) or a colon, which no
// bucket or container name holds (an S3 secret key containing '/' ends
// the URL's host early, leaving KEY:SECRE there). The error shows the
// location with everything up to its last '@' hidden (Redact), never the
// credentials. Paths and file URLs pass.
func CheckLocation(loc string) error {
	if !IsURL(loc) {
		return nil
	}
	scheme, rest, _ := strings.Cut(loc, "://")
	if strings.EqualFold(scheme, "file") {
		return nil
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if strings.ContainsAny(authority, "@:") {
		return fmt.Errorf("storage: %s: %w", Redact(loc), ErrCredentialsInURL)
	}
	return nil
}

// Redact returns loc with what may be credentials hidden: everything
// between "://" and the last '@' before any query, or all after "://"
// when the host holds a colon but no '@' follows. Other locations are
// returned as they are.
func Redact(loc string) string {
	if !IsURL(loc) {
		return loc
	}
	scheme, rest, _ := strings.Cut(loc, "://")
	end := len(rest)
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		end = i
	}
	if i := strings.LastIndexByte(rest[:end], '@'); i >= 0 {
		return scheme + "://REDACTED@" + rest[i+1:]
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if strings.Contains(authority, ":") {
		// KEY:SECRET without an '@': where the secret ends is unknown.
		return scheme + "://REDACTED"
	}
	return loc
}

// Open returns the Bucket at loc:
//
//	/data/out, out               a local directory (need not exist yet)
//	file:///data/out             the same, as a URL
//	s3://bucket/prefix?region=eu-west-1&endpoint=http://host:9000&use_path_style=true
//	gs://bucket/prefix
//	azblob://container/prefix
//	mem://name/prefix            in-process memory, shared by name (tests)
//
// The URL's path is a prefix inside the bucket: s3://b/runs/1 holds
// the object "x" at key "runs/1/x". Credentials come from each cloud's
// standard environment (see README.md). Open does not contact the store;
// the first operation does.
func Open(ctx context.Context, loc string, opts ...Option) (*Bucket, error) {
	o := newOptions(opts)
	if !IsURL(loc) {
		if loc == "" {
			return nil, errors.New("storage: empty location")
		}
		return &Bucket{loc: loc, be: newLocal(loc, loc, false)}, nil
	}
	if err := CheckLocation(loc); err != nil {
		return nil, err
	}
	u, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "file" {
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("storage: %s: file URLs name a local path (file:///abs/path), not host %q", loc, u.Host)
		}
		if len(u.Query()) > 0 {
			return nil, fmt.Errorf("storage: %s: file URLs take no parameters", loc)
		}
		return &Bucket{loc: loc, be: newLocal(loc, filepath.FromSlash(u.Path), true)}, nil
	}
	be, err := openBlob(ctx, loc, u, o)
	if err != nil {
		return nil, err
	}
	return &Bucket{loc: loc, be: be}, nil
}

// String returns the location as given to Open.
func (b *Bucket) String() string { return b.loc }

// Join returns the location of name inside the bucket, in the form the
// bucket was given (a local path for a directory, a URL otherwise), for
// messages and input file names.
func (b *Bucket) Join(name string) string { return b.be.join(name) }

// checkName rejects names that could leave the bucket's root or that no
// store accepts.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty object name")
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("object name %q is absolute", name)
	case strings.HasSuffix(name, "/"):
		return fmt.Errorf("object name %q ends with a slash", name)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("object name %q holds a NUL byte", name)
	}
	for el := range strings.SplitSeq(name, "/") {
		if el == "" || el == "." || el == ".." {
			return fmt.Errorf("object name %q has an empty, '.' or '..' element", name)
		}
	}
	return nil
}

// fail wraps err with the location of name; a missing object also
// matches fs.ErrNotExist.
func (b *Bucket) fail(name string, err error) error {
	if err == nil {
		return nil
	}
	if name == "" {
		return fmt.Errorf("%s: %w", b.loc, err)
	}
	return fmt.Errorf("%s: %w", b.be.join(name), err)
}

// NewReader opens name for streaming reads.
func (b *Bucket) NewReader(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkName(name); err != nil {
		return nil, b.fail(name, err)
	}
	r, err := b.be.newReader(ctx, name)
	return r, b.fail(name, err)
}

// NewReaderAt opens name for reads at random offsets (ranged GETs on
// object stores, one per ReadAt).
func (b *Bucket) NewReaderAt(ctx context.Context, name string) (ReaderAt, error) {
	if err := checkName(name); err != nil {
		return nil, b.fail(name, err)
	}
	r, err := b.be.newReaderAt(ctx, name)
	return r, b.fail(name, err)
}

// Writer writes one object. It is not safe for concurrent use.
type Writer struct {
	b    *Bucket
	name string
	w    writer
	err  error
	done bool
}

// Create opens name for writing. The object appears, whole, when Close
// returns nil, replacing any object of that name; until then, and after
// Abort, readers see the old object or none. Local directories write a
// hidden temporary file in the same directory and rename it; object
// stores upload in parts (multipart) as data arrives.
func (b *Bucket) Create(ctx context.Context, name string) (*Writer, error) {
	if err := checkName(name); err != nil {
		return nil, b.fail(name, err)
	}
	w, err := b.be.create(ctx, name)
	if err != nil {
		return nil, b.fail(name, err)
	}
	return &Writer{b: b, name: name, w: w}, nil
}

// Write writes p to the object. After an error the Writer is unusable:
// call Abort.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.done {
		return 0, w.b.fail(w.name, errors.New("write after close"))
	}
	n, err := w.w.Write(p)
	if err != nil {
		w.err = w.b.fail(w.name, err)
	}
	return n, w.err
}

// Close completes the object and makes it visible. If it fails, nothing
// new is visible.
func (w *Writer) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.err != nil {
		w.w.abort()
		return w.err
	}
	w.err = w.b.fail(w.name, w.w.close())
	return w.err
}

// Abort discards what was written: the object does not appear. After
// Close it does nothing.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	if w.err == nil {
		w.err = w.b.fail(w.name, errors.New("aborted"))
	}
	return w.b.fail(w.name, w.w.abort())
}

// ReadFile returns the contents of the small object name.
func (b *Bucket) ReadFile(ctx context.Context, name string) ([]byte, error) {
	r, err := b.NewReader(ctx, name)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, b.fail(name, err)
	}
	return data, nil
}

// WriteFile writes data as the object name, atomically: a reader sees the
// old contents or the new ones, never a part.
func (b *Bucket) WriteFile(ctx context.Context, name string, data []byte) error {
	w, err := b.Create(ctx, name)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// Exists reports whether the object name exists.
func (b *Bucket) Exists(ctx context.Context, name string) (bool, error) {
	if err := checkName(name); err != nil {
		return false, b.fail(name, err)
	}
	ok, err := b.be.exists(ctx, name)
	return ok, b.fail(name, err)
}

// Stat returns the object name with its size.
func (b *Bucket) Stat(ctx context.Context, name string) (Object, error) {
	if err := checkName(name); err != nil {
		return Object{}, b.fail(name, err)
	}
	size, err := b.be.stat(ctx, name)
	if err != nil {
		return Object{}, b.fail(name, err)
	}
	return Object{Name: name, Size: size}, nil
}

// Remove deletes the object name; a missing object is not an error.
func (b *Bucket) Remove(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return b.fail(name, err)
	}
	return b.fail(name, b.be.remove(ctx, name))
}

// Rename moves oldname to newname, replacing newname. Locally it is
// os.Rename, atomic, with the directory synced; on object stores it is a
// server-side copy followed by a delete, so newname appears whole but
// oldname may briefly exist too.
func (b *Bucket) Rename(ctx context.Context, oldname, newname string) error {
	if err := checkName(oldname); err != nil {
		return b.fail(oldname, err)
	}
	if err := checkName(newname); err != nil {
		return b.fail(newname, err)
	}
	if err := b.be.rename(ctx, oldname, newname); err != nil {
		return fmt.Errorf("rename %s to %s: %w", b.be.join(oldname), newname, err)
	}
	return nil
}

// List yields every object whose name starts with prefix ("" for all,
// "lang=en/" for a directory), recursively, sorted by name. Local
// in-progress writes (Create before Close) are not listed. An error ends
// the iteration.
func (b *Bucket) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		if strings.HasPrefix(prefix, "/") || strings.Contains("/"+prefix, "/../") {
			yield(Object{}, b.fail("", fmt.Errorf("list prefix %q leaves the bucket", prefix)))
			return
		}
		objs, err := b.be.list(ctx, prefix)
		if err != nil {
			yield(Object{}, b.fail(prefix, err))
			return
		}
		for _, o := range objs {
			if !yield(o, nil) {
				return
			}
		}
	}
}

// Close releases the bucket's connections.
func (b *Bucket) Close() error { return b.fail("", b.be.close()) }

// notExist marks err as a missing object while keeping its message.
func notExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return &notExistError{err}
}

type notExistError struct{ err error }

func (e *notExistError) Error() string   { return e.err.Error() }
func (e *notExistError) Unwrap() []error { return []error{fs.ErrNotExist, e.err} }

// joinURL appends name to a URL location. The query (endpoint, region)
// is left out: the result names the object in messages and the source
// column, while the Bucket keeps the parameters to reach it.
func joinURL(loc, name string) string {
	base, _, _ := strings.Cut(loc, "?")
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base + name
}

// cleanPrefix turns a URL path into a key prefix: "" or "a/b/".
func cleanPrefix(p string) string {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return ""
	}
	return p + "/"
}
