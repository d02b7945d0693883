// Package launch runs the steps of a winnow job (job.Config.Plan) on a
// cluster or on one machine: it writes Slurm batch scripts and submits
// them as array jobs chained by afterok dependencies, writes Kubernetes
// Indexed Job manifests with the order in which to apply them, or runs
// the tasks as local subprocesses.
//
// Every launcher runs the same thing: task I of step S is
//
//	winnow run --config JOB.yaml --step S --tasks N --task I
//
// where JOB.yaml is the run's job.Config, written once by the launcher,
// so a launched run equals `winnow run` with the same settings. Each task
// leaves a completion marker under OUT/_tasks/<step>/ and a task whose
// marker exists exits at once, so relaunching resumes a run.
//
// The launches are library calls: Local.Run runs the tasks here,
// Slurm.Run writes the scripts, submits and (with Wait) waits, failing
// fast and cancelling the run's jobs when one can never start;
// KubernetesManifests and WriteScripts produce what apply.sh applies.
// The generators (SlurmScripts, KubernetesManifests) are pure functions
// of the config, the plan and the options; submission and waiting go
// through a Commander, so both are testable without a cluster.
package launch

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/winnow-data/winnow/pipeline/job"
)

// ConfigName is the file name of the run's settings in the scripts
// directory (and in the Kubernetes ConfigMap).
const ConfigName = "job.yaml"

// IsRemote reports whether dir is an object-storage URL rather than a
// local (or shared-filesystem) path.
func IsRemote(dir string) bool {
	i := strings.Index(dir, "://")
	return i > 0 && !strings.HasPrefix(dir, "file://")
}

// DefaultScriptsDir is where a launcher keeps the config file, scripts
// and logs when not told: OUT/_launch for a local OUT. An OUT on object
// storage has no default (the tasks must read the config from a path),
// so it returns "".
func DefaultScriptsDir(out string) string {
	if IsRemote(out) {
		return ""
	}
	return filepath.Join(strings.TrimPrefix(out, "file://"), "_launch")
}

// TaskConfig returns c as every task of a launch reads it: the output
// and --against paths made absolute, the task index
// cleared (each task gets its own on the command line or from the
// scheduler), and Workers set to the cores a task is given unless c sets
// it. Input paths stay as given, since a record without an id gets one
// derived from its file's path as given: the tasks run in the launch's
// working directory instead (SlurmOptions.Dir).
func TaskConfig(c job.Config, workers int) (job.Config, error) {
	c.Task = 0
	if c.Workers == 0 {
		c.Workers = workers
	}
	var err error
	if c.Output.Dir, err = absPath(c.Output.Dir); err != nil {
		return c, err
	}
	if c.Against != "" {
		if c.Against, err = absPath(c.Against); err != nil {
			return c, err
		}
	}
	return c, nil
}

func absPath(p string) (string, error) {
	if p == "" || p == "-" || strings.Contains(p, "://") || filepath.IsAbs(p) {
		return p, nil
	}
	a, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("path %s: %w", p, err)
	}
	return a, nil
}

// MarshalConfig returns c as a --config file.
func MarshalConfig(c job.Config) ([]byte, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return append([]byte("# The settings of every task of this run (winnow run --config).\n"), b...), nil
}

// WriteFile writes data to path, creating its directory; mode is the
// file's permission bits.
func WriteFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("launch: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("launch: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("launch: %w", err)
	}
	return nil
}

// WriteScripts writes files (a launcher's scripts or manifests) into
// dir, shell scripts executable.
func WriteScripts(dir string, files []Script) error {
	for _, f := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(f.Name, ".sh") {
			mode = 0o755
		}
		if err := WriteFile(filepath.Join(dir, f.Name), []byte(f.Text), mode); err != nil {
			return err
		}
	}
	return nil
}

// Memory is an amount of memory per task, in MiB.
type Memory int64

// ParseMemory reads an amount in Slurm's form — a number with an
// optional K, M, G or T suffix (binary units; no suffix means M) — or
// Kubernetes' (Ki, Mi, Gi, Ti). Empty is 0: no request.
func ParseMemory(s string) (Memory, error) {
	if s == "" {
		return 0, nil
	}
	m := memRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, job.UsageError("memory %q: want a number with an optional K, M, G or T suffix, e.g. 8G", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n <= 0 {
		return 0, job.UsageError("memory %q: want a positive amount", s)
	}
	const most = 1 << 40 // MiB: a petabyte, far beyond any node
	shift := map[string]uint{"G": 10, "T": 20}[strings.ToUpper(m[2])]
	if strings.EqualFold(m[2], "K") {
		n = (n + 1023) / 1024
	}
	if n > most>>shift {
		return 0, job.UsageError("memory %q is out of range", s)
	}
	return Memory(n << shift), nil
}

var memRE = regexp.MustCompile(`^(\d+)\s*([KkMmGgTt]?)(?:i?[Bb]?)$`)

// Slurm returns m as sbatch's --mem value.
func (m Memory) Slurm() string {
	if m%1024 == 0 {
		return fmt.Sprintf("%dG", m/1024)
	}
	return fmt.Sprintf("%dM", m)
}

// Kubernetes returns m as a resource quantity.
func (m Memory) Kubernetes() string {
	if m%1024 == 0 {
		return fmt.Sprintf("%dGi", m/1024)
	}
	return fmt.Sprintf("%dMi", m)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// taskArgs are the arguments of `winnow` that run one task of step s of
// a run of tasks tasks (the index is added by the caller or comes from
// the scheduler's environment). --tasks is the run's, not the step's: a
// prepare or merge step's one task reads what every task left.
func taskArgs(configPath string, s job.Step, tasks int) []string {
	return []string{"run", "--config", configPath, "--step", s.Name, "--tasks", strconv.Itoa(tasks)}
}
