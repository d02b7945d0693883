package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline/storage"
)

// Credentials in a URL are refused, by Open and CheckLocation alike, with
// a message that says where credentials go and never repeats them.
func TestCredentialsInURLsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		loc    string
		secret string // "" when the location is fine
		shown  string // what the message shows of it
	}{
		{"s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/in/", "wJalrXUtnFEMI", "s3://REDACTED@bucket/in/"},
		{"s3://AKIAEXAMPLE:wJalr/XUtn+FEMI@bucket/in/x.jsonl", "XUtn+FEMI", "s3://REDACTED@bucket/in/x.jsonl"},
		{"s3://AKIAEXAMPLE:wJalr/XUtnFEMI/bucket/in", "XUtnFEMI", "s3://REDACTED"}, // the '@' forgotten
		{"gs://ya29.token@bucket/x", "ya29.token", "gs://REDACTED@bucket/x"},
		{"azblob://account:key==@container/x?localemu=true", "key==", "azblob://REDACTED@container/x?localemu=true"},
		{"S3://user:p%40ss@b/x", "p%40ss", "S3://REDACTED@b/x"},
		{"s3://:secret@b", "secret", "s3://REDACTED@b"},
		{"s3://bucket/in/", "", ""},
		{"s3://bucket/people/someone@example.com.jsonl", "", ""}, // an '@' in a key is no credential
		{"s3://bucket/x?endpoint=http://host:9000&region=eu", "", ""},
		{"file:///data/in", "", ""},
		{"/data/a:b@c", "", ""},
		{"mem://name/prefix", "", ""},
	} {
		err := storage.CheckLocation(tc.loc)
		if tc.secret == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.loc, err)
			}
			continue
		}
		_, openErr := storage.Open(context.Background(), tc.loc)
		for _, e := range []error{err, openErr} {
			if !errors.Is(e, storage.ErrCredentialsInURL) {
				t.Errorf("%s: err %v, want ErrCredentialsInURL", tc.loc, e)
				continue
			}
			msg := e.Error()
			if strings.Contains(msg, tc.secret) || !strings.Contains(msg, tc.shown) || !strings.Contains(msg, "AWS_SECRET_ACCESS_KEY") {
				t.Errorf("%s: message %q: want %q shown, the secret hidden, and where credentials go", tc.loc, msg, tc.shown)
			}
		}
	}
}

// FuzzCheckLocation: whatever the parts of a URL with credentials, it is
// refused and the message holds neither the key nor the secret.
func FuzzCheckLocation(f *testing.F) {
	f.Add("s3", "AKIAEXAMPLE", "wJalr/XUtn+FEMI", "bucket/in/")
	f.Add("gs", "", "ya29.token", "b")
	f.Add("azblob", "acct", "k==", "c/x?localemu=true")
	f.Add("s3", "u", "p@ss", "b/key@x")
	f.Fuzz(func(t *testing.T, scheme, user, secret, rest string) {
		if !storage.IsURL(scheme+"://x") || strings.EqualFold(scheme, "file") || len(secret) < 4 ||
			strings.ContainsAny(user+secret, "?#") || strings.Contains(user, "/") || strings.Contains(scheme+rest, secret) {
			return
		}
		loc := scheme + "://" + user + ":" + secret + "@" + rest
		err := storage.CheckLocation(loc)
		if err == nil {
			t.Fatalf("%q accepted", loc)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("%q: the message shows the secret: %v", loc, err)
		}
		if r := storage.Redact(loc); strings.Contains(r, secret) {
			t.Fatalf("Redact(%q) = %q", loc, r)
		}
	})
}
