package fasttext

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sync"
	"sync/atomic"
)

// TrainOptions are the hyper-parameters of supervised training, named
// and defaulted as the reference CLI's `fasttext supervised` arguments.
type TrainOptions struct {
	Dim   int // -dim: vector size (100)
	Epoch int // -epoch: passes over the data (5)
	// LR is the learning rate at the start, decaying linearly to 0
	// (-lr, 0.1). The reference CLI reads a given -lr with std::stof:
	// float64(float32(x)) reproduces a run that passed -lr x.
	LR            float64
	WordNgrams    int    // -wordNgrams: max length of word n-grams (1)
	MinCount      int    // -minCount: minimal number of word occurrences (1)
	MinCountLabel int    // -minCountLabel: minimal number of label occurrences (0)
	Minn, Maxn    int    // -minn, -maxn: char n-gram lengths (0, 0: none)
	Bucket        int    // -bucket: number of hash buckets (2000000; 0 when there are no n-grams)
	Loss          string // -loss: softmax, hs, ova or ns (softmax)
	Neg           int    // -neg: negatives sampled, for ns (5)
	Threads       int    // -thread: hogwild workers (12); 1 is deterministic
	Seed          int    // -seed: random seed (0)
	LRUpdateRate  int    // -lrUpdateRate: tokens between learning-rate updates (100)
	Label         string // -label: label prefix ("__label__")
}

// DefaultTrainOptions returns the reference's defaults for supervised
// training.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{Dim: 100, Epoch: 5, LR: 0.1, WordNgrams: 1, MinCount: 1, Bucket: 2000000,
		Loss: "softmax", Neg: 5, Threads: 12, LRUpdateRate: 100, Label: labelPrefix}
}

func (o TrainOptions) args() (args, error) {
	a := args{dim: int32(o.Dim), ws: 5, epoch: int32(o.Epoch), minCount: int32(o.MinCount), neg: int32(o.Neg),
		wordNgrams: int32(o.WordNgrams), model: modelSup, bucket: int32(o.Bucket), minn: int32(o.Minn),
		maxn: int32(o.Maxn), lrUpdateRate: int32(o.LRUpdateRate), t: 1e-4}
	switch o.Loss {
	case "", "softmax":
		a.loss = lossSoftmax
	case "hs":
		a.loss = lossHS
	case "ova":
		a.loss = lossOVA
	case "ns":
		a.loss = lossNS
	default:
		return a, fmt.Errorf("loss %q: want softmax, hs, ova or ns", o.Loss)
	}
	switch {
	case o.Dim <= 0 || o.Dim > 1<<16:
		return a, fmt.Errorf("dim %d: want 1..65536", o.Dim)
	case o.Epoch <= 0:
		return a, fmt.Errorf("epoch %d: want at least 1", o.Epoch)
	case o.LR <= 0 || math.IsInf(o.LR, 0) || math.IsNaN(o.LR):
		return a, fmt.Errorf("lr %v: want a positive number", o.LR)
	case o.WordNgrams < 1:
		return a, fmt.Errorf("wordNgrams %d: want at least 1", o.WordNgrams)
	case o.Minn < 0 || o.Maxn < 0 || (o.Maxn > 0 && o.Minn > o.Maxn) || o.Maxn > 64:
		return a, fmt.Errorf("minn %d, maxn %d: want 0 <= minn <= maxn", o.Minn, o.Maxn)
	case o.Bucket < 0 || o.Bucket > math.MaxInt32/2:
		return a, fmt.Errorf("bucket %d out of range", o.Bucket)
	case o.Threads <= 0 || o.Threads > 4096:
		return a, fmt.Errorf("thread %d: want 1..4096", o.Threads)
	case o.LRUpdateRate <= 0:
		return a, fmt.Errorf("lrUpdateRate %d: want at least 1", o.LRUpdateRate)
	case o.Neg < 0:
		return a, fmt.Errorf("neg %d is negative", o.Neg)
	}
	// Args::parseArgs: without n-grams no bucket rows are allocated.
	if o.WordNgrams <= 1 && o.Maxn == 0 {
		a.bucket = 0
	}
	return a, nil
}

// Train trains a supervised classifier on the file at path, in fastText
// format ("__label__a __label__b words ..." per line), as `fasttext
// supervised` does: the same dictionary, initialisation, sampling and
// learning-rate schedule. With Threads 1 the result is deterministic and
// equals the reference CLI's -thread 1 model; with more threads the
// workers share the weights without locks (hogwild), as the reference's
// do, and the result varies from run to run.
func Train(ctx context.Context, path string, o TrainOptions) (*Model, error) {
	a, err := o.args()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	label := o.Label
	if label == "" {
		label = labelPrefix
	}
	d, err := buildDictionary(f, &a, label, int64(o.MinCountLabel))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if d.nlabels == 0 {
		return nil, fmt.Errorf("%s: no labels (lines start with %s<label>)", path, label)
	}
	m := &Model{args: a, version: fileVersion, dict: d}
	dim := int(a.dim)
	in := &dense{m: int(d.nwords) + int(a.bucket), n: dim}
	in.data = make([]float32, in.m*in.n)
	uniformInit(in.data, float32(1.0/float64(a.dim)), o.Threads, o.Seed)
	out := &dense{m: int(d.nlabels), n: dim, data: make([]float32, int(d.nlabels)*dim)}
	m.in, m.out = in, out
	m.init()

	t := &trainer{m: m, in: in, out: out, lr: o.LR, threads: o.Threads, seed: o.Seed,
		total: int64(a.epoch) * d.ntokens, size: st.Size(), path: path, ctx: ctx}
	if a.loss == lossHS {
		t.paths, t.codes = treePaths(m.tree, len(m.labels))
	}
	if a.loss == lossNS {
		t.negatives = negativeTable(d)
	}
	if err := t.run(); err != nil {
		return nil, err
	}
	return m, nil
}

// uniformInit is DenseMatrix::uniform(a, thread, seed): ten blocks, block
// b drawn from minstd_rand(b + seed), one worker per block — so with one
// thread only the first tenth is drawn and the rest stays zero, as in the
// reference.
func uniformInit(data []float32, a float32, threads, seed int) {
	blocks := 1
	if threads > 1 {
		blocks = threads
	}
	size := int64(len(data))
	bs := size / 10
	var wg sync.WaitGroup
	for b := 0; b < blocks; b++ {
		wg.Go(func() {
			r := newMinstd(int64(b + seed))
			lo, hi := bs*int64(b), min(size, bs*int64(b+1))
			for i := lo; i < hi; i++ {
				data[i] = float32(r.uniformReal(-float64(a), float64(a)))
			}
		})
	}
	wg.Wait()
}

// treePaths lists, for each label, the output rows on its path to the
// root and the branch taken at each (HierarchicalSoftmaxLoss::buildTree).
func treePaths(tree []node, osz int) ([][]int32, [][]bool) {
	paths, codes := make([][]int32, osz), make([][]bool, osz)
	for i := 0; i < osz; i++ {
		for j := int32(i); tree[j].parent != -1; j = tree[j].parent {
			paths[i] = append(paths[i], tree[j].parent-int32(osz))
			codes[i] = append(codes[i], tree[j].binary)
		}
	}
	return paths, codes
}

// negativeTableSize is NegativeSamplingLoss::NEGATIVE_TABLE_SIZE.
const negativeTableSize = 10000000

// negativeTable is NegativeSamplingLoss's table: each label repeated in
// proportion to the square root of its count.
func negativeTable(d *dictionary) []int32 {
	var z float32
	for _, e := range d.words[d.nwords:] {
		z = float32(float64(z) + math.Pow(float64(e.count), 0.5))
	}
	var neg []int32
	for i, e := range d.words[d.nwords:] {
		c := float32(math.Pow(float64(e.count), 0.5))
		bound := c * negativeTableSize / z
		for j := 0; float32(j) < bound; j++ {
			neg = append(neg, int32(i))
		}
	}
	return neg
}

type trainer struct {
	m       *Model
	in, out *dense
	lr      float64
	threads int
	seed    int
	total   int64 // epoch × tokens in the file
	size    int64
	path    string
	ctx     context.Context

	paths     [][]int32
	codes     [][]bool
	negatives []int32

	tokenCount atomic.Int64
	stop       atomic.Bool
	errMu      sync.Mutex
	err        error
}

func (t *trainer) fail(err error) {
	t.errMu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.errMu.Unlock()
	t.stop.Store(true)
}

// run is FastText::startThreads: one worker per thread, each starting at
// its share's byte offset, until epoch × tokens have been read.
func (t *trainer) run() error {
	var wg sync.WaitGroup
	for id := 0; id < t.threads; id++ {
		wg.Go(func() { t.worker(id) })
	}
	wg.Wait()
	if t.err != nil {
		return t.err
	}
	return t.ctx.Err()
}

// trainState is one worker's scratch (Model::State).
type trainState struct {
	state
	grad []float32
	rng  *minstd
}

// worker is FastText::trainThread for supervised models.
func (t *trainer) worker(id int) {
	f, err := os.Open(t.path)
	if err != nil {
		t.fail(err)
		return
	}
	defer f.Close()
	lr := newLoopReader(f, int64(id)*t.size/int64(t.threads))
	dim := int(t.m.args.dim)
	s := &trainState{grad: make([]float32, dim), rng: newMinstd(int64(id + t.seed))}
	s.hidden = make([]float32, dim)
	s.output = make([]float32, t.out.m)
	d := t.m.dict
	rate := int64(t.m.args.lrUpdateRate)
	var local int64
	for n := 0; t.tokenCount.Load() < t.total && !t.stop.Load(); n++ {
		if n%4096 == 0 && t.ctx.Err() != nil {
			t.stop.Store(true)
			return
		}
		progress := float32(t.tokenCount.Load()) / float32(t.total)
		rate32 := float32(t.lr * (1.0 - float64(progress)))
		line, eol, err := lr.next()
		if err != nil {
			t.fail(fmt.Errorf("%s: %w", t.path, err))
			return
		}
		d.line(&s.lineState, line, eol)
		local += int64(s.ntokens)
		t.supervised(s, rate32)
		if local > rate {
			t.tokenCount.Add(local)
			local = 0
		}
	}
}

// supervised is FastText::supervised: one example, one target label drawn
// among the line's labels (all of them for one-vs-all).
func (t *trainer) supervised(s *trainState, lr float32) {
	if len(s.labels) == 0 || len(s.ids) == 0 {
		return
	}
	target := -1
	if t.m.args.loss != lossOVA {
		target = int(s.rng.uniformInt(uint64(len(s.labels))))
	}
	t.update(s, target, lr)
}

// update is Model::update: forward, the loss's gradient, then the input
// rows of the example move by the averaged gradient.
func (t *trainer) update(s *trainState, target int, lr float32) {
	m := t.m
	m.computeHidden(s.ids, s.hidden)
	clear(s.grad)
	switch m.args.loss {
	case lossSoftmax:
		m.computeOutput(s.hidden, s.output)
		tgt := int(s.labels[target])
		for i := range s.output {
			var label float32
			if i == tgt {
				label = 1
			}
			t.step(s, i, lr*(label-s.output[i]))
		}
	case lossHS:
		tgt := s.labels[target]
		for i, row := range t.paths[tgt] {
			t.binaryLogistic(s, int(row), t.codes[tgt][i], lr)
		}
	case lossOVA:
		for i := 0; i < t.out.m; i++ {
			t.binaryLogistic(s, i, slices.Contains(s.labels, int32(i)), lr)
		}
	case lossNS:
		tgt := s.labels[target]
		t.binaryLogistic(s, int(tgt), true, lr)
		if t.out.m > 1 {
			for n := 0; n < int(m.args.neg); n++ {
				neg := tgt
				for neg == tgt {
					neg = t.negatives[s.rng.uniformInt(uint64(len(t.negatives)))]
				}
				t.binaryLogistic(s, int(neg), false, lr)
			}
		}
	}
	inv := float32(1.0 / float64(len(s.ids)))
	for j := range s.grad {
		s.grad[j] *= inv
	}
	for _, id := range s.ids {
		row := t.in.row(int(id))
		g := s.grad[:len(row)]
		for j := range row {
			row[j] += g[j]
		}
	}
}

// binaryLogistic is BinaryLogisticLoss::binaryLogistic with backprop.
func (t *trainer) binaryLogistic(s *trainState, row int, positive bool, lr float32) {
	score := t.m.sigmoidOf(t.out.dotRow(s.hidden, row))
	var label float32
	if positive {
		label = 1
	}
	t.step(s, row, lr*(label-score))
}

// step adds alpha × output row to the gradient, then alpha × hidden to
// the output row (Vector::addRow, then DenseMatrix::addVectorToRow).
func (t *trainer) step(s *trainState, row int, alpha float32) {
	w := t.out.row(row)
	g, h := s.grad[:len(w)], s.hidden[:len(w)]
	for j, v := range w {
		g[j] += float32(alpha * v)
	}
	for j := range w {
		w[j] += float32(alpha * h[j])
	}
}

// loopReader reads a training file line by line from an offset, starting
// over at its end (Dictionary::getLine's reset).
type loopReader struct {
	f    *os.File
	br   *bufio.Reader
	long []byte
}

func newLoopReader(f *os.File, off int64) *loopReader {
	r := &loopReader{f: f}
	r.br = bufio.NewReaderSize(io.NewSectionReader(f, off, math.MaxInt64-off), 1<<16)
	return r
}

// next returns the next line (without its newline) and whether it had
// one; at the end of the file it starts over.
func (r *loopReader) next() (string, bool, error) {
	for wrapped := false; ; {
		b, err := r.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			r.long = append(r.long, b...)
			continue
		}
		if r.long != nil {
			b = append(r.long, b...)
			r.long = nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, err
		}
		if len(b) > 0 {
			eol := b[len(b)-1] == '\n'
			if eol {
				b = b[:len(b)-1]
			}
			return string(b), eol, nil
		}
		if wrapped {
			return "", false, nil // an empty file
		}
		wrapped = true
		r.br.Reset(io.NewSectionReader(r.f, 0, math.MaxInt64))
	}
}

// Save writes the model in the reference's format (FastText::saveModel):
// a .bin, or a .ftz for a quantized model.
func (m *Model) Save(w io.Writer) error {
	bw := newBinWriter(w)
	bw.i32(fileMagic)
	bw.i32(fileVersion)
	m.args.write(bw)
	m.dict.write(bw)
	bw.bool(m.quant)
	writeMatrix(bw, m.in)
	bw.bool(m.args.qout)
	writeMatrix(bw, m.out)
	return bw.flush()
}

func writeMatrix(w *binWriter, mt matrix) {
	switch x := mt.(type) {
	case *dense:
		x.write(w)
	case *quant:
		x.write(w)
	}
}

// SaveFile writes the model to path.
func (m *Model) SaveFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := m.Save(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
