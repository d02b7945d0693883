package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"

	"github.com/winnow-data/winnow/internal/jsontext"
)

// Options configure a run.
type Options struct {
	// Stages run in order on every document.
	Stages []Stage
	// Workers is the number of goroutines running stages; 0 means
	// GOMAXPROCS. More than MaxWorkers are clamped to it (with a warning):
	// stages are CPU-bound, so extra workers only add batches in flight.
	Workers int
	// MaxInflightBytes bounds the bytes of records read but not yet
	// written, whatever the worker count: the reader starts no new batch
	// while the batches in flight hold more. A record larger than the
	// bound still goes through, alone. 0 means DefaultMaxInflightBytes, or
	// the batches' own bound (2×Workers+2 batches of BatchBytes) when
	// that is larger, so small records are never held back.
	MaxInflightBytes int64
	// BatchRecords and BatchBytes bound a batch, the unit of work handed
	// to a worker: it closes at whichever limit comes first. Defaults 1024
	// records and 1 MiB.
	BatchRecords int
	BatchBytes   int
	// Progress, when set, is called from the writing goroutine after each
	// batch is written; it should return quickly.
	Progress func(Progress)
	// Logger receives warnings about damaged inputs; nil discards them.
	Logger *slog.Logger
	// FileIndexes, when set, gives each source's index in the whole run's
	// sorted file list (a task processes a share of it), so that
	// Document.Order is unique across the tasks of a cluster job. By
	// default a source's index is its position in the slice.
	FileIndexes []int
	// SpillDir is where a run with preparatory passes keeps the first
	// pass's documents for the later passes (about half the
	// input's text, S2-compressed; removed at the end). Empty means the
	// system's temporary directory.
	SpillDir string
	// NoSpill makes every pass read the sources and run the stages again
	// instead (slower; no temporary file).
	NoSpill bool
	// Spill, for Observe, receives what the pass made of every document
	// (the stages' results and outcomes; S2-compressed), for later
	// passes to replay. Replay, for Observe and for Run with Prepared,
	// is such a spill, read instead of the sources; Stages are then the
	// stages after those of the pass that wrote it, and Run's stats are
	// to be joined with that pass's by JoinStats. This is how the steps
	// of a cluster job run the stages before the first Preparer once.
	Spill  io.Writer
	Replay io.Reader
	// Prepared says the Preparers among Stages hold their state already
	// (loaded with Exchanger.LoadPrepared), so Run makes no preparatory
	// pass.
	Prepared bool
	// Mode is what happens to a document a stage would drop: Filter
	// drops it, Tag keeps it with the reason in its reasons column (see
	// Mode). StageModes overrides it for the stages it names.
	Mode       Mode
	StageModes map[string]Mode
}

// modes returns the mode of each stage.
func (opts Options) modes(stages []Stage) []Mode {
	ms := make([]Mode, len(stages))
	for i, st := range stages {
		ms[i] = opts.Mode
		if m, ok := opts.StageModes[st.Name()]; ok {
			ms[i] = m
		}
	}
	return ms
}

// tagging reports whether any stage may be in tag mode. It depends on the
// options alone, not on the stages of one pass, so every pass and every
// step of a cluster job carries the reasons column alike.
func (opts Options) tagging() bool {
	return opts.Mode == Tag || slices.Contains(slices.Collect(maps.Values(opts.StageModes)), Tag)
}

// JoinStats makes a run's accounting from that of its first pass (the
// input, the stages before the first Preparer) and of its last pass
// replaying the first's spill (the other stages, and every document's
// outcome, which carries the first pass's through the spill). last is
// changed and returned.
func JoinStats(first, last *Stats) *Stats {
	if first == nil || last == nil {
		return last
	}
	last.Stages = append(slices.Clip(first.Stages), last.Stages...)
	last.Files = first.Files
	last.BytesIn = first.BytesIn
	last.TextBytesIn = first.TextBytesIn
	last.InputErrors = first.InputErrors
	bytes := make(map[string]int64, len(first.Inputs))
	for _, f := range first.Inputs {
		bytes[f.File] = f.Bytes
	}
	for i := range last.Inputs {
		last.Inputs[i].Bytes = bytes[last.Inputs[i].File]
	}
	last.SkippedFiles = first.SkippedFiles
	for k, v := range first.Repaired {
		last.Repaired[k] += v
	}
	return last
}

// DefaultMaxInflightBytes is the default of Options.MaxInflightBytes: room
// for 128 batches of 1 MiB, or two 64 MiB records.
const DefaultMaxInflightBytes = 128 << 20

// MaxWorkers returns the most workers a run uses: four per core
// (GOMAXPROCS).
func MaxWorkers() int { return 4 * runtime.GOMAXPROCS(0) }

// withDefaults fills in the options left zero.
func (opts Options) withDefaults(sources int) (Options, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if m := MaxWorkers(); opts.Workers > m {
		opts.Logger.Warn("workers clamped to four per core", "asked", opts.Workers, "workers", m)
		opts.Workers = m
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 1 << 20
	}
	if opts.MaxInflightBytes <= 0 {
		opts.MaxInflightBytes = max(DefaultMaxInflightBytes, int64(2*opts.Workers+2)*int64(opts.BatchBytes))
	}
	if opts.BatchRecords <= 0 {
		opts.BatchRecords = 1024
	}
	if opts.FileIndexes != nil && len(opts.FileIndexes) != sources {
		return opts, fmt.Errorf("pipeline: %d file indexes for %d sources", len(opts.FileIndexes), sources)
	}
	return opts, nil
}

// Observe makes one preparatory pass for stage p alone: every document
// that opts.Stages keep is passed to p.Observe; nothing is written and
// Prepared is not called. The Preparers among opts.Stages must hold their
// state already (as with Options.Prepared). It is one task's share of a
// preparatory pass split over a cluster job; the returned Stats account
// for the documents read (the stage p itself appears in none of them).
func Observe(ctx context.Context, sources []Source, p Preparer, opts Options) (*Stats, error) {
	opts, err := opts.withDefaults(len(sources))
	if err != nil {
		return nil, err
	}
	start := time.Now()
	r := newRun(ctx, sources, opts, opts.Stages, 1, 1, start)
	r.observe = p
	r.replay = opts.Replay
	if opts.Spill != nil {
		if r.spill, err = newSpillWriter(opts.Spill); err != nil {
			return nil, err
		}
	}
	stats, err := r.pass(nil)
	if r.spill != nil {
		if ferr := r.spill.finish(); err == nil {
			err = ferr
		}
	}
	if stats == nil {
		stats = newStats(opts.Stages)
	}
	stats.Seconds = time.Since(start).Seconds()
	stats.Workers = opts.Workers
	if err != nil {
		return stats, fmt.Errorf("observing for %s: %w", p.Name(), err)
	}
	return stats, nil
}

// Progress reports how far a run has got.
type Progress struct {
	Pass   int // 1-based; the last pass writes the output
	Passes int //
	// Name says what the pass does: "write", "prepare <stage>" (a
	// preparatory pass) or "observe <stage>".
	Name      string
	Docs      int64 // documents finished in this pass
	BytesRead int64 // stored bytes of input read in this pass
	Elapsed   time.Duration
}

// Run reads every source in order, runs the stages over each document on
// Workers goroutines and hands the results, in input order, to sink. Stages
// that implement Preparer get a preparatory pass first (the sources are
// read again for each).
//
// Output is deterministic: documents reach the sink in input order and in
// the same batches whatever the worker count. Memory is bounded by the
// number of batches in flight (about 2×Workers+2), not by input size.
//
// Run commits the sink when every source has been read, even if some were
// damaged (see Stats.InputErrors), and aborts it on any other failure or
// when ctx is cancelled, so no partial output stays visible. The returned
// Stats is filled in either case.
func Run(ctx context.Context, sources []Source, sink Sink, opts Options) (*Stats, error) {
	opts, err := opts.withDefaults(len(sources))
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var preps []int
	for i, st := range opts.Stages {
		if _, ok := st.(Preparer); ok && !opts.Prepared {
			preps = append(preps, i)
		}
	}
	passes := len(preps) + 1
	var stats *Stats
	err = func() error {
		// With stages before the first Preparer, the first pass spills
		// what they made of every document and the later passes read
		// that back (see spillWriter) instead of redoing their work.
		head := 0
		if len(preps) > 0 && !opts.NoSpill {
			head = preps[0]
		}
		var (
			first  *Stats
			replay string
		)
		defer func() {
			if replay != "" {
				os.Remove(replay)
			}
		}()
		open := func() (io.Reader, func(), error) {
			f, err := os.Open(replay)
			if err != nil {
				return nil, nil, fmt.Errorf("spill: %w", err)
			}
			return f, func() { f.Close() }, nil
		}
		for p, at := range preps {
			r := newRun(ctx, sources, opts, opts.Stages[:at], p+1, passes, start)
			if p > 0 && head > 0 {
				r = newRun(ctx, nil, opts, opts.Stages[head:at], p+1, passes, start)
				f, done, err := open()
				if err != nil {
					return err
				}
				defer done()
				r.replay = f
			}
			r.observe = opts.Stages[at].(Preparer)
			if p == 0 && head > 0 {
				sw, err := newTempSpill(opts.SpillDir)
				if err != nil {
					return err
				}
				r.spill = sw.spillWriter
				first, err = r.pass(nil)
				if err != nil {
					sw.abort()
					return fmt.Errorf("preparatory pass for %s: %w", opts.Stages[at].Name(), err)
				}
				if replay, err = sw.finish(); err != nil {
					return err
				}
			} else if _, err := r.pass(nil); err != nil {
				return fmt.Errorf("preparatory pass for %s: %w", opts.Stages[at].Name(), err)
			}
			if err := r.observe.Prepared(ctx); err != nil {
				return fmt.Errorf("stage %s: %w", opts.Stages[at].Name(), err)
			}
		}
		if head == 0 {
			r := newRun(ctx, sources, opts, opts.Stages, passes, passes, start)
			if opts.Prepared {
				r.replay = opts.Replay
			}
			var err error
			stats, err = r.pass(sink)
			return err
		}
		r := newRun(ctx, nil, opts, opts.Stages[head:], passes, passes, start)
		f, done, err := open()
		if err != nil {
			return err
		}
		defer done()
		r.replay = f
		last, err := r.pass(sink)
		stats = JoinStats(first, last)
		return err
	}()
	for _, st := range opts.Stages {
		if c, ok := st.(Closer); ok {
			if cerr := c.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("closing stage %s: %w", st.Name(), cerr)
			}
		}
	}
	if stats == nil {
		stats = newStats(opts.Stages)
	}
	stats.Seconds = time.Since(start).Seconds()
	stats.Workers = opts.Workers
	if err == nil {
		err = stats.Check()
	}
	if err != nil {
		if aerr := sink.Abort(); aerr != nil {
			err = errors.Join(err, fmt.Errorf("aborting output: %w", aerr))
		}
		return stats, err
	}
	if err := sink.Close(); err != nil {
		return stats, fmt.Errorf("committing output: %w", err)
	}
	return stats, nil
}

// outcome of one record.
type outcome uint8

const (
	kept outcome = iota
	rejected
	errored
	skipped
)

// item is one record in a batch.
type item struct {
	index, offset int64
	raw           []byte // into batch.arena
	readErr       error  // from the reader, per record
	doc           Document
	outcome       outcome
	reason        string
	// replayed items come from the spill: decoded, and judged already
	// unless kept.
	replayed bool
	// reasons are the rules that would have dropped a document a stage
	// in tag mode kept.
	reasons []string
}

// stageCount is one stage's accounting within one batch.
type stageCount struct {
	in, out, errored int64
	rewritten        int64
	dropped          []reasonCount
	nanos            int64
}

type reasonCount struct {
	reason string
	n      int64
}

func addReason(rs []reasonCount, reason string) []reasonCount {
	for i := range rs {
		if rs[i].reason == reason {
			rs[i].n++
			return rs
		}
	}
	return append(rs, reasonCount{reason, 1})
}

// batch is the unit of work: consecutive records of one source.
type batch struct {
	seq       int
	name      string
	fileIndex int
	dec       Decoder
	items     []item
	n         int
	arena     []byte
	// fileErrs are damage reports found after the batch's records.
	fileErrs []InputError
	// bytesRead is the stored offset reached when the batch closed.
	bytesRead int64
	counts    []stageCount
	repaired  int64
	// readRepairs counts what readers repaired (Record.Repaired).
	readRepairs []reasonCount
	// repairedByStage counts texts a stage left invalid.
	repairedByStage int64
	textBytes       int64
	// reserved is what the batch holds of the run's in-flight budget.
	reserved int64
	keptDocs []*Document
	rejDocs  []*Document
	rejWhy   []string
}

type run struct {
	ctx           context.Context
	sources       []Source
	opts          Options
	stages        []Stage
	observe       Preparer
	pass_, passes int
	start         time.Time
	free          chan *batch
	// spill, when set, records every batch the pass accounts for;
	// replay, when set, names the spill the pass reads instead of the
	// sources.
	spill  *spillWriter
	replay io.Reader
	// modes holds each stage's mode; tagging says whether the run is
	// in tag mode for any stage (of this pass or another), so every
	// document carries the reasons column.
	modes   []Mode
	tagging bool
	budget  *budget
	// inputs indexes Stats.Inputs by file name (account's goroutine).
	inputs map[string]int
}

func newRun(ctx context.Context, sources []Source, opts Options, stages []Stage, pass, passes int, start time.Time) *run {
	inflight := 2*opts.Workers + 2
	r := &run{ctx: ctx, sources: sources, opts: opts, stages: stages, pass_: pass, passes: passes, start: start,
		free: make(chan *batch, inflight)}
	r.modes, r.tagging = opts.modes(stages), opts.tagging()
	r.budget = newBudget(opts.MaxInflightBytes)
	r.inputs = map[string]int{}
	for range inflight {
		r.free <- &batch{}
	}
	return r
}

// name is what the pass does, for progress reports.
func (r *run) name() string {
	switch {
	case r.observe != nil && r.pass_ == 1 && r.passes == 1:
		return "observe " + r.observe.Name()
	case r.observe != nil:
		return "prepare " + r.observe.Name()
	}
	return "write"
}

// pass runs one pass over the sources; with a nil sink it discards the
// results (a preparatory pass).
func (r *run) pass(sink Sink) (*Stats, error) {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	work := make(chan *batch, cap(r.free))
	done := make(chan *batch, cap(r.free))
	readErr := make(chan error, 1)
	go func() { readErr <- r.read(ctx, work) }()
	workersDone := make(chan struct{})
	go func() {
		defer close(workersDone)
		wg := make(chan struct{}, r.opts.Workers)
		for range r.opts.Workers {
			go func() {
				defer func() { wg <- struct{}{} }()
				for b := range work {
					r.process(b)
					done <- b
				}
			}()
		}
		for range r.opts.Workers {
			<-wg
		}
		close(done)
	}()

	stats := newStats(r.stages)
	stats.Files = len(r.sources)
	for i, m := range r.modes {
		if m == Tag {
			stats.Stages[i].Mode = m.String()
		}
	}
	var (
		next    int
		pending = map[int]*batch{}
		werr    error
		docs    int64
		bytes   int64 // stored bytes of finished sources
		curFile = -1
		curRead int64
	)
	for b := range done {
		pending[b.seq] = b
		for {
			b, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if werr == nil {
				werr = r.account(stats, b, sink)
				if werr != nil {
					cancel()
				}
			}
			docs += int64(b.n)
			if b.fileIndex != curFile {
				bytes += curRead
				curFile = b.fileIndex
			}
			curRead = b.bytesRead
			if r.opts.Progress != nil {
				r.opts.Progress(Progress{Pass: r.pass_, Passes: r.passes, Name: r.name(), Docs: docs, BytesRead: bytes + curRead, Elapsed: time.Since(r.start)})
			}
			if b.reserved > 4*int64(r.opts.BatchBytes) || cap(b.arena) > 4*r.opts.BatchBytes {
				// Huge records: an idle batch must not keep their
				// text or the arena they grew (2×workers+2 of them
				// would, whatever the in-flight bound).
				b.arena = nil
				for i := range b.items[:b.n] {
					b.items[i].doc.Reset()
					b.items[i].raw = nil
				}
			}
			r.budget.release(b.reserved)
			b.reserved = 0
			r.free <- b
		}
	}
	<-workersDone
	rerr := <-readErr
	for _, s := range r.sources {
		if sz := s.Size(); sz > 0 {
			stats.BytesIn += sz
			if i, ok := r.inputs[s.Name()]; ok {
				stats.Inputs[i].Bytes = sz
			}
		}
	}
	switch {
	case werr != nil:
		return stats, werr
	case rerr != nil:
		return stats, rerr
	case len(pending) > 0:
		return stats, fmt.Errorf("internal error: %d batches never written", len(pending))
	}
	return stats, nil
}

// read walks the sources in order and sends batches to work.
func (r *run) read(ctx context.Context, work chan<- *batch) error {
	defer close(work)
	seq := 0
	if r.replay != nil {
		return r.readSpill(ctx, work)
	}
	for i, src := range r.sources {
		fi := i
		if r.opts.FileIndexes != nil {
			fi = r.opts.FileIndexes[i]
		}
		name := src.Name()
		dec, _ := src.(Decoder)
		b, err := r.newBatch(ctx, &seq, name, fi, dec)
		if err != nil {
			return err
		}
		var lastIndex, lastOffset int64
		for rec, rerr := range src.Records(ctx) {
			if rerr != nil {
				var re *RecordError
				var fe *FileError
				switch {
				case errors.As(rerr, &re):
					it := b.add()
					it.index, it.offset, it.readErr = re.Index, re.Offset, re
				case errors.As(rerr, &fe):
					b.fileErrs = append(b.fileErrs, InputError{File: name, Position: fe.Offset, Record: fe.Records, Error: errString(fe.Err), Recovered: fe.Recovered})
					r.opts.Logger.Warn("damaged input", "file", name, "position", fe.Offset, "record", fe.Records, "error", fe.Err, "recovered", fe.Recovered)
				default:
					if ctx.Err() != nil {
						return ctx.Err()
					}
					b.fileErrs = append(b.fileErrs, InputError{File: name, Position: lastOffset, Record: lastIndex + 1, Error: rerr.Error()})
					r.opts.Logger.Warn("damaged input", "file", name, "error", rerr)
				}
			} else {
				b.reserved += recordBytes(rec)
				r.budget.add(recordBytes(rec))
				it := b.add()
				it.index, it.offset = rec.Index, rec.Offset
				lastIndex, lastOffset = rec.Index, rec.Offset
				for _, k := range rec.Repaired {
					b.readRepairs = addReason(b.readRepairs, k)
				}
				if rec.Doc != nil {
					copyDoc(&it.doc, rec.Doc)
				} else {
					if b.arena == nil {
						// Sized once for a full batch rather than grown
						// by doubling from nothing in every new run.
						b.arena = make([]byte, 0, r.opts.BatchBytes+r.opts.BatchBytes/8)
					}
					start := len(b.arena)
					b.arena = append(b.arena, rec.Raw...)
					it.raw = b.arena[start:len(b.arena):len(b.arena)]
				}
				b.bytesRead = rec.StoredOffset
			}
			if b.full(r.opts) {
				if !send(ctx, work, b) {
					return ctx.Err()
				}
				if b, err = r.newBatch(ctx, &seq, name, fi, dec); err != nil {
					return err
				}
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b.bytesRead = max(b.bytesRead, src.Size())
		if !send(ctx, work, b) {
			return ctx.Err()
		}
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

func send(ctx context.Context, work chan<- *batch, b *batch) bool {
	select {
	case work <- b:
		return true
	case <-ctx.Done():
		return false
	}
}

// newBatch takes a free batch, waiting while all are in flight or while
// those in flight hold more than the in-flight budget: this is what
// bounds memory. Batches close at the same records whatever the timing,
// so the output does not depend on the worker count.
func (r *run) newBatch(ctx context.Context, seq *int, name string, fi int, dec Decoder) (*batch, error) {
	if err := r.budget.wait(ctx); err != nil {
		return nil, err
	}
	select {
	case b := <-r.free:
		b.seq = *seq
		*seq++
		b.name, b.fileIndex, b.dec = name, fi, dec
		b.n = 0
		b.arena = b.arena[:0]
		b.fileErrs = b.fileErrs[:0]
		b.bytesRead = 0
		b.repaired, b.repairedByStage, b.textBytes = 0, 0, 0
		b.readRepairs = b.readRepairs[:0]
		if len(b.counts) != len(r.stages) {
			b.counts = make([]stageCount, len(r.stages))
		}
		for i := range b.counts {
			b.counts[i] = stageCount{dropped: b.counts[i].dropped[:0]}
		}
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// add appends an item, reusing the document of an earlier batch.
func (b *batch) add() *item {
	if b.n == len(b.items) {
		b.items = append(b.items, item{})
	}
	it := &b.items[b.n]
	b.n++
	it.raw, it.readErr, it.outcome, it.reason, it.replayed = nil, nil, kept, "", false
	it.reasons = it.reasons[:0]
	it.doc.Reset()
	return it
}

func (b *batch) full(o Options) bool {
	return b.n >= o.BatchRecords || len(b.arena) >= o.BatchBytes
}

// copyDoc copies src into dst, keeping dst's slices' capacity.
func copyDoc(dst, src *Document) {
	sig, fields, memo := dst.Signals[:0], dst.Fields[:0], dst.memo
	*dst = *src
	dst.Signals = append(sig, src.Signals...)
	dst.Fields = append(fields, src.Fields...)
	dst.memo = memo
}

// readSpill sends the batches of the spill to work.
func (r *run) readSpill(ctx context.Context, work chan<- *batch) error {
	sr, err := newSpillReader(r.replay)
	if err != nil {
		return err
	}
	defer sr.close()
	seq := 0
	for {
		b, err := r.newBatch(ctx, &seq, "", 0, nil)
		if err != nil {
			return err
		}
		err = sr.next(b)
		if errors.Is(err, io.EOF) {
			r.free <- b
			return nil
		}
		if err != nil {
			r.free <- b
			return fmt.Errorf("reading back the first pass: %w", err)
		}
		// The replayed batch counts against the in-flight bound too.
		r.budget.add(b.reserved)
		if !send(ctx, work, b) {
			return ctx.Err()
		}
	}
}

// process decodes a batch's records and runs the stages over them.
func (r *run) process(b *batch) {
	var sb []byte
	for i := range b.items[:b.n] {
		it := &b.items[i]
		if it.replayed {
			// Decoded, identified and repaired in the first pass.
			if it.outcome == kept {
				r.runStages(b, it)
			}
			continue
		}
		if it.readErr != nil {
			var re *RecordError
			errors.As(it.readErr, &re)
			it.reason = "input." + re.Reason
			it.outcome = errored
			if re.Skip {
				it.outcome = skipped
			}
			continue
		}
		d := &it.doc
		if it.raw != nil {
			if err := b.dec.Decode(it.raw, d); err != nil {
				// A decoder sees bytes, not their place: name it here.
				var re *RecordError
				if errors.As(err, &re) {
					re.File, re.Index, re.Offset = b.name, it.index, it.offset
				}
				it.outcome, it.reason = errored, "input."+recordReason(err)
				it.readErr = err
				continue
			}
		}
		d.FileIndex, d.Record = b.fileIndex, it.index
		// A record that names its own source (a shard of an earlier run)
		// keeps it, so provenance survives chained runs; the derived id
		// always comes from this file and position, which are unique.
		if d.ID == "" || d.Source == "" {
			sb = append(append(sb[:0], b.name...), '#')
			sb = strconv.AppendInt(sb, it.index, 10)
			if d.ID == "" {
				d.ID = derivedID(xxhash.Sum64(sb))
			}
			if d.Source == "" {
				d.Source = string(sb)
			}
		}
		if !utf8.ValidString(d.Text) {
			d.Text = strings.ToValidUTF8(d.Text, "\uFFFD")
			b.repaired++
		}
		b.textBytes += int64(len(d.Text))
		r.runStages(b, it)
	}
}

// runStages passes one document through the stages, recording the
// outcome.
//
// In tag mode a stage's reason is appended to the document's reasons and
// the document goes on. A document with reasons is not passed to
// corpus-wide stages (Preparers: dedup, corpus statistics), neither
// observed nor judged: filter mode would never have shown it to them, so
// the copy a dedup stage keeps is the one filter mode keeps.
func (r *run) runStages(b *batch, it *item) {
	d := &it.doc
	text0 := d.Text
	if r.tagging && it.replayed {
		it.reasons = readReasons(d.Field(ReasonsField), it.reasons)
	}
	defer func() {
		// Sinks rely on valid UTF-8 text; text a stage rewrote is checked
		// once more, the rest is not (a string left as it was compares
		// equal without being read).
		if d.Text != text0 && it.outcome != errored && !utf8.ValidString(d.Text) {
			d.Text = strings.ToValidUTF8(d.Text, "\uFFFD")
			b.repairedByStage++
		}
		if r.tagging && it.outcome == kept {
			d.SetRawField(ReasonsField, appendReasons(nil, it.reasons))
		}
	}()
	for si, st := range r.stages {
		if len(it.reasons) > 0 {
			if _, ok := st.(Preparer); ok {
				continue
			}
		}
		c := &b.counts[si]
		c.in++
		before := d.Text
		t0 := time.Now()
		reason, err := r.process1(b, it, st)
		c.nanos += int64(time.Since(t0))
		switch {
		case err != nil:
			c.errored++
			it.outcome = errored
			return
		case reason != "" && r.modes[si] == Tag:
			c.dropped = addReason(c.dropped, reason)
			it.reasons = append(it.reasons, st.Name()+"."+reason)
		case reason != "":
			c.dropped = addReason(c.dropped, reason)
			it.outcome, it.reason = rejected, st.Name()+"."+reason
			return
		}
		c.out++
		if d.Text != before {
			c.rewritten++
		}
	}
	if r.observe != nil && len(it.reasons) == 0 {
		if err := r.observe1(b, it); err != nil {
			it.outcome = errored
		}
	}
}

// process1 runs st.Process on the item's document. An error or a panic
// is returned and recorded on the item ("<stage>.error",
// "<stage>.panic"): one hostile document must not end the run. (A stage
// that panicked while holding a lock of its own could still block the
// run; stages do not.)
func (r *run) process1(b *batch, it *item, st Stage) (reason string, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = r.panicked(b, it, st, v)
		}
	}()
	reason, err = st.Process(&it.doc)
	if err != nil {
		err = fmt.Errorf("stage %s: %w", st.Name(), err)
		it.reason, it.readErr = st.Name()+".error", err
	}
	return reason, err
}

// observe1 is process1 for the Preparer's Observe.
func (r *run) observe1(b *batch, it *item) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = r.panicked(b, it, r.observe, v)
		}
	}()
	if err = r.observe.Observe(&it.doc); err != nil {
		err = fmt.Errorf("stage %s: %w", r.observe.Name(), err)
		it.reason, it.readErr = r.observe.Name()+".error", err
	}
	return err
}

// panicked records a stage's panic on the item and logs it with its stack.
func (r *run) panicked(b *batch, it *item, st Stage, v any) error {
	err := fmt.Errorf("stage %s panicked: %v", st.Name(), v)
	it.reason, it.readErr = st.Name()+".panic", err
	r.opts.Logger.Error("stage panicked; document counted as errored", "stage", st.Name(),
		"file", b.name, "record", it.index, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	return err
}

// appendReasons appends reasons as a JSON list of strings.
func appendReasons(p []byte, reasons []string) []byte {
	p = append(p, '[')
	for i, r := range reasons {
		if i > 0 {
			p = append(p, ',')
		}
		p = jsontext.AppendString(p, r)
	}
	return append(p, ']')
}

// readReasons reads back the list appendReasons wrote (a document replayed
// from the first pass's spill); anything else reads as no reason.
func readReasons(raw []byte, dst []string) []string {
	dst = dst[:0]
	var rs []string
	if json.Unmarshal(raw, &rs) == nil {
		dst = append(dst, rs...)
	}
	return dst
}

func recordReason(err error) string {
	var re *RecordError
	if errors.As(err, &re) && re.Reason != "" {
		return re.Reason
	}
	return "decode_error"
}

// account adds a finished batch to the stats and hands its documents to
// the sink. It runs on one goroutine, in batch order.
func (r *run) account(s *Stats, b *batch, sink Sink) error {
	if r.spill != nil {
		r.spill.write(b)
	}
	b.keptDocs, b.rejDocs, b.rejWhy = b.keptDocs[:0], b.rejDocs[:0], b.rejWhy[:0]
	fi, ok := r.inputs[b.name]
	if !ok {
		fi = len(s.Inputs)
		r.inputs[b.name] = fi
		s.Inputs = append(s.Inputs, InputFile{File: b.name})
	}
	file := &s.Inputs[fi]
	for i := range b.items[:b.n] {
		it := &b.items[i]
		switch it.outcome {
		case skipped:
			s.Skipped[it.reason]++
			if it.index < 0 { // the whole file
				s.SkippedFiles = append(s.SkippedFiles, SkippedFile{File: b.name, Reason: it.reason, Why: errString(errors.Unwrap(it.readErr))})
			}
			continue
		case kept:
			s.DocsOut++
			if len(it.reasons) > 0 {
				s.DocsTagged++
			}
			normalizeLang(&it.doc, s)
			s.Languages[it.doc.Lang]++
			if n, ok := tokenCount(&it.doc); ok {
				s.TokensOut += n
				if s.TokensByLang == nil {
					s.TokensByLang = map[string]int64{}
				}
				s.TokensByLang[it.doc.Lang] += n
			}
			b.keptDocs = append(b.keptDocs, &it.doc)
		case rejected:
			s.DocsRejected++
			normalizeLang(&it.doc, nil)
			b.rejDocs = append(b.rejDocs, &it.doc)
			b.rejWhy = append(b.rejWhy, it.reason)
		case errored:
			s.DocsErrored++
			s.Errored[it.reason]++
			if file.DocsErrored < maxFileRecordErrors && len(s.RecordErrors) < maxRecordErrors {
				s.RecordErrors = append(s.RecordErrors, InputError{File: b.name, Position: it.offset, Record: it.index, Error: errString(it.readErr)})
			}
			if file.DocsErrored == 0 {
				file.FirstError = errString(it.readErr)
			}
			file.DocsErrored++
			if file.Errored == nil {
				file.Errored = map[string]int64{}
			}
			file.Errored[it.reason]++
		}
		s.DocsIn++
		file.DocsIn++
	}
	s.InputErrors = append(s.InputErrors, b.fileErrs...)
	s.TextBytesIn += b.textBytes
	if b.repaired > 0 {
		s.Repaired["invalid_utf8"] += b.repaired
	}
	if b.repairedByStage > 0 {
		s.Repaired["invalid_utf8_from_stage"] += b.repairedByStage
	}
	for _, rc := range b.readRepairs {
		s.Repaired[rc.reason] += rc.n
	}
	for i := range b.counts {
		c, st := &b.counts[i], &s.Stages[i]
		st.DocsIn += c.in
		st.DocsOut += c.out
		st.Errored += c.errored
		st.Rewritten += c.rewritten
		st.Seconds += float64(c.nanos) / 1e9
		for _, rc := range c.dropped {
			st.Dropped[rc.reason] += rc.n
		}
	}
	if sink == nil {
		return nil
	}
	if len(b.keptDocs) > 0 {
		if err := sink.Write(b.keptDocs); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
	}
	if len(b.rejDocs) > 0 {
		if err := sink.Reject(b.rejDocs, b.rejWhy); err != nil {
			return fmt.Errorf("writing rejected output: %w", err)
		}
	}
	return nil
}

// DerivedID is the id given to a record that has none: a hash of its
// source ("path#index"), so it is stable across runs and worker counts.
func DerivedID(source string) string {
	return derivedID(xxhash.Sum64String(source))
}

func derivedID(h uint64) string {
	const hex = "0123456789abcdef"
	var buf [16]byte
	for i := 15; i >= 0; i-- {
		buf[i] = hex[h&15]
		h >>= 4
	}
	return string(buf[:])
}

// recordBytes is what a record read counts against the in-flight budget.
func recordBytes(rec Record) int64 {
	if rec.Doc == nil {
		return int64(len(rec.Raw))
	}
	n := len(rec.Doc.Text) + len(rec.Doc.ID) + len(rec.Doc.URL)
	for _, f := range rec.Doc.Fields {
		n += len(f.Value)
	}
	return int64(n)
}

// budget counts the bytes of the records in flight.
type budget struct {
	mu          sync.Mutex
	used, limit int64
	wake        chan struct{} // closed at each release
}

func newBudget(limit int64) *budget {
	return &budget{limit: limit, wake: make(chan struct{})}
}

// add counts n more bytes; a batch being filled never waits.
func (b *budget) add(n int64) {
	b.mu.Lock()
	b.used += n
	b.mu.Unlock()
}

// release gives n bytes back.
func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

// wait returns once the bytes in flight are under the limit.
func (b *budget) wait(ctx context.Context) error {
	for {
		b.mu.Lock()
		if b.used < b.limit {
			b.mu.Unlock()
			return nil
		}
		w := b.wake
		b.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
