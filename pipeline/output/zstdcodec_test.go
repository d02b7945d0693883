package output

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

func TestParallelZstdSameBytesOnAnyCoreCountAndDecodable(t *testing.T) {
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := codec.(*parallelZstd); !ok {
		t.Fatalf("zstd codec is %T, not the parallel one", codec)
	}
	var src bytes.Buffer
	for i := 0; src.Len() < 1<<20+12345; i++ {
		fmt.Fprintf(&src, "line %d of a page of text, with some variety %x\n", i, i*i)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var ref []byte
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		got := codec.EncodeLevel(nil, src.Bytes(), 1)
		if ref == nil {
			ref = got
		} else if !bytes.Equal(got, ref) {
			t.Fatalf("GOMAXPROCS %d: different bytes", procs)
		}
		if int64(len(got)) > codec.CompressBound(int64(src.Len())) {
			t.Errorf("output %d exceeds bound", len(got))
		}
	}
	// Any zstd decoder reads the concatenated frames as one stream.
	dec, _ := zstd.NewReader(nil)
	plain, err := dec.DecodeAll(ref, nil)
	if err != nil || !bytes.Equal(plain, src.Bytes()) {
		t.Fatalf("decode: %v (equal %v)", err, bytes.Equal(plain, src.Bytes()))
	}
	back, err := compress.Decode(codec, make([]byte, src.Len()), ref)
	if err != nil || !bytes.Equal(back, src.Bytes()) {
		t.Fatalf("codec decode: %v", err)
	}
	if _, err := compress.Decode(codec, nil, ref[:len(ref)/2]); err == nil {
		t.Error("truncated input decoded without error")
	}
}
