// Package urldedup holds the url_dedup stage: of the documents sharing a
// normalised URL, only the most recent crawl is kept (Llama 3 section
// 3.1.1, "URL-level de-duplication ... keep the most recent version for
// pages corresponding to each URL"). Ties in date fall to input order;
// documents without a URL pass untouched.
//
// Memory: one map entry per distinct URL — a 128-bit hash with the kept
// document's date key, input order and the number of versions — about
// 60 B per distinct URL including the map's overhead.
//
// In a cluster job (pipeline.Exchanger) a task's observations are saved
// at 36 B per distinct URL and the prepared state at 28 B per URL
// seen more than once; a task that loads it holds 34 B per such URL.
package urldedup

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"

	"github.com/zeebo/xxh3"

	"github.com/winnow-data/winnow/dedup/internal/groups"
	"github.com/winnow-data/winnow/dedup/internal/keep"
	"github.com/winnow-data/winnow/dedup/internal/xchg"
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
		{Name: "keep", Default: "most_recent", Doc: keep.Doc},
	},
	New: func(p pipeline.Params) (pipeline.Stage, error) {
		return New(p.String("keep"))
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

// Stage removes older versions of a URL; see the package documentation.
type Stage struct {
	policy keep.Policy
	g      *groups.Groups
}

// New returns a url_dedup stage; keepPolicy as the keep parameter.
func New(keepPolicy string) (*Stage, error) {
	pol, err := keep.Parse(keepPolicy)
	if err != nil {
		return nil, err
	}
	return &Stage{policy: pol, g: groups.New()}, nil
}

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return Name }

// Observe implements pipeline.Preparer.
func (s *Stage) Observe(doc *pipeline.Document) error {
	if doc.URL == "" {
		return nil
	}
	s.g.Add(xxh3.HashString128(Normalize(doc.URL)), s.policy.Key(doc), doc.Order(), 1)
	return nil
}

// Prepared implements pipeline.Preparer.
func (s *Stage) Prepared(context.Context) error { return nil }

// Process implements pipeline.Stage.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	if doc.URL == "" {
		return "", nil
	}
	size, kept, seen := s.g.Lookup(xxh3.HashString128(Normalize(doc.URL)), doc.Order())
	if !seen {
		return "", fmt.Errorf("url_dedup: document %s was not seen in the preparatory pass", doc.ID)
	}
	doc.SetSignal(SignalVersions, float64(size))
	if !kept {
		return "older_version", nil
	}
	return "", nil
}

// fingerprint hashes what Normalize makes of the probe texts, so state
// saved by a build that normalises URLs differently is refused.
var fingerprint = sync.OnceValue(func() string {
	var parts [][]byte
	for _, p := range xchg.Probes {
		parts = append(parts, []byte(Normalize(p)))
	}
	return xchg.Fingerprint(parts...)
})

func (s *Stage) header(k xchg.Kind) xchg.Header {
	return xchg.Header{Stage: Name, Kind: k, Params: []xchg.Param{
		{Name: "keep", Value: s.policy.String()},
		{Name: "url_key", Value: fingerprint()},
	}}
}

// SaveObserved implements pipeline.Exchanger: one 36-byte record per
// distinct URL (see dedup/internal/groups).
func (s *Stage) SaveObserved(w io.Writer) error { return s.g.SaveObserved(w, s.header(xchg.Observed)) }

// LoadObserved implements pipeline.Exchanger.
func (s *Stage) LoadObserved(r io.Reader) error { return s.g.LoadObserved(r, s.header(xchg.Observed)) }

// SavePrepared implements pipeline.Exchanger: one 28-byte record per URL
// seen more than once.
func (s *Stage) SavePrepared(w io.Writer) error { return s.g.SavePrepared(w, s.header(xchg.Prepared)) }

// LoadPrepared implements pipeline.Exchanger.
func (s *Stage) LoadPrepared(r io.Reader) error { return s.g.LoadPrepared(r, s.header(xchg.Prepared)) }

// Columns implements pipeline.Declarer.
func (s *Stage) Columns() []pipeline.Column { return pipeline.SignalColumns(SignalVersions) }
