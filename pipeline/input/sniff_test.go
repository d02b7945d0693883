package input

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

// Binary files found among documents are skipped whole, named, whatever
// their extension; compressed ones are judged by their decoded bytes;
// record formats with magic bytes and text are read.
func TestBinaryFilesSkipped(t *testing.T) {
	rnd := make([]byte, 3000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range rnd {
		rnd[i] = byte(r.UintN(255) + 1) // no NUL: the density test decides
	}
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	tarball := append(bytes.Repeat([]byte("x"), 257), "ustar\x0000"...)
	latin1 := []byte("Le caf\xe9 de la gare est ferm\xe9 depuis l'\xe9t\xe9 dernier.\n")
	tests := []struct {
		name string
		data []byte
		why  string // "" when read as documents
	}{
		{"logo.png", png, "PNG image"},
		{"anim.gif", []byte("GIF89a\x01\x00\x01\x00"), "GIF image"},
		{"photo.jpg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "JPEG image"},
		{"manual.pdf", []byte("%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "PDF document"},
		{"manual.pdf.gz", gzipBytes(t, []byte("%PDF-1.4\n")), "PDF document"},
		{"image.txt", png, "PNG image"},     // a misleading name
		{"records.jsonl", png, "PNG image"}, // likewise
		{"docs.zip", []byte("PK\x03\x04\x14\x00"), "ZIP archive"},
		{"prog", []byte("\x7fELF\x02\x01\x01"), "ELF executable"},
		{"font.woff2", []byte("wOF2\x00\x01\x00\x00"), "WOFF2 font"},
		{"src.tar", tarball, "tar archive"},
		{"catalog.mo", []byte("\xde\x12\x04\x95\x00\x00"), "gettext catalogue"},
		{"blob.bin", rnd, "not text: "},
		{"nul.txt", []byte("text\x00more text"), "not text: a NUL byte at 4"},
		{"plain.txt", []byte("Plain text, ünïcödé, 日本語.\n"), ""},
		{"latin1.txt", latin1, ""},
		{"README", []byte("ID3 tags name the artist of an MP3 file.\n"), ""},
		{"colored.log", []byte("\x1b[31merror\x1b[0m: disk full\n"), ""},
		{"man.txt", []byte("N\bNA\bAM\bME\bE\n  ls - list directory contents\n"), ""},
		{"utf16.txt", []byte("\xff\xfeH\x00i\x00"), ""},
		{"data.jsonl", []byte(`{"text":"hello"}` + "\n"), ""},
		{"crawl.warc", []byte("WARC/1.0\r\nWARC-Type: response\r\n\r\n\x00\x89PNG\x00"), ""},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			src, err := Open(File{Path: p, Size: int64(len(tc.data))}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var skip *pipeline.RecordError
			for _, err := range src.Records(t.Context()) {
				if re, ok := err.(*pipeline.RecordError); ok && re.Skip && re.Index < 0 {
					skip = re
				}
			}
			switch {
			case tc.why == "" && skip != nil:
				t.Errorf("skipped as %v, want it read", skip)
			case tc.why != "" && skip == nil:
				t.Errorf("read, want it skipped as %q", tc.why)
			case tc.why != "" && (skip.Reason != SkipBinary || !strings.HasPrefix(skip.Err.Error(), tc.why) || skip.File != p):
				t.Errorf("skipped as %s %q (file %s), want %s %q", skip.Reason, skip.Err, skip.File, SkipBinary, tc.why)
			}
		})
	}
}

// Parquet is a record format, not binary junk, though its pages are.
func TestParquetNotSkipped(t *testing.T) {
	src, err := Open(File{Path: "../../testdata/sample/books.parquet"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(*skippedFile); ok {
		t.Fatal("Parquet file skipped as binary")
	}
}

// notText's threshold: text in an 8-bit encoding passes, data does not.
func TestNotTextShare(t *testing.T) {
	for _, tc := range []struct {
		head   []byte
		binary bool
	}{
		{[]byte(strings.Repeat("abc\xe9 ", 100)), false},               // 20% invalid: Latin-1 heavy
		{[]byte(strings.Repeat("\xe0\xe1\xe2 ", 100)), true},           // 75%: Windows-1251 or data
		{[]byte(strings.Repeat("a\x01\x02\x03", 100)), true},           // control bytes
		{[]byte("ok \xe6\x97\xa5\xe6"), false},                         // a sequence cut by the end
		{bytes.Repeat([]byte("\xe6\x97\xa5\xe6\x9c\xac "), 50), false}, // CJK
	} {
		if got := notText(tc.head) != ""; got != tc.binary {
			t.Errorf("notText(%q…) = %q, want binary %v", tc.head[:min(12, len(tc.head))], notText(tc.head), tc.binary)
		}
	}
}
