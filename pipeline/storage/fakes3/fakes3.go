// Package fakes3 runs an in-process S3-compatible server for tests of
// code that reads and writes s3:// locations. It is built on gofakes3 and
// is meant for tests only.
package fakes3

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Server is a fake S3 endpoint on the loopback interface.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	throttle  int // requests still to answer with 503 SlowDown
	throttled int // requests answered with 503 SlowDown
	cut       int // object downloads still to break
	cutAfter  int // bytes of a broken download sent before the break
	cuts      int // downloads broken
	requests  map[string]int
}

// Start starts a server holding the named (empty) buckets and points the
// AWS SDK's environment at fake credentials, so that tests need neither
// a network nor a real account. The server stops when the test ends.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	be := s3mem.New()
	for _, b := range buckets {
		if err := be.CreateBucket(b); err != nil {
			t.Fatalf("fakes3: create bucket %s: %v", b, err)
		}
	}
	faker := gofakes3.New(be, gofakes3.WithLogger(gofakes3.DiscardLog()))
	s := &Server{requests: map[string]int{}}
	h := faker.Server()
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests[r.Method]++
		slow := s.throttle > 0
		if slow {
			s.throttle--
			s.throttled++
		}
		cut := !slow && r.Method == http.MethodGet && s.cut > 0 && isObject(r)
		if cut {
			s.cut--
			s.cuts++
		}
		after := s.cutAfter
		s.mu.Unlock()
		if cut {
			w = &cutWriter{ResponseWriter: w, left: after}
		}
		if slow {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` +
				`<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`))
			return
		}
		h.ServeHTTP(w, r)
	}))
	// A client that stops reading a body early makes gofakes3 log a
	// second WriteHeader; that is not the test's business.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             "/nonexistent/aws-config",
		"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_S3":         "",
	} {
		t.Setenv(k, v)
	}
	return s
}

// URL returns the s3:// location of prefix in bucket on this server
// (path-style addressing, as MinIO and Ceph are usually reached).
func (s *Server) URL(bucket, prefix string) string {
	u := "s3://" + bucket
	if prefix != "" {
		u += "/" + prefix
	}
	return u + "?endpoint=" + s.srv.URL + "&use_path_style=true"
}

// Endpoint returns the server's base URL (http://127.0.0.1:port).
func (s *Server) Endpoint() string { return s.srv.URL }

// Throttle makes the next n requests fail with 503 SlowDown, as S3 does
// when a prefix is read or written too fast.
func (s *Server) Throttle(n int) {
	s.mu.Lock()
	s.throttle = n
	s.mu.Unlock()
}

// Cut breaks the connection of the next n object downloads after
// `after` bytes of their body, as a reset network does.
func (s *Server) Cut(n, after int) {
	s.mu.Lock()
	s.cut, s.cutAfter = n, after
	s.mu.Unlock()
}

// Cuts returns how many downloads were broken.
func (s *Server) Cuts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cuts
}

// isObject reports whether r reads an object rather than a listing.
func isObject(r *http.Request) bool {
	q := r.URL.Query()
	return !q.Has("list-type") && !q.Has("uploads") && !q.Has("uploadId") && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1
}

// cutWriter sends up to left bytes of the body, then aborts the
// response: the client sees the connection close early.
type cutWriter struct {
	http.ResponseWriter
	left int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if len(p) <= c.left {
		c.left -= len(p)
		return c.ResponseWriter.Write(p)
	}
	c.ResponseWriter.Write(p[:c.left])
	c.left = 0
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	panic(http.ErrAbortHandler)
}

// Throttled returns how many requests were answered with 503 SlowDown.
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// Requests returns how many requests of the HTTP method the server got.
func (s *Server) Requests(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[method]
}
