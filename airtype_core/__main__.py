"""Command line: `python -m airtype_core --help`."""

from __future__ import annotations

import argparse
import json
import sys

from .charset import LabelError
from .ink import InkError


def _cmd_pretrain(args: argparse.Namespace) -> int:
    from .pretrain import pretrain

    pretrain(args.out, minutes=args.minutes, seed=args.seed, version=args.version)
    return 0


def _load_ink(path: str):
    from .ink import Ink, InkFormatError

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as exc:
        raise InkFormatError(f"{path} is not JSON: {exc}") from None
    strokes = data.get("strokes") if isinstance(data, dict) else data
    if isinstance(data, dict) and "objects" in data:  # a canvas export
        from .ink import from_canvas

        return from_canvas(data)
    return Ink.from_strokes(strokes or [])


def _cmd_predict(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .predictor import Predictor

    predictor = Predictor()
    prediction = predictor.predict(_load_ink(args.ink), tta=args.tta)
    out = asdict(prediction)
    out["alternatives"] = [{"char": c, "confidence": p} for c, p in prediction.alternatives]
    print(json.dumps(out, indent=None if args.json else 2))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import evaluate
    from .ink import read_jsonl
    from .predictor import Predictor

    errors: list[str] = []
    samples = list(read_jsonl(args.data, errors))
    if args.limit:
        samples = samples[: args.limit]
    predictor = Predictor()
    metrics = evaluate(predictor, samples, tta=args.tta)
    metrics["unreadable_lines"] = len(errors)
    if args.json:
        print(json.dumps(metrics))
    else:
        cats = metrics["per_category"]
        print(f"model {metrics['model_version']} on {metrics['samples']} inks from {args.data}")
        print(f"  top1 {metrics['top1']:.3f}   top1_folded {metrics['top1_folded']:.3f}   top5 {metrics['top5']:.3f}")
        print(f"  digits {cats['digits']:.3f}   upper {cats['upper']:.3f}   lower {cats['lower']:.3f}")
        print(f"  ECE {metrics['ece']:.3f}   latency p50 {metrics['latency_ms_p50']:.2f} ms, p95 {metrics['latency_ms_p95']:.2f} ms")
        print("  most confused: " + ", ".join(f"{a}->{p} x{n}" for a, p, n in metrics["top_confusions"][:10]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m airtype_core", description="AirType handwriting recognition")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("pretrain", help="train the default model on synthetic Hershey-font handwriting")
    p.add_argument("--out", required=True, help="model directory (a version folder is created inside)")
    p.add_argument("--minutes", type=float, default=30.0, help="training budget on the reference 2-core CPU")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--version", help="version name (default: hershey-<date>-s<seed>)")
    p.set_defaults(func=_cmd_pretrain)

    p = sub.add_parser("predict", help="recognize one ink (JSON strokes or a canvas export)")
    p.add_argument("--ink", required=True, help='JSON file: {"strokes": [[[x, y], ...], ...]} or a canvas json_data')
    p.add_argument("--tta", action="store_true", help="test-time augmentation")
    p.add_argument("--json", action="store_true", help="one-line JSON")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("evaluate", help="accuracy, calibration and latency on a labeled JSON-lines file")
    p.add_argument("--data", required=True)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--tta", action="store_true")
    p.add_argument("--limit", type=int, default=0)
    p.set_defaults(func=_cmd_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (InkError, LabelError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
