package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
