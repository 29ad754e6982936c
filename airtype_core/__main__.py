"""Command line: `python -m airtype_core --help`."""

from __future__ import annotations

import argparse
import json
import os
import sys

from .recognition.charset import LabelError
from .recognition.ink import InkError
from .settings import SettingsError, get_settings


def _cmd_pretrain(args: argparse.Namespace) -> int:
    from .learning.pretrain import pretrain
    from .recognition.modelstore import ModelLoadError

    if (args.sites or args.exclude_sites) and not args.unipen:
        raise SystemExit("--sites and --exclude-sites choose among the sites of --unipen DIR")
    try:
        pretrain(
            args.out,
            minutes=args.minutes,
            seed=args.seed,
            version=args.version,
            unipen=args.unipen,
            sites=args.sites,
            exclude_sites=args.exclude_sites,
            init=args.init,
        )
    except ModelLoadError as exc:  # a version name, or --init, refused before anything was trained
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _load_ink(path: str):
    from .recognition.ink import Ink, InkFormatError

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as exc:
        raise InkFormatError(f"{path} is not JSON: {exc}") from None
    strokes = data.get("strokes") if isinstance(data, dict) else data
    if isinstance(data, dict) and "objects" in data:  # a canvas export
        from .recognition.ink import from_canvas

        return from_canvas(data)
    return Ink.from_strokes(strokes or [])


def _cmd_predict(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .recognition.predictor import Predictor

    predictor = Predictor()
    prediction = predictor.predict(_load_ink(args.ink), tta=args.tta)
    out = asdict(prediction)
    out["alternatives"] = [{"char": c, "confidence": p} for c, p in prediction.alternatives]
    print(json.dumps(out, indent=None if args.json else 2))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .bench.evaluate import EvaluationError, evaluate_file
    from .recognition.modelstore import ModelLoadError

    try:
        metrics = evaluate_file(args.data, version=args.model, tta=args.tta, limit=args.limit)
    except (EvaluationError, ModelLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    errors = metrics["unreadable"]
    if args.json:
        print(json.dumps(metrics))
        return 0
    # a file may hold one category only (digits, say): the others have no figure
    cats = {k: "-" if v is None else f"{v:.3f}" for k, v in metrics["per_category"].items()}
    print(f"model {metrics['model_version']} on {metrics['samples']} inks from {args.data}")
    print(f"  top1 {metrics['top1']:.3f}   top1_folded {metrics['top1_folded']:.3f}   top5 {metrics['top5']:.3f}")
    print(f"  digits {cats['digits']}   upper {cats['upper']}   lower {cats['lower']}")
    if "latency_ms_p50" in metrics:
        print(
            f"  ECE {metrics['ece']:.3f}   latency p50 {metrics['latency_ms_p50']:.2f} ms, "
            f"p95 {metrics['latency_ms_p95']:.2f} ms"
        )
    print("  most confused: " + ", ".join(f"{a}->{p} x{n}" for a, p, n in metrics["top_confusions"][:10]))
    if errors or metrics["skipped_inks"]:
        print(
            f"  {metrics['unreadable_lines']} unreadable lines, {metrics['skipped_inks']} inks that are no character (skipped)"
        )
        for error in errors:
            print(f"    {error}")
    return 0


def _progress_bar(stream=sys.stderr):
    """A `finetune.RunProgress` callback drawing one text line per epoch (redrawn in place on a terminal)."""
    tty, last_phase = stream.isatty(), [None]

    def show(p) -> None:
        if p.train is None:
            if p.phase != last_phase[0] or not tty:
                print(f"{p.phase}: {p.message}", file=stream, flush=True)
            last_phase[0] = p.phase
            return
        t, width = p.train, 30
        done = int(t.fraction * width)
        line = (
            f"epoch {t.epoch}/{t.epochs} [{'#' * done}{'.' * (width - done)}] {t.fraction:4.0%} "
            f"loss {t.train_loss:.3f} acc {t.train_acc:.3f} eta {t.eta_s:4.0f} s"
        )
        if t.val_acc is not None:
            print(("\r" if tty else "") + line + f" val_loss {t.val_loss:.3f} val_acc {t.val_acc:.3f}", file=stream)
        elif tty:
            print("\r" + line, end="", file=stream, flush=True)
        last_phase[0] = p.phase

    return show


def _cmd_train(args: argparse.Namespace) -> int:
    if args.job_dir:  # the app's background run, see jobs.py
        from .learning.jobs import run_job

        return run_job(args.job_dir)

    import os
    import signal
    import threading

    from .learning.jobs import TRAINING_ENV, JobRunner, TrainingBusyError

    for name, value in TRAINING_ENV.items():  # before torch starts its thread pool
        os.environ.setdefault(name, value)
    from .learning.options import TrainingError, TrainOptions
    from .learning.trainer import TrainingCancelled
    from .settings import get_settings
    from .storage.records import StorageError
    from .storage.store import Storage

    settings = get_settings()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())  # Ctrl+C: stop between batches, record `cancelled`
    try:
        storage = Storage(settings.database_url)
        options = TrainOptions(
            mode="finetune" if args.fine_tune else "full",
            epochs=args.epochs,
            augment=not args.no_augment,
            augmentation_factor=args.augmentation_factor,
            misclassified_only=args.misclassified_only,
            min_samples=args.min_samples,
            participant_id=storage.find_participant(args.participant).id if args.participant else None,
            synthetic_per_class=args.synthetic_per_class,
            seed=args.seed,
        )
        outcome = JobRunner(settings).run_here(options, storage, progress=_progress_bar(), should_stop=stop.is_set)
    except TrainingCancelled:
        print("cancelled: the active model was not changed", file=sys.stderr)
        return 130
    except (TrainingError, TrainingBusyError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(outcome.to_dict()))
    else:
        print(f"{outcome.version} (parent {outcome.parent_version}) {outcome.reason}")
        print(
            f"  {outcome.samples_used} stored samples -> {outcome.train_size} training inks, "
            f"{len(outcome.history)} epochs on {outcome.device}, {outcome.samples_per_s:.0f} samples/s, "
            f"{outcome.duration_s:.1f} s in all"
        )
    return 0


def _cmd_bench_finetune(args: argparse.Namespace) -> int:
    from .bench.finetune import (
        format_report,
        format_summary,
        run_bench,
        summarize_draws,
    )

    reports = []
    for seed in range(args.seed, args.seed + args.draws):  # each draw picks other corrections
        reports.append(run_bench(args.data, args.per_class, args.samples, seed))
        if not args.json:
            print(format_report(reports[-1], args.data) + "\n", flush=True)
    if args.json:
        print(json.dumps(reports[0] if args.draws == 1 else {"draws": reports, "summary": summarize_draws(reports)}))
    elif args.draws > 1:
        print(format_summary(summarize_draws(reports)))
    return 0


def _cmd_bench_adapt(args: argparse.Namespace) -> int:
    from .bench.adapt import format_report, run_bench

    report = run_bench(args.data, args.per_writer)
    print(json.dumps(report) if args.json else format_report(report, args.data))
    return 0


def _cmd_fit_memory(args: argparse.Namespace) -> int:
    from .learning.memoryfit import fit_shipped
    from .recognition.memory import PARAMS_FILE
    from .recognition.predictor import Predictor

    predictor = Predictor()
    params = fit_shipped(args.unipen, predictor, args.per_writer)
    path = predictor.store.root / predictor.version / PARAMS_FILE
    path.write_text(params.to_json())
    print(
        f"{path}: k={params.k} temperature={params.temperature} knn_weight={params.knn_weight} "
        f"size_weight={params.size_weight} size_gap={params.size_gap}\n{json.dumps(params.fitted_on, indent=1)}"
    )
    return 0


def _sample_filter(args: argparse.Namespace):
    """The export filters of the command line, as a SampleFilter."""
    from datetime import datetime

    from .storage.records import SampleFilter

    def day(text: str | None):
        return datetime.fromisoformat(text) if text else None

    return SampleFilter(
        chars=tuple(args.char or ()),
        misclassified_only=args.misclassified_only,
        min_confidence=args.min_confidence,
        max_confidence=args.max_confidence,
        correction_types=tuple(args.correction_type or ()),
        source=args.source,
        participant_id=args.participant_id,
        collection_session_id=args.collection_session,
        model_version=args.model_version,
        start=day(args.since),
        end=day(args.until),
    )


def _cmd_import(args: argparse.Namespace) -> int:
    from .formats.records import FormatError
    from .settings import get_settings
    from .storage.records import StorageError
    from .storage.store import Storage
    from .transfer.importer import import_file

    try:
        storage = Storage(get_settings().database_url)
        predictor = None
        if args.predict:
            import os

            # one thread, as background training: on 2 shared cores two threads measured slower
            os.environ.setdefault("OMP_NUM_THREADS", "1")
            from .recognition.predictor import Predictor

            predictor = Predictor()
        tty = sys.stderr.isatty()

        def show(p) -> None:
            if tty:
                print(
                    f"\r{p.read} read, {p.stored} new, {p.duplicates} duplicates, {p.problems} problems",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )

        report = import_file(
            storage,
            args.file,
            args.format,
            dry_run=args.dry_run,
            all_or_nothing=args.all_or_nothing,
            predictor=predictor,
            progress=show,
        )
    except (FormatError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if tty:
        print(file=sys.stderr)
    for problem in report.problems[: args.max_problems]:
        print(f"skipped {problem}", file=sys.stderr)
    if report.problem_count > args.max_problems:
        print(f"... and {report.problem_count - args.max_problems} more problems", file=sys.stderr)
    print(report.summary())
    if report.error or report.rolled_back or report.crashed:
        return 2
    return 1 if report.failed else 0  # nothing read (an empty file, a wrong format) is not a success


def _cmd_export(args: argparse.Namespace) -> int:
    from .formats.records import FormatError
    from .settings import get_settings
    from .storage.records import StorageError
    from .storage.store import Storage
    from .transfer.exporter import export_samples

    try:
        storage = Storage(get_settings().database_url)
        with open(args.out, "w", encoding="utf-8", newline="") as out:
            count = export_samples(storage, _sample_filter(args), args.format, out)
    except (FormatError, StorageError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{count} samples written to {args.out} ({args.format})")
    return 0


def _cmd_bench_io(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as `import --predict`, which it measures
    from .bench.io import format_report, run_bench

    report = run_bench(args.samples, predict=not args.no_predict, keep=args.keep)
    print(json.dumps(report) if args.json else format_report(report))
    return 0


def _cmd_bench_fuzz(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as `import --predict`
    from .bench.fuzz import format_report, report_json, run_fuzz

    report = run_fuzz(args.inks, args.files, seed=args.seed)
    print(report_json(report) if args.json else format_report(report))
    return 0 if report.ok else 1


def _cmd_suggest(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .insight.suggestions import suggest
    from .settings import get_settings
    from .storage.records import StorageError
    from .storage.store import Storage

    settings = get_settings()
    try:
        storage = Storage(settings.database_url)
        participant = storage.find_participant(args.participant) if args.participant else None
        reader = None
        if not args.no_model:
            from .recognition.predictor import Predictor

            reader = Predictor(settings)
        result = suggest(
            storage, participant.id if participant else None, reader=reader, threshold=settings.uncertain_threshold
        )
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                {
                    "participant": participant.name if participant else None,
                    "samples": result.samples,
                    "characters_covered": result.characters_covered,
                    "practice_set": list(result.practice_set),
                    "suggestions": [asdict(s) for s in result.items],
                }
            )
        )
        return 0
    who = participant.name if participant else "everyone"
    print(f"{result.samples} samples of {who}, {result.characters_covered} of 62 characters covered")
    if not result.items:
        print("nothing to practise: every character has enough samples and is read well")
    for s in result.items:
        print(f"  {s.char}  {s.score:5.1f}  " + "; ".join(s.reasons))
    print("practice set: " + " ".join(result.practice_set))
    return 0


def _cmd_bench_stats(args: argparse.Namespace) -> int:
    from .bench.stats import bench_stats
    from .settings import get_settings
    from .storage.records import StorageError
    from .storage.store import Storage

    try:
        storage = Storage(args.database_url or get_settings().database_url)
        report = bench_stats(storage, args.samples, views=args.views)
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report))
        return 0
    print(
        f"{report['database']}: {report['samples']} samples (seeded in {report['seeded_s']} s), "
        f"median of {report['views']} page views, load average {report['load_average']}"
    )
    for name, ms in report["median_ms"].items():
        print(f"  {name:28s} {ms:8.1f} ms")
    print(
        f"  {'one page view, all queries':28s} {report['page_view_ms_median']:8.1f} ms "
        f"(slowest view {report['page_view_ms_max']} ms; target 300 ms)"
    )
    if report["database"] == "sqlite":  # the queries run in this process: CPU time is the work, without the wait
        print(f"  {'the same, CPU time':28s} {report['page_view_cpu_ms_median']:8.1f} ms")
    return 0


def _at_least_one(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m airtype_core", description="AirType handwriting recognition")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("pretrain", help="train a model on real UNIPEN handwriting (--unipen) and synthetic handwriting")
    p.add_argument("--out", required=True, help="model directory (a version folder is created inside)")
    p.add_argument("--minutes", type=float, default=30.0, help="training budget on the reference 2-core CPU")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--version", help="version name (default: hershey-<date>-s<seed> or unipen-<date>-s<seed>)")
    p.add_argument(
        "--unipen", metavar="DIR", help="a UNIPEN folder (e.g. the train_r01_v07 download): train on its characters too"
    )
    sites = p.add_mutually_exclusive_group()
    sites.add_argument("--sites", nargs="+", metavar="SITE", help="only these sites of --unipen (e.g. apa app)")
    sites.add_argument("--exclude-sites", nargs="+", metavar="SITE", help="all sites of --unipen but these")
    p.add_argument(
        "--init", metavar="VERSION", help="start from this version in --out (e.g. hershey-v3) instead of random weights"
    )
    p.set_defaults(func=_cmd_pretrain)

    p = sub.add_parser("predict", help="recognize one ink (JSON strokes or a canvas export)")
    p.add_argument("--ink", required=True, help='JSON file: {"strokes": [[[x, y], ...], ...]} or a canvas json_data')
    p.add_argument("--tta", action="store_true", default=None, help="test-time augmentation (default: AIRTYPE_TTA)")
    p.add_argument("--json", action="store_true", help="one-line JSON")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("evaluate", help="accuracy, calibration and latency on a labeled JSON-lines file")
    p.add_argument("--data", required=True)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--model", metavar="VERSION", help="this version of AIRTYPE_MODEL_DIR (default: the active one)")
    p.add_argument("--tta", action="store_true", default=None, help="test-time augmentation (default: AIRTYPE_TTA)")
    p.add_argument("--limit", type=int, default=0)
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("train", help="train on the stored samples (full training, or --fine-tune the active model)")
    p.add_argument(
        "--fine-tune", action="store_true", help="adapt the active model (a third of the learning rate, 5 epochs)"
    )
    p.add_argument("--epochs", type=int, help="default: 10 full, 5 fine-tuning")
    p.add_argument("--no-augment", action="store_true", help="train on the stored inks only")
    p.add_argument("--augmentation-factor", type=int, help="distorted copies per ink (default: 5 full, 3 fine-tuning)")
    p.add_argument("--misclassified-only", action="store_true", help="only the samples the model got wrong")
    p.add_argument("--min-samples", type=int, help="refuse to train below this (default AIRTYPE_MIN_TRAIN_SAMPLES)")
    p.add_argument("--participant", help="only this participant's samples (name or id)")
    p.add_argument("--synthetic-per-class", type=int, help="synthetic inks mixed in per class")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the outcome as one JSON object")
    p.add_argument("--job-dir", help=argparse.SUPPRESS)  # the app's background runs (jobs.py)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("bench-finetune", help="how much a few corrections help: fine-tune a temporary copy, compare")
    p.add_argument("--data", required=True, help="labeled JSON-lines file (evaluation data; never shipped)")
    p.add_argument("--per-class", type=int, default=5, help="samples per class to fine-tune on")
    p.add_argument("--samples", type=int, default=0, help="fine-tune on this many samples instead, spread over classes")
    p.add_argument("--seed", type=int, default=0, help="which samples are drawn (and the run's seed)")
    p.add_argument(
        "--draws",
        type=_at_least_one,
        default=1,
        help="repeat with seeds seed, seed+1, ... and summarize: one draw of a few samples is noisy",
    )
    p.add_argument(
        "--json", action="store_true", help='one JSON report; with --draws > 1, {"draws": [reports], "summary": {...}}'
    )
    p.set_defaults(func=_cmd_bench_finetune)

    p = sub.add_parser("bench-adapt", help="how much a writer's stored answers help at once (the memory), compare")
    p.add_argument(
        "--data", required=True, help="labeled JSON-lines file with writers (evaluation data; never shipped)"
    )
    p.add_argument("--per-writer", type=_at_least_one, default=20, help="answers stored per writer, in file order")
    p.add_argument("--json", action="store_true", help="one JSON report")
    p.set_defaults(func=_cmd_bench_adapt)

    p = sub.add_parser("fit-memory", help="learn how much a writer's memory counts (memory.json of the active model)")
    p.add_argument("--unipen", required=True, help="the UNIPEN folder the model learned from (never the dev file)")
    p.add_argument("--per-writer", type=_at_least_one, default=20, help="answers of the file-order simulation")
    p.set_defaults(func=_cmd_fit_memory)

    p = sub.add_parser("import", help="store the samples of a handwriting file (JSON lines, InkML, UJI, UNIPEN)")
    p.add_argument("file", help="the file (a UNIPEN folder also works)")
    p.add_argument("--format", choices=("jsonl", "inkml", "uji", "unipen"), help="default: from the file name")
    p.add_argument("--dry-run", action="store_true", help="read and check everything, store nothing")
    p.add_argument("--all-or-nothing", action="store_true", help="store nothing if any record is bad")
    p.add_argument("--predict", action="store_true", help="store the active model's prediction of each sample")
    p.add_argument("--max-problems", type=int, default=50, help="problems listed (all are counted)")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("export", help="write the stored samples (or a filter of them) to a file")
    p.add_argument("--format", choices=("jsonl", "csv", "inkml"), required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--char", action="append", help="only this label (repeatable)")
    p.add_argument("--misclassified-only", action="store_true")
    p.add_argument("--min-confidence", type=float)
    p.add_argument("--max-confidence", type=float)
    p.add_argument("--correction-type", action="append", choices=("confirmed", "corrected", "manual", "prompted"))
    p.add_argument("--source", choices=("canvas", "air", "import"))
    p.add_argument("--participant-id", type=int)
    p.add_argument("--collection-session", type=int)
    p.add_argument("--model-version")
    p.add_argument("--since", help="ISO date or time, UTC (inclusive)")
    p.add_argument("--until", help="ISO date or time, UTC (exclusive)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("bench-io", help="import/export speed, peak memory, --predict throughput, Data-page query")
    p.add_argument("--samples", type=_at_least_one, default=100_000)
    p.add_argument("--no-predict", action="store_true", help="skip the --predict measure")
    p.add_argument("--keep", help="keep the benchmark's database and files in this folder")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_bench_io)
    p = sub.add_parser(
        "bench-fuzz",
        help="random inks through the predictor and random files through import: "
        "crashes (must be 0), rows stored versus records accepted",
    )
    p.add_argument("--inks", type=int, default=100_000)
    p.add_argument("--files", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_bench_fuzz)
    p = sub.add_parser("suggest", help="which characters to practise, with the reasons")
    p.add_argument("--participant", help="only this participant's samples (name or id)")
    p.add_argument("--no-model", action="store_true", help="do not ask the active model how sure it is")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_suggest)

    p = sub.add_parser("bench-stats", help="seed realistic samples and time each Stats page query")
    p.add_argument("--samples", type=_at_least_one, default=100_000, help="seed the database up to this many samples")
    p.add_argument("--database-url", help="default AIRTYPE_DATABASE_URL; use a throwaway database")
    p.add_argument("--views", type=_at_least_one, default=5, help="page views timed (the median is printed)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_bench_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        get_settings()  # every command needs them: a bad one is reported first, whatever was asked
        code = args.func(args)
        sys.stdout.flush()  # a reader that went away (`| head`) is found here, not at exit
        return code
    except BrokenPipeError:
        # whoever read the output (`| head`) has what they wanted: stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a tool that stopped on a closed pipe
    except SettingsError as exc:
        print(f"error: AirType cannot run with these settings:\n{exc}", file=sys.stderr)
        return 2
    except (InkError, LabelError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # a model that cannot be used is a person's to fix, said in one line
        from .recognition.modelstore import ModelLoadError  # loaded already: it is what was raised

        if not isinstance(exc, ModelLoadError):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
