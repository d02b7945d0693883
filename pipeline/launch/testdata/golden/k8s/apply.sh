#!/bin/sh
# Applies the steps of the winnow run crawl-v1 in order: each step's Indexed
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
UNSCHEDULABLE_TIMEOUT=${UNSCHEDULABLE_TIMEOUT:-120}
wait_job() {
  since=
  until kubectl --namespace curation wait --for=condition=complete "job/$1" --timeout=10s >/dev/null 2>&1; do
    if [ "$(kubectl --namespace curation get "job/$1" -o 'jsonpath={.status.conditions[?(@.type=="Failed")].status}')" = True ]; then
      echo "job $1 failed; its logs: kubectl --namespace curation logs -l job-name=$1 --prefix" >&2
      exit 1
    fi
    why=$(kubectl --namespace curation get pods -l "job-name=$1" -o 'jsonpath={range .items[*]}{.status.conditions[?(@.reason=="Unschedulable")].message}{"\n"}{end}' | sed -n '/./{p;q;}')
    if [ -z "$why" ]; then
      since=
    elif [ -z "$since" ]; then
      since=$(date +%s)
    fi
    if [ -n "$since" ] && [ $(($(date +%s) - since)) -ge "$UNSCHEDULABLE_TIMEOUT" ]; then
      echo "job $1: its pods cannot be scheduled: $why" >&2
      kubectl --namespace curation delete "job/$1" >/dev/null || true
      echo "deleted job/$1; lower the requests (--cpus-per-task, --mem) or make room, then run this again" >&2
      exit 1
    fi
  done
  echo "job $1 complete"
}

kubectl --namespace curation apply -f 00-config.yaml
kubectl --namespace curation apply -f 01-observe-exact-dedup.yaml
wait_job crawl-v1-observe-exact-dedup
kubectl --namespace curation apply -f 02-prepare-exact-dedup.yaml
wait_job crawl-v1-prepare-exact-dedup
kubectl --namespace curation apply -f 03-write.yaml
wait_job crawl-v1-write
kubectl --namespace curation apply -f 04-merge.yaml
wait_job crawl-v1-merge
