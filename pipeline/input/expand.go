package input

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/winnow-data/winnow/pipeline/storage"
)

// skipSuffixes are names that sit next to data files but are not inputs:
// job markers, checksums, Parquet summary files.
var skipSuffixes = []string{
	"_SUCCESS", "_FAILURE", ".crc", ".md5", ".sha1", ".sha256", ".sha512",
	"_metadata", "_common_metadata",
}

// skipped reports whether a file or directory met while walking a
// directory or matched by a glob is not an input: hidden names (leading
// '.' or, as Hadoop and Spark have it, '_': a winnow output's _tasks and
// _work, Spark's _temporary), winnow's own stats.json, and files with the
// names of job markers, checksums and summaries. So the output of one run
// is the input of the next as it is.
func skipped(name string, dir bool) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return true
	}
	if dir {
		return false
	}
	if name == "stats.json" {
		return true
	}
	if strings.HasPrefix(name, "_committed_") || strings.HasPrefix(name, "_started_") {
		return true
	}
	for _, s := range skipSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// Expand turns command-line arguments into a sorted, de-duplicated list of
// files. An argument is a file (taken as it is), a directory (walked
// recursively, skipping hidden files and directories and non-input files
// such as _SUCCESS or *.crc) or a shell glob (filepath.Match syntax; "**"
// is not supported), whose matches are filtered like a directory's
// entries and walked when they are directories. Symbolic links to files
// are followed, and so is a link given as an argument; links to
// directories met while walking are not, to stay clear of cycles.
//
// An argument may also be a URL of object storage (s3://, gs://,
// azblob://, mem://; see package storage for parameters and
// credentials): a URL naming an object is that object; a URL ending in
// "/" or naming a prefix lists every object under it, filtered like a
// directory's entries; a glob in the last element (s3://b/crawl/*.warc.gz)
// matches objects and prefixes with path.Match. A file:// URL is the
// local path it names.
//
// The result is sorted by path, so every split of it into tasks is
// deterministic. An argument that matches no file is an error naming it.
func Expand(args []string) ([]File, error) {
	return ExpandContext(context.Background(), args)
}

// ExpandContext is Expand with a context for the listing of object
// storage.
func ExpandContext(ctx context.Context, args []string) ([]File, error) {
	seen := make(map[string]bool)
	var out []File
	addFile := func(f File) {
		if !seen[f.Path] {
			seen[f.Path] = true
			out = append(out, f)
		}
	}
	add := func(path string, size int64) { addFile(File{Path: filepath.Clean(path), Size: size}) }
	for _, arg := range args {
		n := len(out)
		if storage.IsURL(arg) {
			matched := 0
			if err := expandURL(ctx, arg, func(f File) { matched++; addFile(f) }); err != nil {
				return nil, err
			}
			if matched == 0 {
				return nil, fmt.Errorf("input %s: no input files", arg)
			}
			continue
		}
		if err := expandArg(arg, add); err != nil {
			return nil, err
		}
		if len(out) == n && !alreadyHad(arg, seen) {
			return nil, fmt.Errorf("input %s: no input files", arg)
		}
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// alreadyHad reports whether arg, which added nothing new, named a file
// already listed by an earlier argument (not an error).
func alreadyHad(arg string, seen map[string]bool) bool {
	return seen[filepath.Clean(arg)]
}

func expandArg(arg string, add func(string, int64)) error {
	fi, err := os.Stat(arg)
	switch {
	case err == nil && fi.IsDir():
		return walk(arg, add)
	case err == nil:
		add(arg, fi.Size())
		return nil
	case !errors.Is(err, fs.ErrNotExist) || !hasMeta(arg):
		return fmt.Errorf("input %s: %w", arg, err)
	}
	if strings.Contains(arg, "**") {
		return fmt.Errorf("input %s: \"**\" globs are not supported; name the directory to read it recursively", arg)
	}
	matches, err := filepath.Glob(arg)
	if err != nil {
		return fmt.Errorf("input %s: %w", arg, err)
	}
	for _, m := range matches {
		fi, err := os.Stat(m)
		if err != nil {
			return fmt.Errorf("input %s: %w", m, err)
		}
		if skipped(filepath.Base(m), fi.IsDir()) {
			continue
		}
		if fi.IsDir() {
			if err := walk(m, add); err != nil {
				return err
			}
			continue
		}
		add(m, fi.Size())
	}
	return nil
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

func walk(root string, add func(string, int64)) error {
	if fi, err := os.Lstat(root); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		// A trailing separator makes WalkDir follow a link named as the
		// root, while paths keep the name the user gave.
		root += string(filepath.Separator)
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("input %s: %w", p, err)
		}
		if p == root {
			return nil
		}
		if skipped(d.Name(), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		fi, err := os.Stat(p) // follows a link to a file
		if err != nil {
			return fmt.Errorf("input %s: %w", p, err)
		}
		if fi.Mode().IsRegular() {
			add(p, fi.Size())
		}
		return nil
	})
}
