package launch

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeKubectl logs its arguments to $KUBECTL_LOG; `wait` succeeds unless
// the Job is $KUBECTL_FAIL, whose Failed condition `get` then reports, or
// $KUBECTL_UNSCHED, whose pods are unschedulable for the first
// $KUBECTL_UNSCHED_CHECKS checks (counted in $KUBECTL_LOG.n; empty: for
// ever).
const fakeKubectl = `#!/bin/sh
echo "$*" >> "$KUBECTL_LOG"
case "$1 $2" in
  "wait --for=condition=complete")
    [ "$3" = "job/$KUBECTL_FAIL" ] && exit 1
    if [ "$3" = "job/$KUBECTL_UNSCHED" ]; then
      n=$(cat "$KUBECTL_LOG.n" 2>/dev/null || echo 0)
      if [ -z "$KUBECTL_UNSCHED_CHECKS" ] || [ "$n" -lt "$KUBECTL_UNSCHED_CHECKS" ]; then sleep 0.1; exit 1; fi
    fi
    exit 0 ;;
  "get job/$KUBECTL_FAIL") echo True ;;
  "get pods")
    if [ "$4" = "job-name=$KUBECTL_UNSCHED" ]; then
      n=$(cat "$KUBECTL_LOG.n" 2>/dev/null || echo 0)
      echo $((n + 1)) > "$KUBECTL_LOG.n"
      if [ -z "$KUBECTL_UNSCHED_CHECKS" ] || [ "$n" -lt "$KUBECTL_UNSCHED_CHECKS" ]; then
        printf '\n0/1 nodes are available: 1 Insufficient cpu.\n'
      fi
    fi ;;
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
	var output string
	run := func(fail string, env ...string) (string, error) {
		log := filepath.Join(t.TempDir(), "log")
		// A hung apply.sh fails the test rather than stalling it.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(dir, "apply.sh"))
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECTL_LOG="+log, "KUBECTL_FAIL="+fail)
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		calls, _ := os.ReadFile(log)
		t.Logf("apply.sh output:\n%s", out)
		output = string(out)
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

	// Pods no node can take: apply.sh gives up after the timeout with the
	// scheduler's message, deleting the Job, instead of waiting for ever.
	start := time.Now()
	calls, err = run("none", "KUBECTL_UNSCHED=w-write", "UNSCHEDULABLE_TIMEOUT=1")
	if took := time.Since(start); err == nil || took > 30*time.Second {
		t.Errorf("unschedulable pods: err %v after %v", err, took)
	}
	if strings.Contains(calls, "04-merge.yaml") || !strings.Contains(calls, "delete job/w-write") ||
		!strings.Contains(output, "job w-write: its pods cannot be scheduled: 0/1 nodes are available: 1 Insufficient cpu.") {
		t.Errorf("unschedulable pods: kubectl calls\n%s\noutput\n%s", calls, output)
	}

	// Pods unschedulable for a moment (a node being added) are waited for.
	calls, err = run("none", "KUBECTL_UNSCHED=w-write", "KUBECTL_UNSCHED_CHECKS=2", "UNSCHEDULABLE_TIMEOUT=60")
	if err != nil || !strings.Contains(calls, "apply -f 04-merge.yaml") || strings.Contains(calls, "delete") {
		t.Errorf("pods unschedulable for two checks: err %v, kubectl calls\n%s", err, calls)
	}
}
