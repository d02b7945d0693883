package job

import (
	"strconv"
)

// schedulerEnv names the variables in which schedulers give an array
// task its index and, where they do, the array's size.
var schedulerEnv = []struct{ index, count, min string }{
	{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN"},
	{"JOB_COMPLETION_INDEX", "", ""},             // Kubernetes Indexed Job
	{"AWS_BATCH_JOB_ARRAY_INDEX", "", ""},        // AWS Batch array job
	{"BATCH_TASK_INDEX", "BATCH_TASK_COUNT", ""}, // Google Cloud Batch
	{"CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_COUNT", ""},
}

// TaskFromEnv reads this task's index (0-based) and, when the scheduler
// gives it, the number of tasks from the environment of a Slurm array
// job, a Kubernetes Indexed Job, an AWS Batch or Google Cloud Batch array
// job or a Cloud Run job. ok is false when none is set; tasks is 0 when
// the scheduler does not tell it (give --tasks). A Slurm array need not
// start at 0: the index counts from SLURM_ARRAY_TASK_MIN.
func TaskFromEnv(getenv func(string) string) (task, tasks int, ok bool, err error) {
	for _, e := range schedulerEnv {
		v := getenv(e.index)
		if v == "" {
			continue
		}
		task, err := strconv.Atoi(v)
		if err != nil || task < 0 {
			return 0, 0, false, usageErr("%s=%q is not a task index", e.index, v)
		}
		if e.min != "" {
			if m := getenv(e.min); m != "" {
				lo, err := strconv.Atoi(m)
				if err != nil || lo > task {
					return 0, 0, false, usageErr("%s=%q does not fit %s=%s", e.min, m, e.index, v)
				}
				task -= lo
			}
		}
		if e.count != "" {
			if n := getenv(e.count); n != "" {
				tasks, err = strconv.Atoi(n)
				if err != nil || tasks < 1 {
					return 0, 0, false, usageErr("%s=%q is not a task count", e.count, n)
				}
			}
		}
		return task, tasks, true, nil
	}
	return 0, 0, false, nil
}
