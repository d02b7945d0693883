package storage

import (
	"bufio"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// localBufSize buffers writes: Parquet writers issue many small writes
// (page headers, footers).
const localBufSize = 1 << 20

// tempSuffix ends the names of local files being written; List skips
// them, as an object store does not show an upload before it completes.
const tempSuffix = ".wtmp"

// local is a directory of the local file system.
type local struct {
	loc   string // as given
	root  string // directory
	isURL bool   // given as file://
}

func newLocal(loc, root string, isURL bool) *local {
	return &local{loc: loc, root: filepath.Clean(root), isURL: isURL}
}

func (l *local) path(name string) string { return filepath.Join(l.root, filepath.FromSlash(name)) }

func (l *local) join(name string) string {
	if l.isURL {
		return joinURL(l.loc, name)
	}
	return l.path(name)
}

func (l *local) newReader(_ context.Context, name string) (io.ReadCloser, error) {
	return l.open(name)
}

// open opens a regular file; a directory of that name is "not exist", as
// on an object store.
func (l *local) open(name string) (*os.File, error) {
	f, err := os.Open(l.path(name))
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		if err == nil {
			err = notExist(errors.New("is a directory"))
		}
		return nil, err
	}
	return f, nil
}

func (l *local) newReaderAt(_ context.Context, name string) (ReaderAt, error) {
	f, err := l.open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &fileReaderAt{File: f, size: fi.Size()}, nil
}

type fileReaderAt struct {
	*os.File
	size int64
}

func (f *fileReaderAt) Size() int64 { return f.size }

func (l *local) create(_ context.Context, name string) (writer, error) {
	final := l.path(name)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(final)+".*"+tempSuffix)
	if err != nil {
		return nil, err
	}
	return &localWriter{f: f, w: bufio.NewWriterSize(f, localBufSize), final: final}, nil
}

type localWriter struct {
	f     *os.File
	w     *bufio.Writer
	final string
}

func (w *localWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w *localWriter) close() error {
	err := w.w.Flush()
	if err == nil {
		err = w.f.Sync()
	}
	if err == nil {
		// CreateTemp makes files 0600; outputs are for others to read.
		err = w.f.Chmod(0o644)
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = renameSync(w.f.Name(), w.final)
	}
	if err != nil {
		os.Remove(w.f.Name())
	}
	return err
}

func (w *localWriter) abort() error {
	w.f.Close()
	return os.Remove(w.f.Name())
}

// renameSync renames and syncs the directory, so the rename survives a
// crash.
func renameSync(oldpath, newpath string) error {
	if err := os.Rename(oldpath, newpath); err != nil {
		return err
	}
	if dir, err := os.Open(filepath.Dir(newpath)); err == nil {
		_ = dir.Sync() // not every file system can sync a directory
		dir.Close()
	}
	return nil
}

func (l *local) exists(_ context.Context, name string) (bool, error) {
	fi, err := os.Stat(l.path(name))
	switch {
	case err == nil:
		return fi.Mode().IsRegular(), nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

func (l *local) stat(_ context.Context, name string) (int64, error) {
	fi, err := os.Stat(l.path(name))
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, notExist(errors.New("not a regular file"))
	}
	return fi.Size(), nil
}

func (l *local) remove(_ context.Context, name string) error {
	err := os.Remove(l.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (l *local) rename(_ context.Context, oldname, newname string) error {
	newpath := l.path(newname)
	if err := os.MkdirAll(filepath.Dir(newpath), 0o755); err != nil {
		return err
	}
	return renameSync(l.path(oldname), newpath)
}

// list walks the deepest directory the prefix names and keeps the regular
// files (and links to them) whose names start with the prefix.
func (l *local) list(_ context.Context, prefix string) ([]Object, error) {
	dir := path.Dir(prefix)
	if strings.HasSuffix(prefix, "/") {
		dir = strings.TrimSuffix(prefix, "/")
	}
	if dir == "." {
		dir = ""
	}
	start := l.root
	if dir != "" {
		start = l.path(dir)
	}
	var out []Object
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll // nothing under a missing directory
			}
			return err
		}
		rel, rerr := filepath.Rel(l.root, p)
		if rerr != nil {
			return rerr
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			// Skip directories that cannot hold a match.
			if p != start && !strings.HasPrefix(name+"/", prefix) && !strings.HasPrefix(prefix, name+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasPrefix(name, prefix) || strings.HasSuffix(name, tempSuffix) {
			return nil
		}
		fi, err := os.Stat(p) // follows a link to a file
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while listing, or a dangling link
			}
			return err
		}
		if fi.Mode().IsRegular() {
			out = append(out, Object{Name: name, Size: fi.Size()})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// WalkDir orders by element, not by whole name ("a/x" before "a.b").
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (l *local) close() error { return nil }
