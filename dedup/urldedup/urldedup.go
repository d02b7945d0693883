// Package urldedup holds the url_dedup stage: of the documents sharing a
// normalised URL, only the most recent crawl is kept (Llama 3 section
// 3.1.1, "URL-level de-duplication ... keep the most recent version for
// pages corresponding to each URL"). Ties in date fall to input order;
// documents without a URL pass untouched.
//
// Memory: one map entry per distinct URL — a 128-bit hash with the kept
// document's date key, input order and the number of versions — about
// 60 B per distinct URL including the map's overhead.
package urldedup

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/zeebo/xxh3"

	"github.com/winnow-data/winnow/dedup/internal/keep"
	"github.com/winnow-data/winnow/pipeline"
)

// Name is the stage's canonical name.
const Name = "url_dedup"

// SignalVersions is the signal written on every document with a URL: how
// many documents of the run share its normalised URL.
const SignalVersions = Name + ".versions"

func init() { pipeline.Register(Spec) }

// Spec declares the url_dedup stage.
var Spec = pipeline.Spec{
	Name:    Name,
	Summary: "URL de-duplication: keep the most recent version of each normalised URL",
	Order:   30,
	Default: true,
	Params: []pipeline.Param{
		{Name: "mode", Default: "filter", Doc: `"filter" drops older versions; "tag" keeps them and writes the versions signal only`},
		{Name: "keep", Default: "most_recent", Doc: keep.Doc},
	},
	New: func(p pipeline.Params) (pipeline.Stage, error) {
		tag, err := pipeline.ParseMode(p.String("mode"))
		if err != nil {
			return nil, err
		}
		return New(p.String("keep"), tag)
	},
}

// Normalize returns the key under which URLs are compared: scheme and
// host in lower case, default ports and the fragment dropped, an empty
// path written "/". Path and query keep their case and order (servers
// may distinguish them). A string that does not parse as an absolute URL
// is compared as it is, trimmed of white space.
func Normalize(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6 literal
	}
	u.Host = host
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	u.User = nil
	return u.String()
}

const shards = 64

type best struct {
	key      int64
	order    uint64
	versions uint32
}

// Stage removes older versions of a URL; see the package documentation.
type Stage struct {
	policy keep.Policy
	tag    bool
	shards [shards]struct {
		mu sync.Mutex
		m  map[xxh3.Uint128]best
		_  [40]byte
	}
}

// New returns a url_dedup stage; keepPolicy as the keep parameter.
func New(keepPolicy string, tag bool) (*Stage, error) {
	pol, err := keep.Parse(keepPolicy)
	if err != nil {
		return nil, err
	}
	s := &Stage{policy: pol, tag: tag}
	for i := range s.shards {
		s.shards[i].m = make(map[xxh3.Uint128]best)
	}
	return s, nil
}

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return Name }

// Observe implements pipeline.Preparer.
func (s *Stage) Observe(doc *pipeline.Document) error {
	if doc.URL == "" {
		return nil
	}
	h := xxh3.HashString128(Normalize(doc.URL))
	k, o := s.policy.Key(doc), doc.Order()
	sh := &s.shards[h.Lo%shards]
	sh.mu.Lock()
	b, seen := sh.m[h]
	if !seen || keep.Less(k, o, b.key, b.order) {
		b.key, b.order = k, o
	}
	b.versions++
	sh.m[h] = b
	sh.mu.Unlock()
	return nil
}

// Prepared implements pipeline.Preparer.
func (s *Stage) Prepared(context.Context) error { return nil }

// Process implements pipeline.Stage.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	if doc.URL == "" {
		return "", nil
	}
	h := xxh3.HashString128(Normalize(doc.URL))
	sh := &s.shards[h.Lo%shards]
	sh.mu.Lock()
	b, seen := sh.m[h]
	sh.mu.Unlock()
	if !seen {
		return "", fmt.Errorf("url_dedup: document %s was not seen in the preparatory pass", doc.ID)
	}
	doc.SetSignal(SignalVersions, float64(b.versions))
	if b.order != doc.Order() && !s.tag {
		return "older_version", nil
	}
	return "", nil
}
