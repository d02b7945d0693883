package fasttext

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// FuzzLoad: any bytes either load into a model that predicts without
// panicking, or fail with an error.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"tiny.bin", "tiny.ftz"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, s := range []string{"", "kato rimé lusa", "ünknown wörds \xff", "__label__c1 x"} {
			m.Predict(s, -1, 0)
			m.Predict(s, 2, 0.2)
		}
	})
}

// TestLoadMutations is FuzzLoad's property over deterministic random
// damage (overwritten bytes, boundary integers, truncation) of both test
// models: every variant fails with an error or loads and predicts, within
// a second.
func TestLoadMutations(t *testing.T) {
	n := 4000
	if testing.Short() {
		n = 500
	}
	interesting := []uint32{0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 255, 256, 1 << 20, 1 << 16}
	for _, name := range []string{"tiny.bin", "tiny.ftz"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < n; i++ {
			b := append([]byte(nil), data...)
			for j := 0; j < 1+r.IntN(3); j++ {
				p := r.IntN(len(b) - 4)
				switch r.IntN(3) {
				case 0:
					b[p] = byte(r.IntN(256))
				case 1:
					binary.LittleEndian.PutUint32(b[p:], interesting[r.IntN(len(interesting))])
				case 2:
					b = b[:p+r.IntN(len(b)-p)]
				}
			}
			start := time.Now()
			if m, err := Load(bytes.NewReader(b)); err == nil {
				m.Predict("kato rimé ünknown", -1, 0)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("%s variant %d took %v", name, i, d)
			}
		}
	}
}
