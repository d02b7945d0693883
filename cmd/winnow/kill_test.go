package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/winnow-data/winnow/internal/sampledata"
)

// TestMain lets a test run the command as a separate process (the test
// binary re-executed with WINNOW_TEST_MAIN=1), to kill it like a
// scheduler would.
func TestMain(m *testing.M) {
	if os.Getenv("WINNOW_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// winnowProcess starts the command as a process.
func winnowProcess(t *testing.T, stderr *bytes.Buffer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "WINNOW_TEST_MAIN=1")
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// A task killed mid-way leaves no shard a reader would see and no
// completion marker; run again, it finishes with every document once.
func TestKilledTaskRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and kills a 6 MB run")
	}
	in := filepath.Join(t.TempDir(), "big.jsonl.zst")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := sampledata.WriteLarge(f, 7, 6<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Two inputs, so task 1 of 2 has a share of its own.
	if err := os.Link(in, strings.Replace(in, "big", "big2", 1)); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	args := []string{"run", filepath.Dir(in), "-o", out, "--only", "none", "--tasks", "2", "--task", "1",
		"--workers", "1", "--max-shard-bytes", "200000", "-q"}

	var stderr bytes.Buffer
	cmd := winnowProcess(t, &stderr, args...)
	// Kill it once it has written some of its (rotated) shards.
	deadline := time.Now().Add(60 * time.Second)
	for {
		tmp, _ := filepath.Glob(filepath.Join(out, "lang=*", ".part-*.tmp"))
		if len(tmp) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no shard being written after 60 s; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if got := shards(t, out); len(got) != 0 {
		t.Errorf("a killed task left visible shards: %v", got)
	}
	if _, err := os.Stat(filepath.Join(out, "_tasks", "write", "00001.done")); err == nil {
		t.Error("a killed task left a completion marker")
	}

	stderr.Reset()
	cmd = winnowProcess(t, &stderr, args...)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("rerun: %v; stderr: %s", err, stderr.String())
	}
	var n int
	for _, s := range shards(t, out) {
		n += len(readParquet(t, s, "id", "text"))
	}
	if int64(n) != docs {
		t.Errorf("after the rerun %d documents written, want %d (the share's)", n, docs)
	}
	code, msg := winnow(t, "stats", "merge", out, "--tasks", "2")
	if code == 0 || !strings.Contains(msg, "[0]") {
		t.Errorf("merge with task 0 never run: exit %d, %s", code, msg)
	}
	// The killed run's temporary files are replaced, not left beside.
	tmp, _ := filepath.Glob(filepath.Join(out, "lang=*", ".part-*.tmp"))
	if len(tmp) != 0 {
		t.Errorf("temporary files left after the rerun: %v", tmp)
	}
}
