package launch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeKubectl logs its arguments to $KUBECTL_LOG; `wait` succeeds unless
// the Job is $KUBECTL_FAIL, whose Failed condition `get` then reports.
const fakeKubectl = `#!/bin/sh
echo "$*" >> "$KUBECTL_LOG"
case "$1 $2" in
  "wait --for=condition=complete") [ "$3" = "job/$KUBECTL_FAIL" ] && exit 1; exit 0 ;;
  "get job/$KUBECTL_FAIL") echo True ;;
esac
exit 0
`

// apply.sh, run against a fake kubectl: the steps in order, each applied
// after the one before completed; a failed Job stops it.
func TestApplyScript(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	c := k8sConfig()
	c.Output.Dir = "s3://clean/v1"
	files, err := KubernetesManifests(c, plan, KubernetesOptions{Name: "w", Image: "i", Poll: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range files {
		if err := WriteFile(filepath.Join(dir, f.Name), []byte(f.Text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(fakeKubectl), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(fail string) (string, error) {
		log := filepath.Join(t.TempDir(), "log")
		cmd := exec.Command(filepath.Join(dir, "apply.sh"))
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECTL_LOG="+log, "KUBECTL_FAIL="+fail)
		out, err := cmd.CombinedOutput()
		calls, _ := os.ReadFile(log)
		t.Logf("apply.sh output:\n%s", out)
		return string(calls), err
	}

	calls, err := run("none")
	if err != nil {
		t.Fatal(err)
	}
	want := `apply -f 00-config.yaml
apply -f 01-observe-exact-dedup.yaml
wait --for=condition=complete job/w-observe-exact-dedup --timeout=1s
apply -f 02-prepare-exact-dedup.yaml
wait --for=condition=complete job/w-prepare-exact-dedup --timeout=1s
apply -f 03-write.yaml
wait --for=condition=complete job/w-write --timeout=1s
apply -f 04-merge.yaml
wait --for=condition=complete job/w-merge --timeout=1s
`
	if calls != want {
		t.Errorf("kubectl calls\n%s\nwant\n%s", calls, want)
	}

	calls, err = run("w-write")
	if err == nil {
		t.Error("apply.sh succeeded with a failed Job")
	}
	if strings.Contains(calls, "04-merge.yaml") || !strings.Contains(calls, "get job/w-write") {
		t.Errorf("after a failed write Job, kubectl calls\n%s", calls)
	}
}
