package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

func TestAppendEscaped(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text, ünïcode, 日本\n\ttab", "plain text, ünïcode, 日本\n\ttab"},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"\x1b]0;title\x07", `\x1b]0;title\x07`},
		{"hidden\rshown", `hidden\x0dshown`},
		{"\u009b2J", `\u009b2J`},
		{"abc\u202edcba", `abc\u202edcba`},
		{"bad \xff byte", `bad \xff byte`},
		{"del\x7f", `del\x7f`},
	} {
		if got := string(appendEscaped(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

// File names and data reach messages: the terminal sees them escaped, on
// every path — a usage error, a damaged-input warning and the summary.
func TestMessagesEscapeTerminalSequences(t *testing.T) {
	dir := t.TempDir()
	evil := filepath.Join(dir, "evil\x1b]0;pwned\x07\x1b[2J.jsonl")
	if err := os.WriteFile(evil, []byte("{\"id\":\"1\",\"text\":\"fine\"}\n{\"id\":\"2\",\"text\":\"\x1b[31m"), 0o644); err != nil {
		t.Skip("file system refuses control characters in names:", err)
	}
	for _, args := range [][]string{
		{"run", filepath.Join(dir, "missing\x1b[2J.jsonl"), "-o", t.TempDir()},
		{"run", dir, "-o", t.TempDir(), "--only", "none"},
	} {
		_, msg := winnow(t, args...)
		if strings.ContainsAny(msg, "\x1b\x07") {
			t.Errorf("%q: raw control characters reach stderr: %q", args, msg)
		}
		if !strings.Contains(msg, `\x1b`) {
			t.Errorf("%q: the escaped name is not shown: %q", args, msg)
		}
	}
}

// The bar spans every pass of a run: it never reaches its end before the
// last pass (where it used to finish, and vanish, after the first of
// five), grows monotonically and names each pass.
func TestProgressCoversEveryPass(t *testing.T) {
	const total = 1000
	var last int64 = -1
	for pass := 1; pass <= 5; pass++ {
		name := "prepare minhash"
		if pass == 5 {
			name = "write"
		}
		for _, read := range []int64{0, 500, total} {
			v, end, desc := progressState(pipeline.Progress{Pass: pass, Passes: 5, Name: name, BytesRead: read, Docs: 7}, total)
			if end != 5*total || v < last || (v == end) != (pass == 5 && read == total) {
				t.Errorf("pass %d, %d read: value %d of %d (previous %d)", pass, read, v, end, last)
			}
			if !strings.Contains(desc, fmt.Sprintf("pass %d/5 %s", pass, name)) {
				t.Errorf("description %q", desc)
			}
			last = v
		}
	}
}

// An absurd --workers is clamped (it used to start that many goroutines
// and exhaust memory).
func TestRunClampsWorkers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	out := t.TempDir()
	if code, msg := winnow(t, "run", sampleDir+"/forum.ndjson", "-o", out, "--only", "none", "--workers", "99999999"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if s := readStats(t, filepath.Join(out, "stats.json")); s.Workers > 4*runtime.NumCPU() || s.DocsOut != 60 {
		t.Errorf("workers %d, docs out %d", s.Workers, s.DocsOut)
	}
}
