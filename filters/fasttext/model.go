package fasttext

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
)

// Model is a loaded fastText supervised classifier. It is immutable after
// Load and safe for concurrent use.
type Model struct {
	args    args
	version int32
	dict    *dictionary
	in, out matrix
	quant   bool // input matrix product-quantized (.ftz)

	labels  []string
	tree    []node // hierarchical softmax only
	sigmoid [sigmoidTableSize + 1]float32

	pool sync.Pool // *state
}

// Prediction is one label with its probability.
type Prediction struct {
	Label string  // as the model names it, e.g. "__label__en"
	Prob  float32 // the probability `fasttext predict-prob` prints
}

// ErrFormat is wrapped by every error about a malformed model file.
var ErrFormat = errors.New("not a valid fastText model")

// LoadFile reads a model from a .bin or .ftz file.
func LoadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Load reads a model as FastText::loadModel does: the magic and version,
// the arguments, the dictionary, the input matrix (dense or quantized),
// the qout flag and the output matrix. Only supervised models are
// accepted. A malformed or truncated file is an error wrapping ErrFormat
// with the byte offset; memory grows only as the file's bytes arrive.
func Load(r io.Reader) (*Model, error) {
	m, err := load(newBinReader(r))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return m, nil
}

func load(r *binReader) (*Model, error) {
	magic, version := r.i32(), r.i32()
	if r.err != nil {
		return nil, r.err
	}
	if magic != fileMagic {
		return nil, fmt.Errorf("offset 0: bad magic number %#x", uint32(magic))
	}
	if version < 11 || version > fileVersion {
		return nil, fmt.Errorf("offset 4: unsupported format version %d (want 11 or 12)", version)
	}
	m := &Model{version: version}
	a := &m.args
	a.read(r)
	if r.err != nil {
		return nil, r.err
	}
	if a.model != modelSup {
		return nil, fmt.Errorf("offset %d: not a supervised classifier (model kind %d)", r.off, a.model)
	}
	if version == 11 {
		a.maxn = 0 // FastText::loadModel: old supervised models have no char n-grams
	}
	// maxn bounds the n-grams of a word (a word of n bytes has up to
	// n·maxn); fastText's own use 0 to 6.
	if a.dim <= 0 || a.dim > 1<<20 || a.minn < 0 || a.maxn < 0 || a.maxn > 64 || a.bucket < 0 || a.wordNgrams < 0 {
		return nil, fmt.Errorf("offset %d: bad arguments (dim %d, minn %d, maxn %d, bucket %d, wordNgrams %d)",
			r.off, a.dim, a.minn, a.maxn, a.bucket, a.wordNgrams)
	}
	if a.loss < lossHS || a.loss > lossOVA {
		return nil, fmt.Errorf("offset %d: unknown loss %d", r.off, a.loss)
	}
	d, err := readDictionary(r, a)
	if err != nil {
		return nil, err
	}
	m.dict = d
	if d.nlabels == 0 {
		return nil, fmt.Errorf("offset %d: the model has no labels", r.off)
	}
	m.quant = r.bool()
	if m.in, err = readMatrix(r, m.quant); err != nil {
		return nil, err
	}
	if !m.quant && d.pruneSize >= 0 {
		return nil, fmt.Errorf("offset %d: pruned dictionary with a dense input matrix", r.off)
	}
	a.qout = r.bool()
	if m.out, err = readMatrix(r, m.quant && a.qout); err != nil {
		return nil, err
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("offset %d: %w", r.off, err)
	}
	m.init()
	return m, nil
}

func readMatrix(r *binReader, quantized bool) (matrix, error) {
	if r.err != nil {
		return nil, r.err
	}
	if quantized {
		return readQuant(r)
	}
	return readDense(r)
}

// check verifies that every row predict can reach exists.
func (m *Model) check() error {
	d, a := m.dict, &m.args
	dim := int(a.dim)
	if m.in.cols() != dim || m.out.cols() != dim {
		return fmt.Errorf("matrix width %d/%d does not match dim %d", m.in.cols(), m.out.cols(), dim)
	}
	in := int64(m.in.rows())
	if in < int64(d.nwords) {
		return fmt.Errorf("input matrix has %d rows for %d words", in, d.nwords)
	}
	if d.pruneSize < 0 {
		if in < int64(d.nwords)+int64(a.bucket) {
			return fmt.Errorf("input matrix has %d rows for %d words and %d buckets", in, d.nwords, a.bucket)
		}
	} else {
		for _, to := range d.prune {
			if int64(d.nwords)+int64(to) >= in {
				return fmt.Errorf("pruned index row %d beyond the input matrix (%d rows)", to, in)
			}
		}
	}
	out := m.out.rows()
	if a.loss == lossHS {
		if out < int(d.nlabels)-1 {
			return fmt.Errorf("output matrix has %d rows for %d labels", out, d.nlabels)
		}
	} else if out != int(d.nlabels) {
		return fmt.Errorf("output matrix has %d rows for %d labels", out, d.nlabels)
	}
	return nil
}

func (m *Model) init() {
	d := m.dict
	m.labels = make([]string, d.nlabels)
	counts := make([]int64, d.nlabels)
	for i := range m.labels {
		e := d.words[int(d.nwords)+i]
		m.labels[i] = e.word
		counts[i] = e.count
	}
	m.initSigmoid()
	if m.args.loss == lossHS {
		m.tree = buildTree(counts)
	}
	dim, osz := int(m.args.dim), m.out.rows()
	m.pool.New = func() any {
		s := &state{hidden: make([]float32, dim), output: make([]float32, osz)}
		s.in, s.sum = m.in, s.hidden // prediction sums rows as it finds them
		return s
	}
}

// Labels returns the model's labels in its own order (label ids).
func (m *Model) Labels() []string { return append([]string(nil), m.labels...) }

// Dim is the dimension of the model's vectors.
func (m *Model) Dim() int { return int(m.args.dim) }

// Quantized reports whether the input matrix is product-quantized (.ftz).
func (m *Model) Quantized() bool { return m.quant }

// state is the scratch of one prediction (Model::State).
type state struct {
	lineState
	hidden, output []float32
	heap           []scored
}

// scored is one (log-probability, label id) pair of the top-k heap.
type scored struct {
	score float32
	id    int32
}

// Predict returns the k most probable labels of text whose probability
// reaches threshold, most probable first: what `fasttext predict-prob
// MODEL - k threshold` prints for text as one line (newlines inside text
// count as spaces, as in callers that flatten a document to one line).
// k <= 0 asks for every label, as -1 does in the reference.
func (m *Model) Predict(text string, k int, threshold float32) []Prediction {
	return m.PredictAppend(nil, text, k, threshold)
}

// PredictAppend is Predict appending to dst: with a dst of enough
// capacity it allocates nothing. It is safe for concurrent use.
func (m *Model) PredictAppend(dst []Prediction, text string, k int, threshold float32) []Prediction {
	s := m.pool.Get().(*state)
	m.dict.line(&s.lineState, text, true)
	dst = m.appendResults(dst, s, k, threshold)
	m.pool.Put(s)
	return dst
}

// appendResults runs the classifier over the line dict.line summed into
// s.hidden and appends the predictions (FastText::predictLine).
func (m *Model) appendResults(dst []Prediction, s *state, k int, threshold float32) []Prediction {
	if s.nids == 0 {
		return dst
	}
	if k <= 0 {
		k = m.out.rows() // Model::predict's kUnlimitedPredictions
	}
	m.average(s.hidden, s.nids)
	m.predictHidden(s, k, threshold)
	for _, p := range s.heap {
		dst = append(dst, Prediction{Label: m.labels[p.id], Prob: expf(p.score)})
	}
	return dst
}

// predictHidden is Model::predict after computeHidden: the loss's top-k.
func (m *Model) predictHidden(s *state, k int, threshold float32) {
	s.heap = s.heap[:0]
	if m.args.loss == lossHS {
		m.dfs(s, k, threshold, int32(len(m.tree)-1), 0)
	} else {
		m.computeOutput(s.hidden, s.output)
		for i, o := range s.output {
			if o < threshold {
				continue
			}
			sc := stdLog(o)
			if len(s.heap) == k && sc < s.heap[0].score {
				continue
			}
			s.heap = pushHeap(s.heap, scored{sc, int32(i)})
			if len(s.heap) > k {
				s.heap = popHeap(s.heap)
			}
		}
	}
	sortHeap(s.heap)
}

// computeHidden is Model::computeHidden: the average of the input rows.
func (m *Model) computeHidden(ids []int32, hidden []float32) {
	clear(hidden)
	for _, id := range ids {
		m.in.addRow(hidden, int(id))
	}
	m.average(hidden, len(ids))
}

// average divides the sum of n rows as Vector::mul(1.0 / n) does.
func (m *Model) average(hidden []float32, n int) {
	inv := float32(1.0 / float64(n))
	for j := range hidden {
		hidden[j] *= inv
	}
}

// computeOutput is SoftmaxLoss::computeOutput or, for one-vs-all and
// negative sampling, BinaryLogisticLoss::computeOutput.
func (m *Model) computeOutput(hidden, output []float32) {
	for i := range output {
		output[i] = m.out.dotRow(hidden, i)
	}
	if m.args.loss != lossSoftmax {
		for i, o := range output {
			output[i] = m.sigmoidOf(o)
		}
		return
	}
	mx := output[0]
	for _, o := range output {
		mx = max32(o, mx)
	}
	var z float32
	for i, o := range output {
		// The reference calls the C library's double exp here.
		output[i] = float32(math.Exp(float64(o - mx)))
		z += output[i]
	}
	for i := range output {
		output[i] /= z
	}
}

// max32 is std::max(a, b): b unless a is greater (NaN keeps b).
func max32(a, b float32) float32 {
	if b < a {
		return a
	}
	return b
}

// stdLog is loss.cc's std_log: log(x + 1e-5) in double, rounded to float.
func stdLog(x float32) float32 { return float32(math.Log(float64(x) + 1e-5)) }

const (
	sigmoidTableSize = 512
	maxSigmoid       = 8
	logTableSize     = 512
)

// initSigmoid fills Loss's sigmoid lookup table, with its float steps.
func (m *Model) initSigmoid() {
	for i := range m.sigmoid {
		x := float32(i*2*maxSigmoid)/sigmoidTableSize - maxSigmoid
		m.sigmoid[i] = float32(1.0 / (1.0 + float64(expf(-x))))
	}
}

// sigmoidOf is Loss::sigmoid: a table lookup, truncating the index.
func (m *Model) sigmoidOf(x float32) float32 {
	if x < -maxSigmoid {
		return 0
	}
	if x > maxSigmoid {
		return 1
	}
	if x != x {
		return 0 // NaN: the reference indexes garbage; stay in bounds
	}
	i := int64((x + maxSigmoid) * sigmoidTableSize / maxSigmoid / 2)
	return m.sigmoid[i]
}

// node is one node of the hierarchical-softmax Huffman tree.
type node struct {
	parent, left, right int32
	count               int64
	binary              bool
}

// buildTree is HierarchicalSoftmaxLoss::buildTree: a Huffman tree over the
// label counts (which are sorted decreasing), leaves first. Counts that
// are not sorted could make the reference read nodes not yet built; here
// such a pick is clamped so a hostile file cannot index out of range.
func buildTree(counts []int64) []node {
	osz := int32(len(counts))
	tree := make([]node, 2*osz-1)
	for i := range tree {
		tree[i] = node{parent: -1, left: -1, right: -1, count: 1e15}
	}
	for i := int32(0); i < osz; i++ {
		tree[i].count = counts[i]
	}
	leaf, nd := osz-1, osz
	for i := osz; i < 2*osz-1; i++ {
		var mini [2]int32
		for j := 0; j < 2; j++ {
			if leaf >= 0 && (nd >= i || tree[leaf].count < tree[nd].count) {
				mini[j] = leaf
				leaf--
			} else {
				mini[j] = nd
				nd++
			}
		}
		tree[i].left, tree[i].right = mini[0], mini[1]
		tree[i].count = tree[mini[0]].count + tree[mini[1]].count
		tree[mini[0]].parent = i
		tree[mini[1]].parent = i
		tree[mini[1]].binary = true
	}
	return tree
}

// dfs is HierarchicalSoftmaxLoss::dfs: the best-first walk that prunes
// subtrees whose log-probability cannot enter the top k.
func (m *Model) dfs(s *state, k int, threshold float32, n int32, score float32) {
	if score < stdLog(threshold) {
		return
	}
	if len(s.heap) == k && score < s.heap[0].score {
		return
	}
	t := &m.tree[n]
	if t.left == -1 && t.right == -1 {
		s.heap = pushHeap(s.heap, scored{score, n})
		if len(s.heap) > k {
			s.heap = popHeap(s.heap)
		}
		return
	}
	osz := int32(len(m.labels))
	f := m.out.dotRow(s.hidden, int(n-osz))
	f = float32(1.0 / float64(1+expf(-f)))
	m.dfs(s, k, threshold, t.left, score+stdLog(float32(1.0-float64(f))))
	m.dfs(s, k, threshold, t.right, score+stdLog(f))
}
