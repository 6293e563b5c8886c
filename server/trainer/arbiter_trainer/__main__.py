"""Command line: `python3 -m arbiter_trainer train|serve|doctor`.

    /usr/bin/python3 -m arbiter_trainer train --config run.json
    /usr/bin/python3 -m arbiter_trainer serve --model out/rm
    /usr/bin/python3 -m arbiter_trainer doctor

Exit status: 0 done (or cancelled by SIGTERM after saving a checkpoint), 1 error (one
{"type":"error"} line on stdout, the traceback on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback

from . import protocol


def _train(args: argparse.Namespace) -> int:
    stop = {"requested": False}

    def on_signal(signum, _frame) -> None:
        # Finish the current step, checkpoint, report "cancelled" and exit 0 (see train.py).
        stop["requested"] = True
        protocol.log(f"received signal {signum}: stopping after this step")

    # Before the heavy imports (torch takes seconds): a cancel that comes while they load is a clean
    # stop at the first step, not a death by SIGTERM.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    from .config import ConfigError, load_config
    from .data import DataError
    from .train import train

    code = 0
    try:
        train(load_config(args.config), should_stop=lambda: stop["requested"])
    except (ConfigError, DataError) as e:
        protocol.error(str(e))
        code = 1
    except Exception as e:
        traceback.print_exc(file=sys.stderr)
        protocol.error(f"{type(e).__name__}: {e}")
        code = 1
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # Skip interpreter teardown: destroying torch 1.13's gloo process group from a DDP wrapper's
        # destructor can deadlock (see train.LIVE_DDP_MODELS); everything worth keeping is written.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _serve(args: argparse.Namespace) -> int:
    from .serve import serve

    try:
        return serve(args.model, batch_tokens=args.batch_tokens, device=args.device)
    except Exception as e:
        traceback.print_exc(file=sys.stderr)
        protocol.error(f"{type(e).__name__}: {e}")
        return 1


def _doctor(_args: argparse.Namespace) -> int:
    from .doctor import report

    protocol.emit(report())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m arbiter_trainer", description="Arbiter reward-model trainer")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train a reward model from a JSON config")
    p.add_argument("--config", required=True, help="config JSON written by server/jobs (see README.md)")
    p.set_defaults(run=_train)
    p = sub.add_parser("serve", help="score JSON lines from stdin with a trained model")
    p.add_argument("--model", required=True, help="a model directory written by train")
    p.add_argument("--batch-tokens", type=int, default=16384, help="token budget of one scoring batch")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.set_defaults(run=_serve)
    p = sub.add_parser("doctor", help="print what this interpreter has, as one JSON object")
    p.set_defaults(run=_doctor)
    args = parser.parse_args(argv)
    protocol.claim_stdout()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
