package fasttext

// Loss functions, numbered as in the reference's args.h (loss_name).
const (
	lossHS      = 1
	lossNS      = 2
	lossSoftmax = 3
	lossOVA     = 4
)

// Model kinds (model_name in args.h); only supervised models classify.
const (
	modelCBOW = 1
	modelSG   = 2
	modelSup  = 3
)

const (
	fileMagic   = 793712314 // FASTTEXT_FILEFORMAT_MAGIC_INT32
	fileVersion = 12        // FASTTEXT_VERSION
	labelPrefix = "__label__"
)

// args is the block of hyper-parameters stored at the head of a model
// file (Args::save/load): twelve int32 and one float64.
type args struct {
	dim, ws, epoch, minCount, neg, wordNgrams int32
	loss, model                               int32
	bucket, minn, maxn, lrUpdateRate          int32
	t                                         float64
	qout                                      bool // stored after the input matrix
}

func (a *args) read(r *binReader) {
	a.dim = r.i32()
	a.ws = r.i32()
	a.epoch = r.i32()
	a.minCount = r.i32()
	a.neg = r.i32()
	a.wordNgrams = r.i32()
	a.loss = r.i32()
	a.model = r.i32()
	a.bucket = r.i32()
	a.minn = r.i32()
	a.maxn = r.i32()
	a.lrUpdateRate = r.i32()
	a.t = r.f64()
}

func (a *args) write(w *binWriter) {
	for _, v := range []int32{a.dim, a.ws, a.epoch, a.minCount, a.neg, a.wordNgrams,
		a.loss, a.model, a.bucket, a.minn, a.maxn, a.lrUpdateRate} {
		w.i32(v)
	}
	w.f64(a.t)
}
