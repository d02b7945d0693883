package input

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	upath "path"
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

// keptPrefix starts the name of the directories that hold a winnow
// output's kept shards (lang=en, lang=und, ...).
const keptPrefix = "lang="

// outputRoot reports whether a directory holding entries with these names
// is the output of a winnow run: it has the run's accounting (stats.json,
// or the _tasks markers of a cluster run before their merge) beside shard
// directories (lang=..., rejected). Of such a directory only the kept
// shards are inputs; its rejected/, report and work files are not.
func outputRoot(names []string, isDir func(string) bool) bool {
	marker, shards := false, false
	for _, n := range names {
		switch {
		case n == "stats.json" && !isDir(n), n == "_tasks" && isDir(n):
			marker = true
		case (strings.HasPrefix(n, keptPrefix) || n == "rejected") && isDir(n):
			shards = true
		}
	}
	return marker && shards
}

// selector applies Options.Include and Options.Exclude to the files found
// under an argument. rel is a file's slash-separated path relative to the
// directory, prefix or glob directory it was found under.
type selector struct{ include, exclude []string }

func newSelector(o Options) (selector, error) {
	for _, p := range slices.Concat(o.Include, o.Exclude) {
		if _, err := upath.Match(p, ""); err != nil || p == "" {
			return selector{}, fmt.Errorf("include/exclude pattern %q: %w", p, cmpErr(err, errors.New("empty pattern")))
		}
		if strings.Contains(p, "**") {
			return selector{}, fmt.Errorf("include/exclude pattern %q: \"**\" is not supported (a pattern without '/' matches the name at any depth)", p)
		}
	}
	return selector{o.Include, o.Exclude}, nil
}

func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// match reports whether pattern matches rel: a pattern without '/'
// matches the last element (the name at any depth), one with '/' the
// whole relative path.
func match(pattern, rel string) bool {
	if !strings.Contains(pattern, "/") {
		rel = upath.Base(rel)
	}
	ok, _ := upath.Match(pattern, rel)
	return ok
}

func (s selector) matchAny(patterns []string, rel string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, rel) })
}

// file reports whether the file at rel is read.
func (s selector) file(rel string) bool {
	if len(s.include) > 0 && !s.matchAny(s.include, rel) {
		return false
	}
	return !s.matchAny(s.exclude, rel)
}

// dir reports whether the directory at rel is entered.
func (s selector) dir(rel string) bool { return !s.matchAny(s.exclude, rel) }

// Expand turns command-line arguments into a sorted, de-duplicated list of
// files; it is List without include or exclude patterns.
func Expand(args []string) ([]File, error) {
	return List(context.Background(), args, Options{})
}

// ExpandContext is Expand with a context for the listing of object
// storage.
func ExpandContext(ctx context.Context, args []string) ([]File, error) {
	return List(ctx, args, Options{})
}

// List turns command-line arguments into a sorted, de-duplicated list of
// files. An argument is a file (taken as it is), a directory (walked
// recursively, skipping hidden files and directories and non-input files
// such as _SUCCESS or *.crc) or a shell glob (filepath.Match syntax; "**"
// is not supported), whose matches are filtered like a directory's
// entries and walked when they are directories. Symbolic links to files
// are followed, and so is a link given as an argument; links to
// directories met while walking are not, to stay clear of cycles.
//
// A directory that is the output of a winnow run (stats.json, or a
// cluster run's _tasks, beside lang=... or rejected directories) gives
// its kept shards only, the files under its lang=... directories: its
// rejected/ directory, report and work files are not read unless named
// as arguments themselves.
//
// opts.Include and opts.Exclude narrow what a walk, a listing or a glob
// finds (files named as arguments are always read); see Options.
//
// An argument that is not a regular file or directory — a pipe, as
// process substitution gives (<(zcat a.jsonl.gz)), a device, or "-" for
// standard input — is read once as a stream (see Open).
//
// An argument may also be a URL of object storage (s3://, gs://,
// azblob://, mem://; see package storage for parameters and
// credentials): a URL naming an object is that object; a URL ending in
// "/" or naming a prefix lists every object under it, filtered like a
// directory's entries; a glob in the last element (s3://b/crawl/*.warc.gz)
// matches objects and prefixes with path.Match. A file:// URL is the
// local path it names.
//
// An entry of a directory that cannot be read — a dangling symbolic
// link, a loop of links, a subdirectory or file that cannot be listed or
// examined — is in the list with Err set: Open reports it as a damaged
// file, so the run lists it with its input errors and goes on. An
// argument that matches no file at all is an error naming it.
//
// The result is sorted by path, so every split of it into tasks is
// deterministic.
func List(ctx context.Context, args []string, opts Options) ([]File, error) {
	sel, err := newSelector(opts)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool)
	var out []File
	addFile := func(f File) {
		if !seen[f.Path] {
			seen[f.Path] = true
			out = append(out, f)
		}
	}
	add := func(f File) {
		f.Path = filepath.Clean(f.Path)
		addFile(f)
	}
	for _, arg := range args {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := len(out)
		if storage.IsURL(arg) {
			matched := 0
			if err := expandURL(ctx, arg, sel, func(f File) { matched++; addFile(f) }); err != nil {
				return nil, err
			}
			if matched == 0 {
				return nil, fmt.Errorf("input %s: no input files", arg)
			}
			continue
		}
		if arg == "-" {
			arg = "/dev/stdin"
		}
		if err := expandArg(arg, sel, add); err != nil {
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

func expandArg(arg string, sel selector, add func(File)) error {
	fi, err := os.Stat(arg)
	switch {
	case err == nil && fi.IsDir():
		return walk(arg, sel, add)
	case err == nil:
		add(argFile(arg, fi))
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
			// Matched, so it exists as a name: a dangling link or one
			// that cannot be examined is damage, not a usage error.
			if sel.file(filepath.Base(m)) {
				add(File{Path: m, Err: entryError(m, "file", err)})
			}
			continue
		}
		if skipped(filepath.Base(m), fi.IsDir()) {
			continue
		}
		if fi.IsDir() {
			if sel.dir(filepath.Base(m)) {
				if err := walk(m, sel, add); err != nil {
					return err
				}
			}
			continue
		}
		if fi.Mode().IsRegular() && sel.file(filepath.Base(m)) {
			add(File{Path: m, Size: fi.Size()})
		}
	}
	return nil
}

// argFile is the file an argument names: a regular file with its size, or
// a stream (pipe, device) of unknown size.
func argFile(arg string, fi fs.FileInfo) File {
	if !fi.Mode().IsRegular() {
		return File{Path: arg, Size: -1}
	}
	return File{Path: arg, Size: fi.Size()}
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// dirFS opens the directory tree a walk reads; tests replace it to
// provoke errors that root cannot meet.
var dirFS = func(root string) fs.FS { return os.DirFS(root) }

// walk adds the input files under the directory root.
func walk(root string, sel selector, add func(File)) error {
	fsys := dirFS(root)
	isDir := func(dir string) func(string) bool {
		return func(name string) bool {
			fi, err := fs.Stat(fsys, upath.Join(dir, name))
			return err == nil && fi.IsDir()
		}
	}
	outputs := map[string]bool{} // winnow outputs met, by relative path
	join := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	return fs.WalkDir(fsys, ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			// A directory that cannot be listed (or a root that
			// vanished): damage, listed with the run's input errors.
			if rel == "." || sel.dir(rel) {
				add(File{Path: join(rel), Err: entryError(join(rel), "directory", err)})
			}
			return nil
		}
		if rel != "." {
			if skipped(d.Name(), d.IsDir()) {
				return skipDir(d)
			}
			if outputs[upath.Dir(rel)] && !strings.HasPrefix(d.Name(), keptPrefix) {
				return skipDir(d)
			}
		}
		if d.IsDir() {
			if rel != "." && !sel.dir(rel) {
				return fs.SkipDir
			}
			// Only a directory with a run's accounting is listed twice.
			if !hasEntry(fsys, rel, "stats.json") && !hasEntry(fsys, rel, "_tasks") {
				return nil
			}
			if entries, err := fs.ReadDir(fsys, rel); err == nil {
				names := make([]string, len(entries))
				for i, e := range entries {
					names[i] = e.Name()
				}
				if outputRoot(names, isDir(rel)) {
					outputs[rel] = true
				}
			}
			return nil
		}
		fi, err := fs.Stat(fsys, rel) // follows a link to a file
		if err != nil {
			// A dangling link, a loop of links, a file that cannot be
			// examined.
			if sel.file(rel) {
				add(File{Path: join(rel), Err: entryError(join(rel), "file", err)})
			}
			return nil
		}
		// Links to directories are not followed; pipes, sockets and
		// devices met in a tree are not read (a pipe without a writer
		// would block the run).
		if fi.Mode().IsRegular() && sel.file(rel) {
			add(File{Path: join(rel), Size: fi.Size()})
		}
		return nil
	})
}

// entryError says what is wrong with the directory entry at p: the
// error without the path (messages name the file already), and for a
// symbolic link, where it points.
func entryError(p, what string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if target, lerr := os.Readlink(p); lerr == nil {
		return fmt.Errorf("symbolic link to %s: %w", target, err)
	}
	return fmt.Errorf("%s cannot be read: %w", what, err)
}

func hasEntry(fsys fs.FS, dir, name string) bool {
	_, err := fs.Stat(fsys, upath.Join(dir, name))
	return err == nil
}

func skipDir(d fs.DirEntry) error {
	if d.IsDir() {
		return fs.SkipDir
	}
	return nil
}
