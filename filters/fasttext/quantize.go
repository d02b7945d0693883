package fasttext

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
)

// QuantizeOptions are the arguments of `fasttext quantize`.
type QuantizeOptions struct {
	Dsub   int  // -dsub: size of each sub-vector (2)
	Qnorm  bool // -qnorm: quantize the norms separately
	Qout   bool // -qout: quantize the output matrix too (needs 256 labels or more)
	Cutoff int  // -cutoff: keep only this many words and n-grams, by norm (0: all)
	// Retrain, with Cutoff, fine-tunes the kept rows on Input first
	// (-retrain, with -input, -epoch, -lr, -thread).
	Retrain bool
	Input   string
	Epoch   int     // 5
	LR      float64 // 0.05, the reference's default outside `supervised` (see TrainOptions.LR)
	Threads int     // 12
}

// DefaultQuantizeOptions returns the reference's defaults.
func DefaultQuantizeOptions() QuantizeOptions {
	return QuantizeOptions{Dsub: 2, Epoch: 5, LR: 0.05, Threads: 12}
}

// ErrTooSmall is returned when a matrix has fewer rows than a product
// quantizer has centroids (256): quantize the output (-qout) only with
// that many labels.
var ErrTooSmall = errors.New("matrix too small for quantization: it needs at least 256 rows")

// Quantize compresses a trained (dense) model as FastText::quantize does:
// optionally keep the cutoff input rows of largest norm (and retrain
// them), then product-quantize the input matrix (and the output matrix
// with Qout). The model changes in place and saves as a .ftz file.
func (m *Model) Quantize(ctx context.Context, o QuantizeOptions) error {
	in, ok := m.in.(*dense)
	if !ok {
		return errors.New("the model is already quantized")
	}
	out, ok := m.out.(*dense)
	if !ok {
		return errors.New("the model's output is already quantized")
	}
	if o.Dsub <= 0 || o.Dsub > int(m.args.dim) {
		return fmt.Errorf("dsub %d: want 1..dim (%d)", o.Dsub, m.args.dim)
	}
	if o.Qout && out.m < ksub {
		return fmt.Errorf("-qout: %w (the output has %d)", ErrTooSmall, out.m)
	}
	if o.Cutoff > 0 && o.Cutoff < in.m {
		idx := m.selectEmbeddings(in, o.Cutoff)
		m.dict.pruneTo(idx)
		nin := &dense{m: len(idx), n: in.n, data: make([]float32, len(idx)*in.n)}
		for i, r := range idx {
			copy(nin.row(i), in.row(int(r)))
		}
		in = nin
		m.in = in
		if o.Retrain {
			if o.Input == "" {
				return errors.New("-retrain needs the training input")
			}
			if o.Epoch <= 0 || o.Threads <= 0 || o.LR <= 0 {
				return fmt.Errorf("retrain: epoch %d, lr %v, thread %d: want positive values", o.Epoch, o.LR, o.Threads)
			}
			st, err := os.Stat(o.Input)
			if err != nil {
				return err
			}
			m.args.epoch = int32(o.Epoch)
			t := &trainer{m: m, in: in, out: out, lr: o.LR, threads: o.Threads, seed: 0,
				total: int64(m.args.epoch) * m.dict.ntokens, size: st.Size(), path: o.Input, ctx: ctx}
			if m.args.loss == lossHS {
				t.paths, t.codes = treePaths(m.tree, len(m.labels))
			}
			if m.args.loss == lossNS {
				t.negatives = negativeTable(m.dict)
			}
			if err := t.run(); err != nil {
				return err
			}
		}
	}
	if in.m < ksub {
		return fmt.Errorf("%w (the input has %d)", ErrTooSmall, in.m)
	}
	m.in = newQuant(in, o.Dsub, o.Qnorm)
	m.args.qout = o.Qout
	if o.Qout {
		m.out = newQuant(out, 2, o.Qnorm)
	}
	m.quant = true
	return nil
}

// selectEmbeddings is FastText::selectEmbeddings: the cutoff rows of
// largest L2 norm, "</s>" first.
func (m *Model) selectEmbeddings(in *dense, cutoff int) []int32 {
	norms := make([]float32, in.m)
	for i := range norms {
		norms[i] = l2Norm(in.row(i))
	}
	idx := make([]int32, in.m)
	for i := range idx {
		idx[i] = int32(i)
	}
	eosid := int32(-1)
	if id, ok := m.dict.ids[eos]; ok {
		eosid = id
	}
	stdSort(idx, func(a, b *int32) bool {
		if *a == eosid && *b == eosid {
			return false
		}
		return *a == eosid || (*b != eosid && norms[*a] > norms[*b])
	})
	return idx[:cutoff]
}

// l2Norm is DenseMatrix::l2NormRow: float products summed in double.
func l2Norm(r []float32) float32 {
	var s float64
	for _, v := range r {
		s += float64(v * v)
	}
	return float32(math.Sqrt(s))
}

// pruneTo is Dictionary::prune: keep the words among idx (in id order) and
// map the kept n-gram buckets to rows after them.
func (d *dictionary) pruneTo(idx []int32) {
	var words, ngrams []int32
	for _, i := range idx {
		if i < d.nwords {
			words = append(words, i)
		} else {
			ngrams = append(ngrams, i)
		}
	}
	stdSort(words, func(a, b *int32) bool { return *a < *b })
	copy(idx, words)
	copy(idx[len(words):], ngrams)
	if d.prune == nil {
		d.prune = make(map[int32]int32, len(ngrams))
	}
	for j, ng := range ngrams {
		d.prune[ng-d.nwords] = int32(j)
	}
	d.pruneSize = int64(len(d.prune))
	j := 0
	for i := range d.words {
		if d.words[i].label || (j < len(words) && words[j] == int32(i)) {
			d.words[j] = d.words[i]
			j++
		}
	}
	d.nwords = int32(len(words))
	d.words = d.words[:int(d.nwords)+int(d.nlabels)]
	clear(d.ids)
	for i, e := range d.words {
		d.ids[e.word] = int32(i)
	}
	d.initSubwords()
}

// Product quantization (ProductQuantizer and QuantMatrix's constructor):
// k-means over each sub-vector with the reference's seeding, so that the
// codes are the reference's.
const (
	pqNiter     = 25
	pqEps       = float32(1e-7)
	pqMaxPoints = 256 * ksub
	pqSeed      = 1234
)

func newPQ(dim, dsub int) *pq {
	p := &pq{dim: dim, nsubq: dim / dsub, dsub: dsub, centroids: make([]float32, dim*ksub)}
	p.lastdsub = dim % dsub
	if p.lastdsub == 0 {
		p.lastdsub = dsub
	} else {
		p.nsubq++
	}
	return p
}

// newQuant quantizes mat (QuantMatrix(DenseMatrix&&, dsub, qnorm)); mat's
// rows are normalised in place when qnorm is set.
func newQuant(mat *dense, dsub int, qnorm bool) *quant {
	q := &quant{m: mat.m, n: mat.n, qnorm: qnorm, pq: newPQ(mat.n, dsub)}
	q.codes = make([]uint8, mat.m*q.pq.nsubq)
	if qnorm {
		norms := make([]float32, mat.m)
		for i := range norms {
			norms[i] = l2Norm(mat.row(i))
			if n := norms[i]; n != 0 {
				r := mat.row(i)
				for j := range r {
					r[j] /= n
				}
			}
		}
		q.npq = newPQ(1, 1)
		q.normCodes = make([]uint8, mat.m)
		q.npq.train(mat.m, norms)
		q.npq.computeCodes(norms, q.normCodes, mat.m)
	}
	q.pq.train(mat.m, mat.data)
	q.pq.computeCodes(mat.data, q.codes, mat.m)
	return q
}

func distL2(x, y []float32) float32 {
	var d float32
	for i, v := range x {
		t := v - y[i]
		d += float32(t * t)
	}
	return d
}

// assign is ProductQuantizer::assign_centroid: the nearest of the 256
// centroids c (stride d), the first on ties.
func assign(x, c []float32, d int) uint8 {
	best := distL2(x[:d], c[:d])
	code := uint8(0)
	for j := 1; j < ksub; j++ {
		if dj := distL2(x[:d], c[j*d:j*d+d]); dj < best {
			code, best = uint8(j), dj
		}
	}
	return code
}

func (p *pq) train(n int, x []float32) {
	rng := newMinstd(pqSeed)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	d := p.dsub
	np := min(n, pqMaxPoints)
	xslice := make([]float32, np*p.dsub)
	for m := 0; m < p.nsubq; m++ {
		if m == p.nsubq-1 {
			d = p.lastdsub
		}
		if np != n {
			shuffle(perm, rng)
		}
		for j := 0; j < np; j++ {
			copy(xslice[j*d:j*d+d], x[perm[j]*p.dim+m*p.dsub:])
		}
		off := m * ksub * p.dsub
		p.kmeans(xslice[:np*d], p.centroids[off:off+ksub*d], np, d, rng)
	}
}

func (p *pq) kmeans(x, c []float32, n, d int, rng *minstd) {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	shuffle(perm, rng)
	for i := 0; i < ksub; i++ {
		copy(c[i*d:i*d+d], x[perm[i]*d:perm[i]*d+d])
	}
	codes := make([]uint8, n)
	nelts := make([]int32, ksub)
	for it := 0; it < pqNiter; it++ {
		for i := 0; i < n; i++ { // Estep
			codes[i] = assign(x[i*d:], c, d)
		}
		// MStep
		clear(nelts)
		clear(c)
		for i := 0; i < n; i++ {
			k := int(codes[i])
			ck, xi := c[k*d:k*d+d], x[i*d:i*d+d]
			for j := range ck {
				ck[j] += xi[j]
			}
			nelts[k]++
		}
		for k := 0; k < ksub; k++ {
			if z := float32(nelts[k]); z != 0 {
				ck := c[k*d : k*d+d]
				for j := range ck {
					ck[j] /= z
				}
			}
		}
		for k := 0; k < ksub; k++ {
			if nelts[k] != 0 {
				continue
			}
			m := 0
			for rng.uniformReal(0, 1)*float64(n-ksub) >= float64(nelts[m]-1) {
				m = (m + 1) % ksub
			}
			copy(c[k*d:k*d+d], c[m*d:m*d+d])
			for j := 0; j < d; j++ {
				sign := float32((j%2)*2 - 1)
				c[k*d+j] += sign * pqEps
				c[m*d+j] -= sign * pqEps
			}
			nelts[k] = nelts[m] / 2
			nelts[m] -= nelts[k]
		}
	}
}

func (p *pq) computeCodes(x []float32, codes []uint8, n int) {
	for i := 0; i < n; i++ {
		d := p.dsub
		for m := 0; m < p.nsubq; m++ {
			if m == p.nsubq-1 {
				d = p.lastdsub
			}
			off := m * ksub * p.dsub
			codes[i*p.nsubq+m] = assign(x[i*p.dim+m*p.dsub:], p.centroids[off:off+ksub*d], d)
		}
	}
}

// shuffle is libstdc++'s std::shuffle with a minstd_rand: two positions
// per draw while the range allows it.
func shuffle(s []int, rng *minstd) {
	n := uint64(len(s))
	if n == 0 {
		return
	}
	const urngRange = minstdMax - minstdMin
	if urngRange/n >= n {
		i := uint64(1)
		if n%2 == 0 {
			j := rng.uniformInt(2)
			s[i], s[j] = s[j], s[i]
			i++
		}
		for i != n {
			swapRange := i + 1
			x := rng.uniformInt(swapRange * (swapRange + 1))
			a, b := x/(swapRange+1), x%(swapRange+1)
			s[i], s[a] = s[a], s[i]
			i++
			s[i], s[b] = s[b], s[i]
			i++
		}
		return
	}
	for i := uint64(1); i < n; i++ {
		j := rng.uniformInt(i + 1)
		s[i], s[j] = s[j], s[i]
	}
}
