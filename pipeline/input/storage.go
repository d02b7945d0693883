package input

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	upath "path"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/winnow-data/winnow/pipeline/storage"
)

// Inputs in object storage. Expand lists a URL argument through a
// storage.Bucket and gives each object a File whose Path is its URL
// (without the query, so messages and the source column stay readable)
// and whose Bucket and Name reach it. The readers open files by Path, so
// every URL file is recorded here by Path; a URL met without that record
// is reached with the parameters in its own query, or the environment.

// remote is the bucket and object name of a URL file.
type remote struct {
	bucket *storage.Bucket
	name   string
}

var (
	remotes sync.Map // File.Path → remote

	rootsMu sync.Mutex
	roots   = map[string]*storage.Bucket{} // "scheme://host?query" → bucket at its root
)

// register records where the URL file f is stored.
func register(f File) {
	if f.Bucket != nil {
		remotes.Store(f.Path, remote{f.Bucket, f.Name})
	}
}

// rootBucket returns the (shared, never closed) bucket at the root of
// the URL u's store.
func rootBucket(ctx context.Context, u *url.URL) (*storage.Bucket, error) {
	root := (&url.URL{Scheme: u.Scheme, Host: u.Host, RawQuery: u.RawQuery}).String()
	rootsMu.Lock()
	defer rootsMu.Unlock()
	if b := roots[root]; b != nil {
		return b, nil
	}
	b, err := storage.Open(ctx, root)
	if err != nil {
		return nil, err
	}
	roots[root] = b
	return b, nil
}

// locate returns where the file at path is stored; ok is false for a
// local file.
func locate(ctx context.Context, p string) (r remote, ok bool, err error) {
	if !storage.IsURL(p) {
		return remote{}, false, nil
	}
	if v, found := remotes.Load(p); found {
		return v.(remote), true, nil
	}
	u, err := url.Parse(p)
	if err != nil {
		return remote{}, true, err
	}
	if strings.EqualFold(u.Scheme, "file") {
		return remote{}, false, nil
	}
	b, err := rootBucket(ctx, u)
	if err != nil {
		return remote{}, true, err
	}
	return remote{b, strings.TrimPrefix(u.Path, "/")}, true, nil
}

// localPath turns a file:// URL into its path, and leaves anything else.
func localPath(p string) string {
	if u, err := url.Parse(p); err == nil && strings.EqualFold(u.Scheme, "file") && storage.IsURL(p) {
		return u.Path
	}
	return p
}

// openFile opens the stored bytes of the file at path: a local file, or
// a stream from object storage.
func openFile(p string) (io.ReadCloser, error) {
	if h := heldStream(p); h != nil {
		return h.take() // a pipe or device, opened by Open (stream.go)
	}
	r, ok, err := locate(context.Background(), p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return os.Open(localPath(p))
	}
	return r.bucket.NewReader(context.Background(), r.name)
}

// remoteBufSize is the read size of Parquet pages from object storage:
// every read the buffered stream makes of a column chunk is a ranged
// request, so it is large.
const remoteBufSize = 4 << 20

// openParquetFile opens f for the Parquet reader: a local file as it is,
// an object through ranged reads.
func openParquetFile(f File, props *parquet.ReaderProperties) (*file.Reader, error) {
	r, ok, err := locate(context.Background(), f.Path)
	if err != nil {
		return nil, err
	}
	if !ok {
		return file.OpenParquetFile(localPath(f.Path), false, file.WithReadProps(props))
	}
	ra, err := r.bucket.NewReaderAt(context.Background(), r.name)
	if err != nil {
		return nil, err
	}
	props.BufferSize = max(props.BufferSize, remoteBufSize)
	pf, err := file.NewParquetReader(ra, file.WithReadProps(props))
	if err != nil {
		ra.Close()
		return nil, err
	}
	return pf, nil
}

// expandURL adds the objects an URL argument names: the object itself,
// every object under it when it names a prefix (or ends with "/"), or,
// with a glob in its last element, the objects and prefixes that element
// matches (path.Match), filtered like a directory's entries.
func expandURL(ctx context.Context, arg string, sel selector, add func(File)) error {
	u, err := url.Parse(arg)
	if err != nil {
		return fmt.Errorf("input %s: %w", arg, err)
	}
	if strings.EqualFold(u.Scheme, "file") {
		if u.Host != "" && u.Host != "localhost" {
			return fmt.Errorf("input %s: file URLs name a local path (file:///abs/path)", arg)
		}
		return expandArg(u.Path, sel, add)
	}
	b, err := rootBucket(ctx, u)
	if err != nil {
		return fmt.Errorf("input %s: %w", arg, err)
	}
	key := strings.TrimPrefix(u.Path, "/")
	addObj := func(o storage.Object) {
		f := File{Path: b.Join(o.Name), Size: o.Size, Bucket: b, Name: o.Name}
		register(f)
		add(f)
	}
	dir, base := upath.Split(key)
	switch {
	case strings.Contains(key, "**"):
		return fmt.Errorf("input %s: \"**\" globs are not supported; name the prefix to read it recursively", arg)
	case hasMeta(dir):
		return fmt.Errorf("input %s: a glob may only be in the last element of a URL", arg)
	case hasMeta(base):
		if _, err := upath.Match(base, ""); err != nil {
			return fmt.Errorf("input %s: %w", arg, err)
		}
		return listUnder(ctx, b, dir, base, sel, addObj)
	case key == "" || strings.HasSuffix(key, "/"):
		return listUnder(ctx, b, key, "", sel, addObj)
	}
	o, err := b.Stat(ctx, key)
	if err == nil {
		addObj(o)
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("input %s: %w", arg, err)
	}
	return listUnder(ctx, b, key+"/", "", sel, addObj)
}

// listUnder adds the objects under dir (a prefix ending in "/", or "")
// that are inputs: no element of their name below dir is skipped (hidden,
// _temporary, job markers, checksums), when pattern is set the first
// element matches it, and sel selects them. Under a prefix that holds a
// winnow run's output (see outputRoot), only the kept shards are inputs.
func listUnder(ctx context.Context, b *storage.Bucket, dir, pattern string, sel selector, add func(storage.Object)) error {
	var objs []storage.Object
	// children lists, per prefix below dir, the names of its entries and
	// which of them are prefixes, to find winnow outputs.
	children := map[string]map[string]bool{}
	for o, err := range b.List(ctx, dir) {
		if err != nil {
			return fmt.Errorf("input %s: %w", b.Join(dir), err)
		}
		rel := strings.Split(o.Name[len(dir):], "/")
		if pattern != "" {
			if ok, _ := upath.Match(pattern, rel[0]); !ok {
				continue
			}
		}
		for i, el := range rel {
			p := strings.Join(rel[:i], "/")
			if children[p] == nil {
				children[p] = map[string]bool{}
			}
			children[p][el] = children[p][el] || i < len(rel)-1
		}
		objs = append(objs, o)
	}
	outputs := map[string]bool{}
	for p, c := range children {
		if outputRoot(slices.Collect(maps.Keys(c)), func(n string) bool { return c[n] }) {
			outputs[p] = true
		}
	}
	for _, o := range objs {
		relPath := o.Name[len(dir):]
		rel := strings.Split(relPath, "/")
		keep := sel.file(relPath)
		for i, el := range rel {
			isDir := i < len(rel)-1
			if skipped(el, isDir) ||
				(isDir && !sel.dir(strings.Join(rel[:i+1], "/"))) ||
				(outputs[strings.Join(rel[:i], "/")] && !strings.HasPrefix(el, keptPrefix)) {
				keep = false
				break
			}
		}
		if keep {
			add(o)
		}
	}
	return nil
}
