#!/usr/bin/env bash
# Keep a long `govner pretrain` run going on a shared machine: if the trainer is stopped by a
# stray SIGTERM (it saves a checkpoint and exits 143), resume it. Stop for good by creating
# $STOP (default: <checkpoint log dir>/STOP) or by killing this script first, then the trainer.
# Usage: scripts/pretrain-supervised.sh CONFIG [STOP_FILE] [--set k=v ...]
set -u
cfg=${1:?config}; shift
stop=${1:-.cache/pretrain/small/STOP}; [ $# -gt 0 ] && shift
bin=.venv/bin/govner
resume=()
[ -f "$(dirname "$stop")/ckpt/ckpt.pt" ] && resume=(--resume)
for attempt in $(seq 1 50); do
  [ -e "$stop" ] && { echo "stop file $stop present"; exit 0; }
  "$bin" pretrain --config "$cfg" "$@" "${resume[@]}"
  rc=$?
  echo "attempt $attempt: exit $rc at $(date -u +%H:%M:%S)"
  [ $rc -eq 143 ] || exit $rc
  resume=(--resume)
  sleep 5
done
