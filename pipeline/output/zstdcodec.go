package output

import (
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// parallelZstd is the Parquet zstd codec with page compression spread over
// the cores.
//
// Why: the writer runs on one goroutine (output order is the input's), and
// zstd of the text pages is most of its time, so without this the whole
// conversion cannot scale past about 1.5× on 2 cores. A page is cut into
// fixed pieces, each compressed as its own zstd frame, and the frames are
// concatenated: the zstd format defines a stream of frames, and every
// Parquet reader's decoder (zstd's own, klauspost's, DuckDB's, Arrow C++'s)
// decodes one. The piece size is fixed, never derived from the core count,
// so the bytes are the same on any machine. Decoding and streaming are the
// library's own codec's.
type parallelZstd struct {
	compress.Codec // arrow-go's zstd codec, for decoding
	pools          sync.Map
}

// zstdPiece is the piece size. 256 KiB pieces cost well under 1% of
// compression ratio against whole 1 MiB pages at level 1.
const zstdPiece = 256 << 10

func init() {
	base, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		panic("output: arrow-go has no zstd codec: " + err.Error())
	}
	compress.RegisterCodec(compress.Codecs.Zstd, &parallelZstd{Codec: base})
}

func (z *parallelZstd) encoder(level int) (*zstd.Encoder, *sync.Pool) {
	p, ok := z.pools.Load(level)
	if !ok {
		lvl := zstd.EncoderLevelFromZstd(level)
		p, _ = z.pools.LoadOrStore(level, &sync.Pool{New: func() any {
			// A piece is never longer than zstdPiece, so a larger window
			// would only hold memory (8 MiB per pooled encoder by default).
			e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(lvl), zstd.WithEncoderConcurrency(1), zstd.WithZeroFrames(true),
				zstd.WithWindowSize(zstdPiece))
			if err != nil {
				panic(err) // only for invalid options, which are constants here
			}
			return e
		}})
	}
	pool := p.(*sync.Pool)
	return pool.Get().(*zstd.Encoder), pool
}

// Encode compresses src at zstd's default level.
func (z *parallelZstd) Encode(dst, src []byte) []byte {
	return z.EncodeLevel(dst, src, 3)
}

// EncodeLevel compresses src as one frame per piece, the pieces
// concurrently.
func (z *parallelZstd) EncodeLevel(dst, src []byte, level int) []byte {
	if level <= 0 {
		level = 3
	}
	n := (len(src) + zstdPiece - 1) / zstdPiece
	if n <= 1 {
		e, pool := z.encoder(level)
		defer pool.Put(e)
		return e.EncodeAll(src, dst[:0])
	}
	outs := make([][]byte, n)
	encode := func(i int) {
		e, pool := z.encoder(level)
		defer pool.Put(e)
		piece := src[i*zstdPiece : min((i+1)*zstdPiece, len(src))]
		outs[i] = e.EncodeAll(piece, make([]byte, 0, len(piece)/2))
	}
	if runtime.GOMAXPROCS(0) == 1 {
		for i := range n {
			encode(i)
		}
	} else {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { encode(i) })
		}
		wg.Wait()
	}
	dst = dst[:0]
	for _, o := range outs {
		dst = append(dst, o...)
	}
	return dst
}

// CompressBound bounds the output of EncodeLevel: each frame may add its
// header and block overheads.
func (z *parallelZstd) CompressBound(n int64) int64 {
	pieces := (n + zstdPiece - 1) / zstdPiece
	return z.Codec.CompressBound(n) + pieces*64
}

// DecodeWithError decodes with the library's codec, reporting damage.
func (z *parallelZstd) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(z.Codec, dst, src)
}
