//go:build unix

package job

import (
	"errors"
	"os"
	"syscall"
)

// lockDir takes an exclusive advisory lock on the directory dir, held
// until unlock or the process's end (a killed run leaves no stale lock).
// busy is true when another process holds it; err reports a file system
// that cannot lock (some network file systems), which callers tolerate.
func lockDir(dir string) (unlock func(), busy bool, err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, errors.Is(err, syscall.EWOULDBLOCK), err
	}
	return func() { f.Close() }, false, nil
}
