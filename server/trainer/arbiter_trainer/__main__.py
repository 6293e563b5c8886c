"""Command line: `python3 -m arbiter_trainer train|serve|doctor|bases`.

    /usr/bin/python3 -m arbiter_trainer train --config run.json
    /usr/bin/python3 -m arbiter_trainer serve --model out/rm
    /usr/bin/python3 -m arbiter_trainer doctor
    python -m arbiter_trainer openai-serve --model DIR_OR_HUB_ID --port 8000   (transformers; see openai_server.py)
    /usr/bin/python3 -m arbiter_trainer bases --json [--models-dir DIR]   # {"bases": [...]} (bases.list_bases)

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

    from .bases import BaseError
    from .config import ConfigError, load_config
    from .data import DataError
    from .train import train

    code = 0
    try:
        train(load_config(args.config), should_stop=lambda: stop["requested"])
    except (ConfigError, DataError, BaseError) as e:
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


def _openai_serve(args: argparse.Namespace) -> int:
    from .generate import GenerateError
    from .openai_server import openai_serve

    try:
        return openai_serve(args.model, host=args.host, port=args.port, device=args.device, max_batch=args.max_batch,
                            served_name=args.served_model_name, max_model_len=args.max_model_len)
    except GenerateError as e:
        protocol.error(str(e))
        return 1
    except Exception as e:
        traceback.print_exc(file=sys.stderr)
        protocol.error(f"{type(e).__name__}: {e}")
        return 1


def _doctor(_args: argparse.Namespace) -> int:
    from .doctor import report

    protocol.emit(report())
    return 0


def _bases(args: argparse.Namespace) -> int:
    from .bases import list_bases

    protocol.emit({"bases": list_bases(args.models_dir)})
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
    p = sub.add_parser("openai-serve", help="serve a causal LM over the OpenAI chat-completions HTTP API")
    p.add_argument("--model", required=True, help="a local model folder or a Hugging Face Hub id")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port (reported on the ready line)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--max-batch", type=int, default=32, help="sequences decoded together")
    p.add_argument("--served-model-name", default=None, help="the model id clients send (default: --model)")
    p.add_argument("--max-model-len", type=int, default=None, help="context length (default: the model's)")
    p.set_defaults(run=_openai_serve)
    p = sub.add_parser("doctor", help="print what this interpreter has, as one JSON object")
    p.set_defaults(run=_doctor)
    p = sub.add_parser("bases", help="list the base models in the HF cache and ARBITER_MODELS_DIR, as one JSON object")
    p.add_argument("--json", action="store_true", help="accepted for symmetry with the CLI: the output is always JSON")
    p.add_argument("--models-dir", default=None, help="default: ARBITER_MODELS_DIR")
    p.set_defaults(run=_bases)
    args = parser.parse_args(argv)
    protocol.claim_stdout()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
