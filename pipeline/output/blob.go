package output

import (
	"context"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/winnow-data/winnow/pipeline/storage"
)

// Open returns a Writer of shards under loc: a local directory (as New;
// file:///path is the same) or a location in object storage such as
// s3://bucket/prefix, gs://bucket/prefix or azblob://container/prefix
// (see package storage for parameters and credentials). Shards in object
// storage are uploaded while they are written, in parts, under their
// temporary names, and renamed (copied, then deleted) by Close; a reader
// listing the output never sees part of a shard.
//
// ctx bounds every request the Writer makes; storage options (part
// size, retries) go to storage.Open.
func Open(ctx context.Context, loc string, opts Options, sopts ...storage.Option) (*Writer, error) {
	if !storage.IsURL(loc) {
		return New(loc, opts)
	}
	if u, err := url.Parse(loc); err == nil && strings.EqualFold(u.Scheme, "file") && (u.Host == "" || u.Host == "localhost") && u.RawQuery == "" {
		return New(u.Path, opts)
	}
	b, err := storage.Open(ctx, loc, sopts...)
	if err != nil {
		return nil, err
	}
	w, err := NewStorage(Bucket(ctx, b), opts)
	if err != nil {
		b.Close()
		return nil, err
	}
	return w, nil
}

// Bucket returns the Storage of b: Create uploads an object as it is
// written (it appears when closed), Rename is a server-side copy then a
// delete, Remove of a missing object is not an error. ctx bounds every
// request.
func Bucket(ctx context.Context, b *storage.Bucket) Storage { return bucketStorage{ctx, b} }

type bucketStorage struct {
	ctx context.Context
	b   *storage.Bucket
}

func (s bucketStorage) Create(name string) (io.WriteCloser, error) { return s.b.Create(s.ctx, name) }

func (s bucketStorage) Rename(oldname, newname string) error {
	return s.b.Rename(s.ctx, oldname, newname)
}

// removeTimeout bounds one delete made while cleaning up.
const removeTimeout = time.Minute

// Remove deletes name even when ctx is cancelled: the writer removes its
// files on Abort, which is most often called because the run was
// cancelled, and nothing of an aborted run may stay visible.
func (s bucketStorage) Remove(name string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), removeTimeout)
	defer cancel()
	return s.b.Remove(ctx, name)
}
