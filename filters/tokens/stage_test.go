package tokens

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

func TestStage(t *testing.T) {
	tests := []struct {
		cfg  Config
		text string
		want string
	}{
		{Config{}, "hello world", "2"},
		{Config{Tokenizer: "o200k_base"}, "Hello, I'm here!!  \n\n  x", "8"},
		{Config{Tokenizer: "cl100k_base"}, "", "0"},
	}
	for _, tc := range tests {
		s, err := New(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		doc := &pipeline.Document{Text: tc.text}
		if reason, err := s.Process(doc); reason != "" || err != nil {
			t.Fatalf("Process = %q, %v; the stage never drops", reason, err)
		}
		if got := string(doc.Field(Column)); got != tc.want {
			t.Errorf("%+v %q: tokens = %s, want %s", tc.cfg, tc.text, got, tc.want)
		}
	}
}

// A rank file on disk is read with the pattern named; a bad one is a
// configuration error naming the file.
func TestStageRankFile(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < 256; i++ {
		b.WriteString(base64.StdEncoding.EncodeToString([]byte{byte(i)}))
		b.WriteString(" " + strconv.Itoa(i) + "\n")
	}
	b.WriteString(base64.StdEncoding.EncodeToString([]byte("ab")) + " 256\n")
	path := filepath.Join(dir, "tiny.tiktoken")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Tokenizer: path})
	if err != nil {
		t.Fatal(err)
	}
	doc := &pipeline.Document{Text: "abc ab"}
	s.Process(doc)
	// Pieces "abc" and " ab" (cl100k): ab|c and " "|ab.
	if got := string(doc.Field(Column)); got != "4" {
		t.Errorf("tokens = %s, want 4 (ab|c| |ab)", got)
	}
	if _, err := New(Config{Tokenizer: filepath.Join(dir, "missing")}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing rank file: err = %v", err)
	}
	if _, err := New(Config{Tokenizer: path, Pattern: "gpt2"}); err == nil {
		t.Error("unknown pattern accepted")
	}
}
