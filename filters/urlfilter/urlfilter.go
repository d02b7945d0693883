// Package urlfilter drops documents by their URL: listed domains (and
// their subdomains), listed URLs (and the pages under them), and banned
// words in the URL.
//
// Source: datatrove's URLFilter (pipeline/filters/url_filter.py): a
// document is blocked when its domain or a parent domain is listed, when
// its URL is listed, when one of the URL's words is a banned word, or when
// at least two of them are "soft" banned words. As in the Llama 3 paper
// (section 3.1.1), domain block lists come first in the pipeline.
//
// Lists are files the user gives, never downloaded: plain lists (one
// domain or URL per line, "#" comments) or UT1-style category folders
// (<dir>/<category>/domains and <dir>/<category>/urls, as the Université
// Toulouse 1 blacklists ship). Without lists the stage applies only the
// small built-in banned-word lists below, which is why it is in the
// default pipeline. Documents without a URL pass.
package urlfilter

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DefaultBannedWords are URL words that alone mark adult sites: brand
// names of adult platforms and terms that have no other common use.
var DefaultBannedWords = []string{
	"porn", "porno", "pornhub", "porntube", "xxx", "xvideos", "xnxx", "xhamster",
	"redtube", "youporn", "hentai", "sexcam", "sexcams", "camgirl", "camgirls",
	"milf", "bdsm", "nsfw", "onlyfans", "chaturbate", "brazzers",
}

// DefaultSoftBannedWords are URL words with innocent uses ("sex
// education", "adult learning", "Ford Escort"); two of them together mark
// a document. Words naming people or groups (gay, lesbian, teen, girls)
// are deliberately absent: with them, support and news pages about those
// groups would be dropped.
var DefaultSoftBannedWords = []string{
	"sex", "sexy", "nude", "nudes", "naked", "erotic", "erotica", "adult",
	"fetish", "escort", "escorts", "busty", "horny", "slut", "sluts", "cam",
	"cams", "hot",
}

// DefaultSoftBannedMin is how many soft banned words block a URL.
const DefaultSoftBannedMin = 2

// Verdict is the outcome of checking one URL.
type Verdict struct {
	// Blocked names the rule that blocks the URL ("blocked_domain",
	// "blocked_url", "banned_word", "soft_banned_words"), empty if none.
	Blocked string
	// Listed reports the domain or URL was on a block list.
	Listed bool
	// Banned and Soft count the URL's banned and soft banned words.
	Banned, Soft int
}

// Filter checks URLs against block lists and banned words. It is
// read-only after construction and safe for concurrent use.
type Filter struct {
	domains map[string]struct{}
	urls    map[string]struct{}
	banned  map[string]struct{}
	soft    map[string]struct{}
	softMin int
}

// NewFilter returns a filter with the given banned words and no lists.
func NewFilter(banned, soft []string, softMin int) *Filter {
	f := &Filter{
		domains: map[string]struct{}{},
		urls:    map[string]struct{}{},
		banned:  set(banned),
		soft:    set(soft),
		softMin: softMin,
	}
	return f
}

func set(words []string) map[string]struct{} {
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			m[w] = struct{}{}
		}
	}
	return m
}

// AddDomain blocks a domain and all its subdomains.
func (f *Filter) AddDomain(d string) {
	if d = normHost(d); d != "" {
		f.domains[d] = struct{}{}
	}
}

// AddURL blocks a URL and every page under it.
func (f *Filter) AddURL(u string) {
	if k := urlKey(u); k != "" {
		f.urls[strings.TrimRight(k, "/")] = struct{}{}
	}
}

// Len returns the number of listed domains and URLs.
func (f *Filter) Len() (domains, urls int) { return len(f.domains), len(f.urls) }

// Load adds the entries of a list: a plain file or a UT1-style folder of
// categories. categories, when not empty, limits a folder to those
// categories.
func (f *Filter) Load(path string, categories []string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("url list: %w", err)
	}
	if !st.IsDir() {
		return f.loadFile(path, "")
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("url list: %w", err)
	}
	found := 0
	for _, e := range entries {
		if !e.IsDir() || (len(categories) > 0 && !slices.Contains(categories, e.Name())) {
			continue
		}
		for _, kind := range []string{"domains", "urls"} {
			err := f.loadFile(filepath.Join(path, e.Name(), kind), kind)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			found++
		}
	}
	if found == 0 {
		return fmt.Errorf("url list %s: no <category>/domains or <category>/urls files", path)
	}
	return nil
}

// loadFile reads one list; kind "domains" or "urls" forces the entries'
// kind, "" decides per line (an entry with a "/" after its host is a URL).
func (f *Filter) loadFile(name, kind string) error {
	fh, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("url list: %w", err)
	}
	defer fh.Close()
	if err := f.read(fh, kind); err != nil {
		return fmt.Errorf("url list %s: %w", name, err)
	}
	return nil
}

// read adds the entries of r. Blank lines, "#" comments and lines with
// inner spaces (junk in published lists) are skipped.
func (f *Filter) read(r io.Reader, kind string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	line := 0
	for sc.Scan() {
		line++
		e := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(e, '#'); i >= 0 {
			e = strings.TrimSpace(e[:i])
		}
		if e == "" || strings.ContainsAny(e, " \t") {
			continue
		}
		isURL := kind == "urls"
		if kind == "" {
			rest := e
			if i := strings.Index(rest, "://"); i >= 0 {
				rest = rest[i+3:]
			}
			i := strings.IndexByte(rest, '/')
			isURL = i >= 0 && i < len(rest)-1
		}
		if isURL {
			f.AddURL(e)
		} else {
			f.AddDomain(e)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}

// Check returns the verdict on u. An empty or unparseable URL is checked
// only for banned words.
func (f *Filter) Check(u string) Verdict {
	var v Verdict
	u = strings.TrimSpace(u)
	host, rest := split(u)
	host = normHost(host)
	if host != "" && len(f.domains) > 0 {
		for d := host; ; {
			if _, ok := f.domains[d]; ok {
				v.Listed, v.Blocked = true, "blocked_domain"
				break
			}
			i := strings.IndexByte(d, '.')
			if i < 0 {
				break
			}
			d = d[i+1:]
		}
	}
	if v.Blocked == "" && host != "" && len(f.urls) > 0 {
		h := strings.TrimPrefix(host, "www.")
		key := h + pathOf(rest)
		for i := len(h); i <= len(key); i++ {
			if i == len(key) || key[i] == '/' {
				if _, ok := f.urls[strings.TrimRight(key[:i], "/")]; ok {
					v.Listed, v.Blocked = true, "blocked_url"
					break
				}
			}
		}
	}
	f.countWords(u, &v)
	switch {
	case v.Blocked != "":
	case v.Banned > 0:
		v.Blocked = "banned_word"
	case f.softMin > 0 && v.Soft >= f.softMin:
		v.Blocked = "soft_banned_words"
	}
	return v
}

// split returns the host (with port and user info) and what follows it.
func split(u string) (host, rest string) {
	if i := strings.Index(u, "://"); i >= 0 && i < 16 {
		u = u[i+3:]
	} else if strings.HasPrefix(u, "//") {
		u = u[2:]
	}
	i := strings.IndexAny(u, "/?#")
	if i < 0 {
		return u, ""
	}
	return u[:i], u[i:]
}

// pathOf returns rest without its query and fragment.
func pathOf(rest string) string {
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		return rest[:i]
	}
	return rest
}

// normHost lower-cases a host and strips user info, port, brackets,
// leading wildcards and the trailing dot.
func normHost(h string) string {
	if i := strings.LastIndexByte(h, '@'); i >= 0 {
		h = h[i+1:]
	}
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i >= 0 {
			return strings.ToLower(h[1:i])
		}
		return ""
	}
	if i := strings.IndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimPrefix(h, "*.")
	h = strings.Trim(h, ".")
	return strings.ToLower(h)
}

// urlKey is the form URL entries are stored and looked up in: host
// without "www.", then the path, no scheme, query or fragment.
func urlKey(u string) string {
	host, rest := split(strings.TrimSpace(u))
	host = strings.TrimPrefix(normHost(host), "www.")
	if host == "" {
		return ""
	}
	return host + pathOf(rest)
}

// countWords counts the banned and soft banned words among the
// lower-cased runs of letters and digits of u (ASCII letters folded;
// multi-byte letters kept inside words).
func (f *Filter) countWords(u string, v *Verdict) {
	var buf [64]byte
	n, long := 0, false
	for i := 0; i <= len(u); i++ {
		var c byte
		if i < len(u) {
			c = u[i]
		}
		switch {
		case i == len(u):
		case c-'a' < 26 || c-'0' < 10 || c >= 0x80:
			if n == len(buf) {
				long = true // longer than any banned word
			} else {
				buf[n] = c
				n++
			}
			continue
		case c-'A' < 26:
			if n == len(buf) {
				long = true
			} else {
				buf[n] = c + 'a' - 'A'
				n++
			}
			continue
		}
		if n > 0 && !long {
			if _, ok := f.banned[string(buf[:n])]; ok {
				v.Banned++
			} else if _, ok := f.soft[string(buf[:n])]; ok {
				v.Soft++
			}
		}
		n, long = 0, false
	}
}
