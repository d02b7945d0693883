package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// Options configure a run.
type Options struct {
	// Stages run in order on every document.
	Stages []Stage
	// Workers is the number of goroutines running stages; 0 means
	// GOMAXPROCS.
	Workers int
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
	for k, v := range first.Repaired {
		last.Repaired[k] += v
	}
	return last
}

// withDefaults fills in the options left zero.
func (opts Options) withDefaults(sources int) (Options, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.BatchRecords <= 0 {
		opts.BatchRecords = 1024
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
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
	Pass      int   // 1-based; the last pass writes the output
	Passes    int   //
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
	keptDocs        []*Document
	rejDocs         []*Document
	rejWhy          []string
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
}

func newRun(ctx context.Context, sources []Source, opts Options, stages []Stage, pass, passes int, start time.Time) *run {
	inflight := 2*opts.Workers + 2
	r := &run{ctx: ctx, sources: sources, opts: opts, stages: stages, pass_: pass, passes: passes, start: start,
		free: make(chan *batch, inflight)}
	for range inflight {
		r.free <- &batch{}
	}
	return r
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
				r.opts.Progress(Progress{Pass: r.pass_, Passes: r.passes, Docs: docs, BytesRead: bytes + curRead, Elapsed: time.Since(r.start)})
			}
			r.free <- b
		}
	}
	<-workersDone
	rerr := <-readErr
	for _, s := range r.sources {
		if sz := s.Size(); sz > 0 {
			stats.BytesIn += sz
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

// newBatch takes a free batch, waiting while all are in flight: this is
// what bounds memory.
func (r *run) newBatch(ctx context.Context, seq *int, name string, fi int, dec Decoder) (*batch, error) {
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
func (r *run) runStages(b *batch, it *item) {
	d := &it.doc
	text0 := d.Text
	defer func() {
		// Sinks rely on valid UTF-8 text; text a stage rewrote is checked
		// once more, the rest is not (a string left as it was compares
		// equal without being read).
		if d.Text != text0 && it.outcome != errored && !utf8.ValidString(d.Text) {
			d.Text = strings.ToValidUTF8(d.Text, "\uFFFD")
			b.repairedByStage++
		}
	}()
	for si, st := range r.stages {
		c := &b.counts[si]
		c.in++
		before := d.Text
		t0 := time.Now()
		reason, err := st.Process(d)
		c.nanos += int64(time.Since(t0))
		switch {
		case err != nil:
			c.errored++
			it.outcome, it.reason = errored, st.Name()+".error"
			it.readErr = fmt.Errorf("stage %s: %w", st.Name(), err)
			return
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
	if r.observe != nil {
		if err := r.observe.Observe(d); err != nil {
			it.outcome, it.reason = errored, r.observe.Name()+".error"
			it.readErr = fmt.Errorf("stage %s: %w", r.observe.Name(), err)
		}
	}
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
	for i := range b.items[:b.n] {
		it := &b.items[i]
		switch it.outcome {
		case skipped:
			s.Skipped[it.reason]++
			continue
		case kept:
			s.DocsOut++
			lang := it.doc.Lang
			if lang == "" {
				lang = "und"
			}
			s.Languages[lang]++
			b.keptDocs = append(b.keptDocs, &it.doc)
		case rejected:
			s.DocsRejected++
			b.rejDocs = append(b.rejDocs, &it.doc)
			b.rejWhy = append(b.rejWhy, it.reason)
		case errored:
			s.DocsErrored++
			s.Errored[it.reason]++
			if len(s.RecordErrors) < maxRecordErrors {
				s.RecordErrors = append(s.RecordErrors, InputError{File: b.name, Position: it.offset, Record: it.index, Error: errString(it.readErr)})
			}
		}
		s.DocsIn++
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
