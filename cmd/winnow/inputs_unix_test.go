//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A pipe — what `winnow run <(zcat a.jsonl.gz)` reads — gives its
// documents, not nothing.
func TestRunReadsPipe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	data := strings.Repeat(`{"text":"a line of text"}`+"\n", 50)
	go func() {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString(data)
		f.Close()
	}()
	out := filepath.Join(t.TempDir(), "out")
	if code, msg := winnow(t, "run", p, "-o", out, "--only", "none", "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if s := readStats(t, filepath.Join(out, "stats.json")); s.DocsIn != 50 {
		t.Errorf("docs_in %d, want 50", s.DocsIn)
	}
}

// A run on a FIFO that no one writes to (it waits in open) or that an
// idle writer holds (it waits in read) ends within a second of SIGINT or
// SIGTERM, with the interrupted status.
func TestRunInterruptedWhileWaitingOnPipe(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writer bool
		sig    syscall.Signal
	}{{"no writer, SIGINT", false, syscall.SIGINT}, {"idle writer, SIGTERM", true, syscall.SIGTERM}} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skipf("no FIFOs here: %v", err)
			}
			if tc.writer {
				held := make(chan *os.File, 1)
				go func() {
					// Blocks until the run opens the FIFO; then holds
					// it open without writing until the test ends.
					f, err := os.OpenFile(p, os.O_WRONLY, 0)
					if err == nil {
						f.WriteString(`{"text":"no end`)
					}
					held <- f
				}()
				t.Cleanup(func() {
					// A reader of our own releases a writer still
					// waiting for one.
					if r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
						defer r.Close()
					}
					if f := <-held; f != nil {
						f.Close()
					}
				})
			}
			var stderr bytes.Buffer
			cmd := winnowProcess(t, &stderr, "run", p, "-o", filepath.Join(t.TempDir(), "out"), "--only", "none")
			time.Sleep(500 * time.Millisecond) // let it reach the wait
			start := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running 5 s after %v; stderr: %s", tc.sig, stderr.String())
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("ended %v after %v, want within a second", d, tc.sig)
			}
			if code := cmd.ProcessState.ExitCode(); code != exitCanceled {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitCanceled, stderr.String())
			}
		})
	}
}
