package minhash

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/cespare/xxhash/v2"

	"github.com/winnow-data/winnow/dedup/internal/keep"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// Staged is the multi-task form of the minhash stage, for runs split over
// machines. Four steps exchange files in Dir (e.g. OUT/_work/minhash), each
// written under a temporary name and renamed when complete, so a file's
// presence marks its task done:
//
//  1. signatures: input task t of Tasks runs SignatureStage(t) over its
//     share of the files → signatures-<t>.bin
//  2. buckets: band task b of B runs Buckets(b, B) over every signature
//     file, linking the candidates of bands b, b+B, … → pairs-<b>.bin
//  3. clusters: one task runs Clusters(B) → clusters.bin
//  4. filter: input task t runs FilterStage(t) over the same share as in 1
//
// It removes exactly the documents the single-machine Stage removes, and
// writes the same columns (tested): the pairs linked in a bucket depend on
// the bucket alone (see linkBucket). Input task t's share is that of
// job.Shard: files t, t+Tasks, … of the sorted list, so a document's
// place in the whole input is GlobalOrder.
type Staged struct {
	Dir    string
	Config Config
	Tasks  int
}

// GlobalOrder is Document.Order across tasks: the file index within task
// t's share mapped back to the whole sorted file list.
func GlobalOrder(doc *pipeline.Document, task, tasks int) uint64 {
	return uint64(doc.FileIndex*tasks+task)<<40 | uint64(doc.Record)&(1<<40-1)
}

func (s Staged) resolved() (Config, keep.Policy, error) {
	st, err := New(s.Config)
	if err != nil {
		return Config{}, keep.Policy{}, err
	}
	if s.Tasks < 1 {
		return Config{}, keep.Policy{}, fmt.Errorf("minhash: staged mode needs Tasks ≥ 1, not %d", s.Tasks)
	}
	return st.cfg, st.policy, nil
}

// recordSize is the size of one signature record: order, priority key,
// scope, then the signature.
func recordSize(k int) int { return 24 + 4*k }

// SignatureStage is step 1: it keeps every document and appends its
// signature record to signatures-<task>.bin, committed by Close.
type SignatureStage struct {
	task, tasks int
	cfg         Config
	policy      keep.Policy
	pool        sync.Pool
	mu          sync.Mutex
	f           *os.File
	w           *bufio.Writer
	final       string
	err         error
}

// SignatureStage returns step 1's stage for input task task.
func (s Staged) SignatureStage(task int) (*SignatureStage, error) {
	cfg, pol, err := s.resolved()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("minhash: %w", err)
	}
	final := filepath.Join(s.Dir, fmt.Sprintf("signatures-%05d.bin", task))
	f, err := os.Create(final + ".tmp")
	if err != nil {
		return nil, fmt.Errorf("minhash: %w", err)
	}
	st := &SignatureStage{task: task, tasks: s.Tasks, cfg: cfg, policy: pol, f: f, w: bufio.NewWriterSize(f, 1<<20), final: final}
	st.pool.New = func() any {
		return &scratch{h: NewHasher(cfg.NumPerm, cfg.ShingleWords), sig: make([]uint32, cfg.NumPerm)}
	}
	return st, nil
}

// Name implements pipeline.Stage.
func (st *SignatureStage) Name() string { return Name }

// Process implements pipeline.Stage.
func (st *SignatureStage) Process(doc *pipeline.Document) (string, error) {
	sc := st.pool.Get().(*scratch)
	defer st.pool.Put(sc)
	if !sc.h.Signature(sc.sig, text.DocNormalized(doc)) {
		return "", nil
	}
	var scope uint64
	if st.cfg.PerLanguage {
		scope = xxhash.Sum64String(doc.Lang)
	}
	return "", st.write(GlobalOrder(doc, st.task, st.tasks), st.policy.Key(doc), scope, sc.sig)
}

// write appends one signature record.
func (st *SignatureStage) write(order uint64, key int64, scope uint64, sig []uint32) error {
	rec := make([]byte, 0, recordSize(len(sig)))
	rec = binary.LittleEndian.AppendUint64(rec, order)
	rec = binary.LittleEndian.AppendUint64(rec, uint64(key))
	rec = binary.LittleEndian.AppendUint64(rec, scope)
	for _, v := range sig {
		rec = binary.LittleEndian.AppendUint32(rec, v)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err == nil {
		if st.f == nil {
			st.err = fmt.Errorf("minhash: %s: written after Close", st.final)
		} else if _, err := st.w.Write(rec); err != nil {
			st.err = fmt.Errorf("minhash: %s: %w", st.final, err)
		}
	}
	return st.err
}

// Close implements pipeline.Closer: it commits the signature file.
func (st *SignatureStage) Close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.f == nil {
		return st.err
	}
	err := errors.Join(st.err, st.w.Flush(), st.f.Close())
	st.f = nil
	if err != nil {
		os.Remove(st.final + ".tmp")
		return err
	}
	return os.Rename(st.final+".tmp", st.final)
}

// sigFiles opens every input task's signature file.
func (s Staged) sigFiles(k int) ([]*os.File, []int, error) {
	var files []*os.File
	var counts []int
	for t := range s.Tasks {
		name := filepath.Join(s.Dir, fmt.Sprintf("signatures-%05d.bin", t))
		f, err := os.Open(name)
		if err != nil {
			closeAll(files)
			return nil, nil, fmt.Errorf("minhash: signatures of task %d: %w", t, err)
		}
		fi, err := f.Stat()
		if err != nil || fi.Size()%int64(recordSize(k)) != 0 {
			f.Close()
			closeAll(files)
			return nil, nil, fmt.Errorf("minhash: %s: truncated or unreadable (%v)", name, err)
		}
		files = append(files, f)
		counts = append(counts, int(fi.Size()/int64(recordSize(k))))
	}
	return files, counts, nil
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// eachRecord reads every record of f in order.
func eachRecord(f *os.File, k int, fn func(i int, rec []byte)) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return readRecords(f, f.Name(), k, fn)
}

// readRecords reads every record of r, named name in errors, in order.
func readRecords(r io.Reader, name string, k int, fn func(i int, rec []byte)) error {
	br := bufio.NewReaderSize(r, 1<<20)
	rec := make([]byte, recordSize(k))
	for i := 0; ; i++ {
		if _, err := io.ReadFull(br, rec); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%s: record %d: %w", name, i, err)
		}
		fn(i, rec)
	}
}

func decodeSig(dst []uint32, rec []byte) {
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint32(rec[24+4*i:])
	}
}

type stagedEntry struct {
	key, order uint64
	file, rec  uint32
}

// Buckets is step 2 for band task bandTask of bandTasks.
func (s Staged) Buckets(bandTask, bandTasks int) error {
	cfg, _, err := s.resolved()
	if err != nil {
		return err
	}
	k := cfg.NumPerm
	files, _, err := s.sigFiles(k)
	if err != nil {
		return err
	}
	defer closeAll(files)
	final := filepath.Join(s.Dir, fmt.Sprintf("pairs-%05d.bin", bandTask))
	out, err := os.Create(final + ".tmp")
	if err != nil {
		return fmt.Errorf("minhash: %w", err)
	}
	w := bufio.NewWriter(out)
	fail := func(err error) error {
		out.Close()
		os.Remove(final + ".tmp")
		return err
	}
	sig := make([]uint32, k)
	rec := make([]byte, recordSize(k))
	bufs := newSigBufs(k)
	var entries []stagedEntry
	for b := bandTask; b < cfg.Bands; b += bandTasks {
		entries = entries[:0]
		for fi, f := range files {
			err := eachRecord(f, k, func(i int, r []byte) {
				decodeSig(sig, r)
				key := BandKey(sig, b, cfg.Rows, binary.LittleEndian.Uint64(r[16:]))
				entries = append(entries, stagedEntry{key, binary.LittleEndian.Uint64(r), uint32(fi), uint32(i)})
			})
			if err != nil {
				return fail(fmt.Errorf("minhash: %w", err))
			}
		}
		slices.SortFunc(entries, func(x, y stagedEntry) int {
			if x.key != y.key {
				if x.key < y.key {
					return -1
				}
				return 1
			}
			if x.order < y.order {
				return -1
			} else if x.order > y.order {
				return 1
			}
			return 0
		})
		for lo := 0; lo < len(entries); {
			hi := lo + 1
			for hi < len(entries) && entries[hi].key == entries[lo].key {
				hi++
			}
			group := entries[lo:hi]
			var werr error
			err := linkBucket(len(group), cfg.Verify, cfg.Threshold,
				func(j int, dst []uint32) error {
					e := group[j]
					if _, err := files[e.file].ReadAt(rec, int64(e.rec)*int64(len(rec))); err != nil {
						return fmt.Errorf("minhash: %s: record %d: %w", files[e.file].Name(), e.rec, err)
					}
					decodeSig(dst, rec)
					return nil
				},
				func(j, i int) {
					var p [16]byte
					binary.LittleEndian.PutUint64(p[:], group[j].order)
					binary.LittleEndian.PutUint64(p[8:], group[i].order)
					if _, err := w.Write(p[:]); err != nil && werr == nil {
						werr = err
					}
				}, nil, bufs)
			if err = errors.Join(err, werr); err != nil {
				return fail(err)
			}
			lo = hi
		}
	}
	if err := errors.Join(w.Flush(), out.Close()); err != nil {
		os.Remove(final + ".tmp")
		return fmt.Errorf("minhash: %s: %w", final, err)
	}
	return os.Rename(final+".tmp", final)
}

// Clusters is step 3: it unions the pairs of all bandTasks band tasks and
// writes clusters.bin, the documents of clusters of two or more.
func (s Staged) Clusters(bandTasks int) error {
	cfg, _, err := s.resolved()
	if err != nil {
		return err
	}
	files, _, err := s.sigFiles(cfg.NumPerm)
	if err != nil {
		return err
	}
	ix := &Index{}
	for _, f := range files {
		err := eachRecord(f, cfg.NumPerm, func(_ int, r []byte) {
			ix.orders = append(ix.orders, binary.LittleEndian.Uint64(r))
			ix.keys = append(ix.keys, int64(binary.LittleEndian.Uint64(r[8:])))
		})
		if err != nil {
			closeAll(files)
			return fmt.Errorf("minhash: %w", err)
		}
	}
	closeAll(files)
	// rank of an order, found by binary search; the union-find is over
	// ranks, as Index.Build's.
	byOrder := ix.byInputOrder()
	rankOf := func(o uint64) (uint32, bool) {
		i, ok := slices.BinarySearchFunc(byOrder, o, func(id uint32, o uint64) int { return cmpU64(ix.orders[id], o) })
		return uint32(i), ok
	}
	uf := newUnionFind(len(ix.orders))
	for b := range bandTasks {
		name := filepath.Join(s.Dir, fmt.Sprintf("pairs-%05d.bin", b))
		data, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("minhash: pairs of band task %d: %w", b, err)
		}
		if len(data)%16 != 0 {
			return fmt.Errorf("minhash: %s: truncated", name)
		}
		for p := 0; p < len(data); p += 16 {
			a, okA := rankOf(binary.LittleEndian.Uint64(data[p:]))
			c, okC := rankOf(binary.LittleEndian.Uint64(data[p+8:]))
			if !okA || !okC {
				return fmt.Errorf("minhash: %s: byte %d: a pair names a document without signature", name, p)
			}
			uf.union(a, c)
		}
	}
	ix.finish(byOrder, uf.find)
	final := filepath.Join(s.Dir, "clusters.bin")
	out, err := os.Create(final + ".tmp")
	if err != nil {
		return fmt.Errorf("minhash: %w", err)
	}
	w := bufio.NewWriter(out)
	var rec []byte
	ix.duplicates(func(e clusterEntry) {
		rec = e.append(rec[:0])
		w.Write(rec)
	})
	if err := errors.Join(w.Flush(), out.Close()); err != nil {
		os.Remove(final + ".tmp")
		return fmt.Errorf("minhash: %s: %w", final, err)
	}
	return os.Rename(final+".tmp", final)
}

func cmpU64(a, b uint64) int {
	if a < b {
		return -1
	} else if a > b {
		return 1
	}
	return 0
}

// clusterEntry is a document of a cluster of two or more: a record of
// clusters.bin and of the stage's prepared state, 24 bytes: order 8 B,
// cluster id 8 B, size 4 B, kept 1 B, 3 B of zeros.
type clusterEntry struct {
	order, id uint64
	size      uint32
	keep      bool
}

const clusterRecordSize = 24

func (e clusterEntry) append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, e.order)
	dst = binary.LittleEndian.AppendUint64(dst, e.id)
	dst = binary.LittleEndian.AppendUint32(dst, e.size)
	k := byte(0)
	if e.keep {
		k = 1
	}
	return append(dst, k, 0, 0, 0)
}

// decodeCluster reads one record; ok is false for one no writer makes.
func decodeCluster(r []byte) (e clusterEntry, ok bool) {
	e = clusterEntry{order: binary.LittleEndian.Uint64(r), id: binary.LittleEndian.Uint64(r[8:]),
		size: binary.LittleEndian.Uint32(r[16:]), keep: r[20] == 1}
	return e, e.size >= 2 && r[20] <= 1 && e.id <= e.order && r[21]|r[22]|r[23] == 0
}

// clusterTable holds the documents of clusters of two or more, sorted by
// order; every other document is alone in its cluster.
type clusterTable []clusterEntry

func (t clusterTable) lookup(o uint64) Cluster {
	i, ok := slices.BinarySearchFunc(t, o, func(e clusterEntry, o uint64) int { return cmpU64(e.order, o) })
	if !ok {
		return Cluster{ID: o, Size: 1, Keep: true}
	}
	return Cluster{ID: t[i].id, Size: int(t[i].size), Keep: t[i].keep}
}

// FilterStage is step 4: Process keeps or drops each document as the
// single-machine Stage does, from clusters.bin.
type FilterStage struct {
	task, tasks int
	table       clusterTable
}

// FilterStage returns step 4's stage for input task task.
func (s Staged) FilterStage(task int) (*FilterStage, error) {
	if _, _, err := s.resolved(); err != nil {
		return nil, err
	}
	name := filepath.Join(s.Dir, "clusters.bin")
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("minhash: %w", err)
	}
	if len(data)%clusterRecordSize != 0 {
		return nil, fmt.Errorf("minhash: %s: truncated", name)
	}
	st := &FilterStage{task: task, tasks: s.Tasks, table: make(clusterTable, 0, len(data)/clusterRecordSize)}
	for p := 0; p < len(data); p += clusterRecordSize {
		e, ok := decodeCluster(data[p:])
		if !ok || (len(st.table) > 0 && st.table[len(st.table)-1].order >= e.order) {
			return nil, fmt.Errorf("minhash: %s: byte %d: not a cluster record in order", name, p)
		}
		st.table = append(st.table, e)
	}
	return st, nil
}

// Name implements pipeline.Stage.
func (st *FilterStage) Name() string { return Name }

// Process implements pipeline.Stage.
func (st *FilterStage) Process(doc *pipeline.Document) (string, error) {
	return verdict(doc, st.table.lookup(GlobalOrder(doc, st.task, st.tasks))), nil
}

// verdict writes the cluster columns and returns the drop reason, if any.
func verdict(doc *pipeline.Document, c Cluster) string {
	doc.SetRawField(FieldClusterID, strconv.AppendUint(nil, c.ID, 10))
	doc.SetRawField(FieldClusterSize, strconv.AppendInt(nil, int64(c.Size), 10))
	if !c.Keep {
		return "near_duplicate"
	}
	return ""
}

// Columns implements pipeline.Declarer: the cluster columns.
func (st *FilterStage) Columns() []pipeline.Column { return clusterColumns }
