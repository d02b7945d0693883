package launch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/winnow-data/winnow/pipeline/job"
)

// fakeRunner records the tasks it runs and fails the ones in fail.
type fakeRunner struct {
	mu   sync.Mutex
	ran  []string
	fail map[string]bool
}

func (r *fakeRunner) RunTask(_ context.Context, t Task) ([]byte, error) {
	name := fmt.Sprintf("%s/%d", t.Step.Name, t.Config.Task)
	r.mu.Lock()
	r.ran = append(r.ran, name)
	r.mu.Unlock()
	if r.fail[name] {
		return []byte("reading input: something broke\nat line 7"), errors.New("exit status 1")
	}
	return nil, nil
}

func fakeRun(t *testing.T, fail ...string) (*fakeRunner, *LocalResult, error) {
	t.Helper()
	c := job.Defaults()
	c.Inputs = []string{"in"}
	c.Output.Dir = t.TempDir()
	c.Tasks = 4
	r := &fakeRunner{fail: map[string]bool{}}
	for _, f := range fail {
		r.fail[f] = true
	}
	res, err := Local{Runner: r, Parallel: 2}.Run(context.Background(), c, "job.yaml", plan)
	slices.Sort(r.ran)
	return r, res, err
}

func TestLocalRunsEveryStepInOrder(t *testing.T) {
	r, res, err := fakeRun(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.ran) != 10 || len(res.Ran) != 10 {
		t.Fatalf("ran %v", r.ran)
	}
	// Steps in plan order; a step's tasks in any order.
	var steps []string
	for _, tr := range res.Ran {
		if len(steps) == 0 || steps[len(steps)-1] != tr.Step {
			steps = append(steps, tr.Step)
		}
	}
	if !slices.Equal(steps, []string{"observe-exact_dedup", "prepare-exact_dedup", "write", "merge"}) {
		t.Errorf("steps %v", steps)
	}
}

func TestLocalStopsAtTheFirstFailedStep(t *testing.T) {
	r, _, err := fakeRun(t, "observe-exact_dedup/2")
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"step observe-exact_dedup, task 2 of 4: exit status 1", "\n    reading input: something broke\n    at line 7"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
	for _, name := range r.ran {
		if !strings.HasPrefix(name, "observe-") {
			t.Errorf("ran %s after a failed step", name)
		}
	}
}
