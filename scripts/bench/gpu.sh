#!/usr/bin/env bash
# The GPU pass of the benchmarks, for a lent GPU machine that has Python + torch + transformers but no Node
# and no network (docs/performance.md, "On a GPU").
#
#   bash scripts/bench/gpu.sh prepare     # here: bundle bench:{generate,score,conversations} with esbuild into
#                                         # .gpu/, with a slim node_modules for the native modules and node (xz)
#   bash scripts/bench/gpu.sh run         # there (carry .gpu): train, generate, score, conversations on CUDA
#   DEV=cpu SMALL=1 NODE=node bash scripts/bench/gpu.sh run   # here: the same steps, tiny, as a dry run
set -uo pipefail
cd "$(dirname "$0")/../.."
case "${1:-}" in
prepare)
  set -e
  mkdir -p .gpu/node_modules/better-sqlite3/build/Release .gpu/node_modules/@node-rs
  for b in generate score conversations; do
    npx esbuild "scripts/bench/$b.ts" --bundle --platform=node --target=node20 --format=cjs \
      --external:better-sqlite3 --external:@node-rs/argon2 --outfile=".gpu/$b.cjs" --log-level=error
  done
  cp -r node_modules/better-sqlite3/package.json node_modules/better-sqlite3/lib .gpu/node_modules/better-sqlite3/
  cp node_modules/better-sqlite3/build/Release/better_sqlite3.node .gpu/node_modules/better-sqlite3/build/Release/
  cp -r node_modules/bindings node_modules/file-uri-to-path .gpu/node_modules/
  cp -r node_modules/@node-rs/argon2 node_modules/@node-rs/argon2-linux-x64-gnu .gpu/node_modules/@node-rs/
  [ -f .gpu/node.xz ] || xz -T0 -6 -c "$(command -v node)" > .gpu/node.xz
  du -sh .gpu
  ;;
run)
  OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
  export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
  DEV=${DEV:-cuda}
  if [ -z "${NODE:-}" ]; then xz -d -c .gpu/node.xz > /tmp/node && chmod +x /tmp/node; NODE=/tmp/node; fi
  export ARBITER_PYTHON=${ARBITER_PYTHON:-$(command -v python3)}
  { date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1; nproc
    "$ARBITER_PYTHON" -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'cuda', torch.cuda.is_available())"
    $NODE -v; } 2>&1 | tee "$OUT/env.log"
  if [ -n "${SMALL:-}" ]; then
    TRAIN="--model qwen2-mini --chat-template --pairs 40 --epochs 1"; TT=120
    GEN="--n 8 --max-tokens 8 --naive-n 2 --ttft-requests 2"; GT=120
    SCORE="--n 10 --latency-requests 3"; ST=60
    CONV="--conversations 2 --turns 1 --max-tokens 4"; CT=60
  else
    # Sized for about 8 minutes on one H200 (2026-12-04 readings): see docs/performance.md.
    TRAIN="--model qwen2-0.5b --chat-template --min-len 512 --max-len 8192 --pairs 1000 --lr 1e-4"; TT=190
    GEN="--n 1000 --naive-n 8 --ttft-requests 20"; GT=160
    SCORE="--n 5000 --latency-requests 50"; ST=110
    CONV="--conversations 20 --turns 2 --max-tokens 32"; CT=90
  fi
  echo "== train $(date -u +%T)"
  (cd server/trainer && PYTHONPATH=. timeout $TT "$ARBITER_PYTHON" -m arbiter_trainer.bench $TRAIN --device $DEV --keep-model /tmp/rm-bench) 2>&1 | tee "$OUT/train.log" | grep -v "it/s\]" | tail -40
  pkill -f arbiter_trainer; sleep 1
  echo "== generate $(date -u +%T)"
  timeout $GT $NODE .gpu/generate.cjs --device $DEV $GEN 2>&1 | tee "$OUT/generate.log" | grep -v "prompts$\|POST /v1" | tail -15
  pkill -f arbiter_trainer; sleep 1
  echo "== score $(date -u +%T)"
  if [ -d /tmp/rm-bench ]; then SCORE="$SCORE --model-dir /tmp/rm-bench"; fi
  timeout $ST $NODE .gpu/score.cjs --device $DEV $SCORE 2>&1 | tee "$OUT/score.log" | grep -v "it/s\]" | tail -10
  pkill -f arbiter_trainer; sleep 1
  echo "== conversations $(date -u +%T)"
  timeout $CT $NODE .gpu/conversations.cjs --device $DEV $CONV 2>&1 | tee "$OUT/conv.log" | grep -v "it/s\]" | tail -8
  echo "== done $(date -u +%T)"
  ;;
*) echo "usage: bash scripts/bench/gpu.sh prepare|run" >&2; exit 2 ;;
esac
