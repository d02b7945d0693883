package launch

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/winnow-data/winnow/pipeline/job"
)

// KubernetesOptions shape the manifests of a Kubernetes launch.
type KubernetesOptions struct {
	// Name prefixes every object's name (a DNS-1123 label of at most 30
	// characters).
	Name string
	// Namespace, when set, is written into every object.
	Namespace string
	// Image holds the winnow binary as `winnow` on its PATH.
	Image string
	// CPUs and Mem are each pod's requests and limits; 0 leaves them out.
	CPUs int
	Mem  Memory
	// Parallelism caps the pods of a step running at once; 0 runs every
	// index at once.
	Parallelism int
	// BackoffLimitPerIndex is how often a failed index is retried.
	BackoffLimitPerIndex int
	// PVC names a PersistentVolumeClaim mounted at the output directory's
	// path (a local OUT must be on one; an object-storage OUT needs none).
	PVC string
	// Volumes are further claims to mount, e.g. the inputs'.
	Volumes []Volume
	// SecretEnv names a Secret whose keys become the pods' environment,
	// e.g. object-storage credentials.
	SecretEnv string
	// ServiceAccount, when set, runs the pods under it (e.g. for cloud
	// workload identity).
	ServiceAccount string
	// Poll is how often apply.sh checks a step's Job, in seconds.
	Poll int
	// Unschedulable is how long, in seconds, apply.sh lets a pod stay
	// unschedulable before it deletes the Job and fails (0:
	// DefaultUnschedulable; the environment's UNSCHEDULABLE_TIMEOUT
	// overrides it).
	Unschedulable int
}

// DefaultUnschedulable is how long apply.sh waits, in seconds, for a pod
// no node can take: long enough for a cluster autoscaler to add a node,
// short of hanging.
const DefaultUnschedulable = 120

// Volume is a PersistentVolumeClaim mounted at Path.
type Volume struct {
	Claim string
	Path  string
}

// ParseVolume reads CLAIM:PATH.
func ParseVolume(s string) (Volume, error) {
	claim, p, ok := strings.Cut(s, ":")
	if !ok || claim == "" || !path.IsAbs(p) {
		return Volume{}, job.UsageError("volume %q: want CLAIM:/absolute/path", s)
	}
	return Volume{claim, p}, nil
}

// ConfigMountDir is where the pods see the run's config file.
const ConfigMountDir = "/etc/winnow"

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// k8sName turns a step name into a DNS-1123 label (stage names have
// underscores).
func k8sName(s string) string { return strings.ReplaceAll(s, "_", "-") }

// KubernetesManifests returns the manifests of the run c (as TaskConfig
// returns it) — a ConfigMap holding the config file, then one Indexed Job
// per step of plan — followed by apply.sh, which applies them in order,
// each Job once the one before has completed.
func KubernetesManifests(c job.Config, plan []job.Step, o KubernetesOptions) ([]Script, error) {
	// A pod's hostname is <name>-<step>-<index>, at most 63 characters.
	if !dnsLabel.MatchString(o.Name) || len(o.Name) > 30 {
		return nil, job.UsageError("--name %q: want lower-case letters, digits and '-', at most 30 characters", o.Name)
	}
	if o.Image == "" {
		return nil, job.UsageError("--image is required: an image with winnow on its PATH")
	}
	if o.PVC != "" && !path.IsAbs(c.Output.Dir) {
		return nil, job.UsageError("--pvc mounts the claim at the output's path, and %s is not one", c.Output.Dir)
	}
	if o.PVC == "" && !IsRemote(c.Output.Dir) {
		return nil, job.UsageError("output %s is a path: give --pvc CLAIM to mount it in the pods, or write to object storage (-o s3://...)", c.Output.Dir)
	}
	for _, in := range c.Inputs {
		if !strings.Contains(in, "://") && !path.IsAbs(in) {
			return nil, job.UsageError("input %s: give the pods' absolute path (under a --volume) or a URL", in)
		}
	}
	cfg, err := MarshalConfig(c)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{"app.kubernetes.io/name": "winnow", "app.kubernetes.io/instance": o.Name}
	configMap := o.Name + "-config"
	cm := k8sObject{
		APIVersion: "v1", Kind: "ConfigMap",
		Metadata: meta{Name: configMap, Namespace: o.Namespace, Labels: labels},
		Data:     map[string]string{ConfigName: string(cfg)},
	}
	doc, err := marshal(cm)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	out := []Script{{Name: "00-config.yaml", Text: "# The run's settings, mounted into every pod at " + ConfigMountDir + "/" + ConfigName + ".\n" + string(doc)}}

	var apply strings.Builder
	ns := ""
	if o.Namespace != "" {
		ns = " --namespace " + shellQuote(o.Namespace)
	}
	poll := max(o.Poll, 1)
	unsched := o.Unschedulable
	if unsched <= 0 {
		unsched = DefaultUnschedulable
	}
	fmt.Fprintf(&apply, `#!/bin/sh
# Applies the steps of the winnow run %[1]s in order: each step's Indexed
# Job is applied once every index of the one before has completed. Tasks
# that finished in an earlier run exit at once, so after a failure, delete
# the failed Job (kubectl delete job/NAME) and run this again to resume.
set -eu
cd "$(dirname "$0")"

# wait_job JOB: returns when the Job completes, fails when it fails, and
# when one of its pods has been unschedulable (no node can meet its
# requests or constraints) for UNSCHEDULABLE_TIMEOUT seconds: the Job is
# then deleted, so that no pod is left pending. (kubectl wait watches one
# condition only; a failed Job would make it hang until the timeout.)
UNSCHEDULABLE_TIMEOUT=${UNSCHEDULABLE_TIMEOUT:-%[4]d}
wait_job() {
  since=
  until kubectl%[2]s wait --for=condition=complete "job/$1" --timeout=%[3]ds >/dev/null 2>&1; do
    if [ "$(kubectl%[2]s get "job/$1" -o 'jsonpath={.status.conditions[?(@.type=="Failed")].status}')" = True ]; then
      echo "job $1 failed; its logs: kubectl%[2]s logs -l job-name=$1 --prefix" >&2
      exit 1
    fi
    why=$(kubectl%[2]s get pods -l "job-name=$1" -o 'jsonpath={range .items[*]}{.status.conditions[?(@.reason=="Unschedulable")].message}{"\n"}{end}' | sed -n '/./{p;q;}')
    if [ -z "$why" ]; then
      since=
    elif [ -z "$since" ]; then
      since=$(date +%%s)
    fi
    if [ -n "$since" ] && [ $(($(date +%%s) - since)) -ge "$UNSCHEDULABLE_TIMEOUT" ]; then
      echo "job $1: its pods cannot be scheduled: $why" >&2
      kubectl%[2]s delete "job/$1" >/dev/null || true
      echo "deleted job/$1; lower the requests (--cpus-per-task, --mem) or make room, then run this again" >&2
      exit 1
    fi
  done
  echo "job $1 complete"
}

kubectl%[2]s apply -f 00-config.yaml
`, o.Name, ns, poll, unsched)

	for i, s := range plan {
		name := o.Name + "-" + k8sName(s.Name)
		j := jobManifest(name, s, c, o, labels, configMap)
		doc, err := marshal(j)
		if err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		file := fmt.Sprintf("%02d-%s.yaml", i+1, k8sName(s.Name))
		head := fmt.Sprintf("# Step %d of %d of the winnow run %s: %s, %d task(s). Apply after\n# the step before it has completed (apply.sh does).\n", i+1, len(plan), o.Name, s.Name, s.Tasks)
		out = append(out, Script{Step: s, Name: file, Text: head + string(doc)})
		fmt.Fprintf(&apply, "kubectl%s apply -f %s\nwait_job %s\n", ns, file, name)
	}
	out = append(out, Script{Name: "apply.sh", Text: apply.String()})
	return out, nil
}

func jobManifest(name string, s job.Step, c job.Config, o KubernetesOptions, labels map[string]string, configMap string) k8sObject {
	stepLabels := map[string]string{"winnow/step": k8sName(s.Name)}
	for k, v := range labels {
		stepLabels[k] = v
	}
	ctr := container{
		Name:    "winnow",
		Image:   o.Image,
		Command: []string{"winnow"},
		// The index comes from JOB_COMPLETION_INDEX, which winnow reads.
		Args:         append(taskArgs(path.Join(ConfigMountDir, ConfigName), s, c.Tasks), "--quiet"),
		VolumeMounts: []volumeMount{{Name: "config", MountPath: ConfigMountDir, ReadOnly: true}},
	}
	if o.CPUs > 0 || o.Mem > 0 {
		r := map[string]string{}
		if o.CPUs > 0 {
			r["cpu"] = strconv.Itoa(o.CPUs)
		}
		if o.Mem > 0 {
			r["memory"] = o.Mem.Kubernetes()
		}
		ctr.Resources = &resources{Requests: r, Limits: r}
	}
	if o.SecretEnv != "" {
		ctr.EnvFrom = []envFrom{{SecretRef: &ref{Name: o.SecretEnv}}}
	}
	vols := []volume{{Name: "config", ConfigMap: &ref{Name: configMap}}}
	if o.PVC != "" {
		vols = append(vols, volume{Name: "out", PersistentVolumeClaim: &claim{ClaimName: o.PVC}})
		ctr.VolumeMounts = append(ctr.VolumeMounts, volumeMount{Name: "out", MountPath: c.Output.Dir})
	}
	for i, v := range o.Volumes {
		vn := fmt.Sprintf("data-%d", i)
		vols = append(vols, volume{Name: vn, PersistentVolumeClaim: &claim{ClaimName: v.Claim}})
		ctr.VolumeMounts = append(ctr.VolumeMounts, volumeMount{Name: vn, MountPath: v.Path})
	}
	par := s.Tasks
	if o.Parallelism > 0 {
		par = min(par, o.Parallelism)
	}
	backoff := max(o.BackoffLimitPerIndex, 0)
	var pfp *podFailurePolicy
	if s.Name == job.StepMerge {
		// Merge exits 3 when inputs were damaged: the run is finished
		// and its accounting written, so retrying would change nothing.
		pfp = &podFailurePolicy{Rules: []podFailureRule{{
			Action:      "FailJob",
			OnExitCodes: exitCodes{ContainerName: "winnow", Operator: "In", Values: []int{3}},
		}}}
	}
	return k8sObject{
		APIVersion: "batch/v1", Kind: "Job",
		Metadata: meta{Name: name, Namespace: o.Namespace, Labels: stepLabels},
		Spec: &jobSpec{
			CompletionMode:       "Indexed",
			Completions:          s.Tasks,
			Parallelism:          par,
			BackoffLimitPerIndex: &backoff,
			PodFailurePolicy:     pfp,
			Template: podTemplate{
				Metadata: meta{Labels: stepLabels},
				Spec: podSpec{
					RestartPolicy:      "Never",
					ServiceAccountName: o.ServiceAccount,
					Containers:         []container{ctr},
					Volumes:            vols,
				},
			},
		},
	}
}

// marshal writes v as YAML indented by two spaces, as kubectl does.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return b.Bytes(), nil
}

// The subset of the Kubernetes API the manifests use, in the field order
// kubectl prints.
type (
	k8sObject struct {
		APIVersion string            `yaml:"apiVersion"`
		Kind       string            `yaml:"kind"`
		Metadata   meta              `yaml:"metadata"`
		Data       map[string]string `yaml:"data,omitempty"`
		Spec       *jobSpec          `yaml:"spec,omitempty"`
	}
	meta struct {
		Name      string            `yaml:"name,omitempty"`
		Namespace string            `yaml:"namespace,omitempty"`
		Labels    map[string]string `yaml:"labels,omitempty"`
	}
	jobSpec struct {
		CompletionMode       string            `yaml:"completionMode"`
		Completions          int               `yaml:"completions"`
		Parallelism          int               `yaml:"parallelism"`
		BackoffLimitPerIndex *int              `yaml:"backoffLimitPerIndex,omitempty"`
		PodFailurePolicy     *podFailurePolicy `yaml:"podFailurePolicy,omitempty"`
		Template             podTemplate       `yaml:"template"`
	}
	podFailurePolicy struct {
		Rules []podFailureRule `yaml:"rules"`
	}
	podFailureRule struct {
		Action      string    `yaml:"action"`
		OnExitCodes exitCodes `yaml:"onExitCodes"`
	}
	exitCodes struct {
		ContainerName string `yaml:"containerName"`
		Operator      string `yaml:"operator"`
		Values        []int  `yaml:"values"`
	}
	podTemplate struct {
		Metadata meta    `yaml:"metadata"`
		Spec     podSpec `yaml:"spec"`
	}
	podSpec struct {
		RestartPolicy      string      `yaml:"restartPolicy"`
		ServiceAccountName string      `yaml:"serviceAccountName,omitempty"`
		Containers         []container `yaml:"containers"`
		Volumes            []volume    `yaml:"volumes,omitempty"`
	}
	container struct {
		Name         string        `yaml:"name"`
		Image        string        `yaml:"image"`
		Command      []string      `yaml:"command"`
		Args         []string      `yaml:"args"`
		EnvFrom      []envFrom     `yaml:"envFrom,omitempty"`
		Resources    *resources    `yaml:"resources,omitempty"`
		VolumeMounts []volumeMount `yaml:"volumeMounts,omitempty"`
	}
	envFrom struct {
		SecretRef *ref `yaml:"secretRef,omitempty"`
	}
	resources struct {
		Requests map[string]string `yaml:"requests,omitempty"`
		Limits   map[string]string `yaml:"limits,omitempty"`
	}
	volumeMount struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly,omitempty"`
	}
	volume struct {
		Name                  string `yaml:"name"`
		ConfigMap             *ref   `yaml:"configMap,omitempty"`
		PersistentVolumeClaim *claim `yaml:"persistentVolumeClaim,omitempty"`
	}
	ref struct {
		Name string `yaml:"name"`
	}
	claim struct {
		ClaimName string `yaml:"claimName"`
	}
)
