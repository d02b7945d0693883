//go:build !unix

package job

import "errors"

func lockDir(string) (func(), bool, error) {
	return nil, false, errors.New("locking a directory is not supported on this system")
}
