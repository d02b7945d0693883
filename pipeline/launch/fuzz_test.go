package launch

import (
	"errors"
	"testing"

	"github.com/winnow-data/winnow/pipeline/job"
)

// Any text is a memory amount or a usage error, and the forms written
// into scripts and manifests read back as the same amount.
func FuzzParseMemory(f *testing.F) {
	for _, s := range []string{"8G", "8Gi", "500M", "1536", "2048K", "1T", "16gb", "", "G", "-1G", "1.5G", "17592186044416", "17592186044417M", "99999999999999999999G", "9223372036854775807T"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMemory(s)
		if err != nil {
			if !errors.Is(err, job.ErrUsage) {
				t.Fatalf("%q: %v is not a usage error", s, err)
			}
			return
		}
		if s == "" {
			if m != 0 {
				t.Fatalf("empty reads as %d", m)
			}
			return
		}
		if m <= 0 || m > 1<<40 {
			t.Fatalf("%q reads as %d MiB", s, m)
		}
		for _, form := range []string{m.Slurm(), m.Kubernetes()} {
			if back, err := ParseMemory(form); err != nil || back != m {
				t.Fatalf("%q: %d MiB written as %q reads back as %d, %v", s, m, form, back, err)
			}
		}
	})
}
