package job

import (
	"testing"

	"github.com/klauspost/compress/zstd"
)

func decompressedSize(b *testing.B, raw []byte) int64 {
	d, err := zstd.NewReader(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	plain, err := d.DecodeAll(raw, nil)
	if err != nil {
		b.Fatal(err)
	}
	return int64(len(plain))
}
