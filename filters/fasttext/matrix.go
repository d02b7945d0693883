package fasttext

import "fmt"

// matrix is the reference's Matrix interface, restricted to what
// prediction and training need. Arithmetic is float32 step by step as in
// densematrix.cc and productquantizer.cc; the explicit float32 conversions
// keep the compiler from fusing a multiply and an add, which would round
// differently from the reference.
type matrix interface {
	rows() int
	cols() int
	addRow(x []float32, i int)         // x += row i
	dotRow(x []float32, i int) float32 // row i · x
}

// dense is DenseMatrix: m rows of n float32, row-major.
type dense struct {
	m, n int
	data []float32
}

func (d *dense) rows() int { return d.m }
func (d *dense) cols() int { return d.n }

func (d *dense) row(i int) []float32 { return d.data[i*d.n : (i+1)*d.n] }

func (d *dense) addRow(x []float32, i int) {
	r := d.row(i)
	x = x[:len(r)]
	// Element-wise, so unrolling keeps the reference's results; it is
	// where prediction spends its time.
	j := 0
	for ; j+8 <= len(r); j += 8 {
		xs, rs := x[j:j+8:j+8], r[j:j+8:j+8]
		xs[0] += rs[0]
		xs[1] += rs[1]
		xs[2] += rs[2]
		xs[3] += rs[3]
		xs[4] += rs[4]
		xs[5] += rs[5]
		xs[6] += rs[6]
		xs[7] += rs[7]
	}
	for ; j < len(r); j++ {
		x[j] += r[j]
	}
}

func (d *dense) dotRow(x []float32, i int) float32 {
	r := d.row(i)
	x = x[:len(r)]
	var s float32
	for j, v := range r {
		s += float32(v * x[j])
	}
	return s
}

// maxMatrixCells bounds a matrix's declared size (16 GiB of float32).
const maxMatrixCells = 1 << 32

func readDense(r *binReader) (*dense, error) {
	m, n := r.i64(), r.i64()
	if r.err != nil {
		return nil, r.err
	}
	if m < 0 || n < 0 || (n > 0 && m > maxMatrixCells/n) {
		return nil, fmt.Errorf("offset %d: bad matrix shape %d×%d", r.off, m, n)
	}
	data := r.f32s(m * n)
	if r.err != nil {
		return nil, r.err
	}
	return &dense{m: int(m), n: int(n), data: data}, nil
}

func (d *dense) write(w *binWriter) {
	w.i64(int64(d.m))
	w.i64(int64(d.n))
	w.f32s(d.data)
}

const ksub = 256 // centroids per sub-quantizer (ProductQuantizer::ksub_)

// pq is ProductQuantizer: dim split into nsubq sub-vectors of dsub
// (the last of lastdsub), each coded by one of 256 centroids.
type pq struct {
	dim, nsubq, dsub, lastdsub int
	centroids                  []float32
}

// centroid is ProductQuantizer::get_centroids.
func (p *pq) centroid(m int, c uint8) []float32 {
	if m == p.nsubq-1 {
		o := m*ksub*p.dsub + int(c)*p.lastdsub
		return p.centroids[o : o+p.lastdsub]
	}
	o := (m*ksub + int(c)) * p.dsub
	return p.centroids[o : o+p.dsub]
}

// addCode is ProductQuantizer::addcode: x += alpha · decoded row.
func (p *pq) addCode(x []float32, code []uint8, alpha float32) {
	for m := 0; m < p.nsubq; m++ {
		c := p.centroid(m, code[m])
		xs := x[m*p.dsub : m*p.dsub+len(c)]
		for j, v := range c {
			xs[j] += float32(alpha * v)
		}
	}
}

// mulCode is ProductQuantizer::mulcode: (decoded row · x) · alpha.
func (p *pq) mulCode(x []float32, code []uint8, alpha float32) float32 {
	var s float32
	for m := 0; m < p.nsubq; m++ {
		c := p.centroid(m, code[m])
		xs := x[m*p.dsub : m*p.dsub+len(c)]
		for j, v := range c {
			s += float32(xs[j] * v)
		}
	}
	return s * alpha
}

func readPQ(r *binReader) (*pq, error) {
	p := &pq{dim: int(r.i32()), nsubq: int(r.i32()), dsub: int(r.i32()), lastdsub: int(r.i32())}
	if r.err != nil {
		return nil, r.err
	}
	if p.dim <= 0 || p.nsubq <= 0 || p.dsub <= 0 || p.lastdsub <= 0 || p.lastdsub > p.dsub ||
		p.dim > 1<<20 || (p.nsubq-1)*p.dsub+p.lastdsub != p.dim {
		return nil, fmt.Errorf("offset %d: inconsistent product quantizer (dim %d, %d sub-quantizers of %d, last %d)",
			r.off, p.dim, p.nsubq, p.dsub, p.lastdsub)
	}
	p.centroids = r.f32s(int64(p.dim) * ksub)
	if r.err != nil {
		return nil, r.err
	}
	return p, nil
}

func (p *pq) write(w *binWriter) {
	w.i32(int32(p.dim))
	w.i32(int32(p.nsubq))
	w.i32(int32(p.dsub))
	w.i32(int32(p.lastdsub))
	w.f32s(p.centroids)
}

// quant is QuantMatrix: product-quantized rows, optionally with their
// norms quantized separately (-qnorm).
type quant struct {
	m, n      int
	codes     []uint8 // m × pq.nsubq
	pq        *pq
	qnorm     bool
	normCodes []uint8 // m
	npq       *pq     // dim 1
}

func (q *quant) rows() int { return q.m }
func (q *quant) cols() int { return q.n }

func (q *quant) norm(i int) float32 {
	if !q.qnorm {
		return 1
	}
	return q.npq.centroid(0, q.normCodes[i])[0]
}

func (q *quant) code(i int) []uint8 {
	return q.codes[i*q.pq.nsubq : (i+1)*q.pq.nsubq]
}

func (q *quant) addRow(x []float32, i int) { q.pq.addCode(x, q.code(i), q.norm(i)) }

func (q *quant) dotRow(x []float32, i int) float32 { return q.pq.mulCode(x, q.code(i), q.norm(i)) }

func readQuant(r *binReader) (*quant, error) {
	q := &quant{qnorm: r.bool()}
	m, n := r.i64(), r.i64()
	codesize := r.i32()
	if r.err != nil {
		return nil, r.err
	}
	if m < 0 || n <= 0 || n > 1<<20 || m > maxMatrixCells || codesize < 0 {
		return nil, fmt.Errorf("offset %d: bad quantized matrix shape %d×%d (%d codes)", r.off, m, n, codesize)
	}
	q.m, q.n = int(m), int(n)
	q.codes = r.bytes(int64(codesize))
	var err error
	if q.pq, err = readPQ(r); err != nil {
		return nil, err
	}
	if q.pq.dim != q.n || int64(codesize) != m*int64(q.pq.nsubq) {
		return nil, fmt.Errorf("offset %d: quantizer does not fit the matrix (%d×%d, %d codes, quantizer dim %d × %d)",
			r.off, m, n, codesize, q.pq.dim, q.pq.nsubq)
	}
	if q.qnorm {
		q.normCodes = r.bytes(m)
		if q.npq, err = readPQ(r); err != nil {
			return nil, err
		}
		if q.npq.dim != 1 {
			return nil, fmt.Errorf("offset %d: norm quantizer of dimension %d, want 1", r.off, q.npq.dim)
		}
	}
	return q, r.err
}

func (q *quant) write(w *binWriter) {
	w.bool(q.qnorm)
	w.i64(int64(q.m))
	w.i64(int64(q.n))
	w.i32(int32(len(q.codes)))
	w.write(q.codes)
	q.pq.write(w)
	if q.qnorm {
		w.write(q.normCodes)
		q.npq.write(w)
	}
}
