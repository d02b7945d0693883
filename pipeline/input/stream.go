package input

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/winnow-data/winnow/pipeline/storage"
)

// Streams. A pipe (process substitution, a FIFO), a character device or
// standard input can be read only once: detection cannot open it, look
// at its first bytes and close it as it does a file, or the data it read
// is lost (and with process substitution the writer dies of SIGPIPE: the
// input read as empty). Open therefore opens a stream once and holds it,
// buffered: detection peeks at its first bytes, and the first Records
// call reads it from the start. A second pass over it is an error that
// says so.
//
// Opening a pipe blocks until a writer opens it, and reading blocks until
// the writer writes: both end when the context given to OpenContext is
// done.

// streamPeek is how much of a stream's stored bytes is buffered for
// detection: a compressed stream's decoded head comes from these.
const streamPeek = 64 << 10

// errReread is why a stream cannot be read a second time.
var errReread = errors.New("a pipe or device can be read only once, and this run reads its inputs more than once (a stage that needs the whole corpus comes first, or the run is split into steps): save the stream to a file first")

// held is an open stream.
type held struct {
	mu    sync.Mutex
	f     *os.File
	br    *bufio.Reader
	stop  func() bool // ends the context watch
	taken bool
}

var streams sync.Map // path → *held

// heldStream returns the stream held for path, or nil.
func heldStream(path string) *held {
	if v, ok := streams.Load(path); ok {
		return v.(*held)
	}
	return nil
}

// holdStream opens the file at path and holds it when it is a stream;
// it reports whether it is one.
func holdStream(ctx context.Context, path string) (bool, error) {
	if storage.IsURL(path) {
		return false, nil
	}
	if h := heldStream(path); h != nil && !h.wasTaken() {
		return true, nil // opened already, not read yet
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().IsRegular() || fi.IsDir() {
		return false, nil // Open reports what is wrong
	}
	f, err := openWaiting(ctx, path)
	if err != nil {
		return true, err
	}
	h := &held{f: f}
	h.br = bufio.NewReaderSize(streamReader{ctx, f}, streamPeek)
	// A read blocked on a pipe returns when its deadline passes; a file
	// that cannot have one (a device) is read without blocking anyway.
	h.stop = context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Now()) })
	// A stream read before (a FIFO opened again by a new run) is
	// replaced by this new opening.
	streams.Store(path, h)
	return true, nil
}

func (h *held) wasTaken() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.taken
}

// openWaiting opens path for reading, giving up when ctx is done: opening
// a pipe waits for its writer.
func openWaiting(ctx context.Context, path string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
		// Be the writer the blocked open waits for, so it returns and
		// its file is closed rather than left behind.
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// head returns up to sniffSize decoded bytes from the start of the
// stream, leaving them to be read.
func (h *held) head(c *codec) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.taken {
		return nil, errReread
	}
	n := sniffSize
	if c != nil {
		n = streamPeek
	}
	stored, err := h.br.Peek(n)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		if len(stored) == 0 {
			return nil, err
		}
	}
	if c == nil {
		return bytes.Clone(stored), nil
	}
	d, err := c.newReader(bufio.NewReader(bytes.NewReader(stored)), limits{decoded: sniffSize, zstdWindow: DefaultMaxZstdWindow})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	head := make([]byte, sniffSize)
	k, _ := io.ReadFull(d, head) // a stored start cut mid-block decodes in part
	return head[:k], nil
}

// take returns the stream to read, once.
func (h *held) take() (io.ReadCloser, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.taken {
		return nil, errReread
	}
	h.taken = true
	return &heldReader{h}, nil
}

type heldReader struct{ h *held }

func (r *heldReader) Read(p []byte) (int, error) { return r.h.br.Read(p) }
func (r *heldReader) Close() error {
	r.h.stop()
	return r.h.f.Close()
}

// streamReader ends reading a held stream with the context's error once
// it is done (a read blocked on a pipe returns at its deadline then).
type streamReader struct {
	ctx context.Context
	r   io.Reader
}

func (c streamReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if err != nil && c.ctx.Err() != nil {
		return n, fmt.Errorf("reading stopped: %w", c.ctx.Err())
	}
	return n, err
}
