package output

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Storage is where shards are created. Names are slash-separated paths
// relative to the output root. A shard is written under a temporary name
// and renamed to its final name when the run commits, so the interface is
// the three operations of that protocol; an object store implements Rename
// as copy-then-delete.
type Storage interface {
	// Create opens name for writing, creating parent directories as
	// needed and replacing an existing file. Close makes the data durable.
	Create(name string) (io.WriteCloser, error)
	// Rename moves oldname to newname atomically, replacing newname.
	Rename(oldname, newname string) error
	// Remove deletes name; a missing name is not an error.
	Remove(name string) error
}

// Dir returns the Storage of a local directory.
func Dir(root string) Storage { return dirStorage{root} }

type dirStorage struct{ root string }

func (d dirStorage) path(name string) string {
	return filepath.Join(d.root, filepath.FromSlash(name))
}

func (d dirStorage) Create(name string) (io.WriteCloser, error) {
	p := d.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	// The Parquet writer issues many small writes (page headers, footer).
	return &dirFile{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (d dirStorage) Rename(oldname, newname string) error {
	if err := os.Rename(d.path(oldname), d.path(newname)); err != nil {
		return err
	}
	// Make the rename itself durable.
	if dir, err := os.Open(filepath.Dir(d.path(newname))); err == nil {
		_ = dir.Sync() // not every file system supports syncing a directory
		dir.Close()
	}
	return nil
}

// RemoveDir removes the directory name if it is empty.
func (d dirStorage) RemoveDir(name string) error {
	return syscall.Rmdir(d.path(name))
}

func (d dirStorage) Remove(name string) error {
	err := os.Remove(d.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

type dirFile struct {
	f *os.File
	w *bufio.Writer
}

func (f *dirFile) Write(p []byte) (int, error) { return f.w.Write(p) }

func (f *dirFile) Close() error {
	err := f.w.Flush()
	if err == nil {
		err = f.f.Sync()
	}
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
