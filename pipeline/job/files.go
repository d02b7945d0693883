package job

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// storeDir is the output location as the steps use it: small files
// (markers, stats), the stages' exchange files, listing.
type storeDir interface {
	ReadFile(ctx context.Context, name string) ([]byte, error)
	WriteFile(ctx context.Context, name string, data []byte) error
	NewReader(ctx context.Context, name string) (io.ReadCloser, error)
	Create(ctx context.Context, name string) (storeWriter, error)
	ListNames(ctx context.Context, prefix string) ([]string, error)
	Join(name string) string
	Close() error
}

// storeWriter is a file being written: it appears only on Close.
type storeWriter interface {
	io.WriteCloser
	Abort()
}

func openOutput(_ context.Context, dir string) (storeDir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	return localDir(dir), nil
}

type localDir string

func (d localDir) Join(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }

func (d localDir) Close() error { return nil }

func (d localDir) ReadFile(_ context.Context, name string) ([]byte, error) {
	return os.ReadFile(d.Join(name))
}

func (d localDir) NewReader(_ context.Context, name string) (io.ReadCloser, error) {
	return os.Open(d.Join(name))
}

func (d localDir) WriteFile(ctx context.Context, name string, data []byte) error {
	w, err := d.Create(ctx, name)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

func (d localDir) Create(_ context.Context, name string) (storeWriter, error) {
	final := d.Join(name)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".*.tmp")
	if err != nil {
		return nil, err
	}
	return &localWriter{f: f, final: final}, nil
}

func (d localDir) ListNames(_ context.Context, prefix string) ([]string, error) {
	var names []string
	root := string(d)
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, prefix) {
			names = append(names, rel)
		}
		return nil
	})
	sort.Strings(names)
	return names, err
}

type localWriter struct {
	f     *os.File
	final string
}

func (w *localWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *localWriter) Abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}

func (w *localWriter) Close() error {
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.f.Name(), w.final)
	}
	if err != nil {
		os.Remove(w.f.Name())
	}
	return err
}
