"""`newsqa eval run | report | compare`: scripted evaluation runs (see eval/README.md)."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from eval.baselines import RETRIEVERS

DEFAULT_RUNS = Path("eval") / "runs"


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from error


def _positive(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsqa eval",
        description="Evaluate newsqa on a benchmark: retrieval, answers, citations, refusals, latency.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="Ask a dataset's questions and score the answers (resumable)."
    )
    run.add_argument(
        "--dataset",
        required=True,
        metavar="KIND:PATH",
        help="realtimeqa:DIR, multihop:CORPUS.json,QUERIES.json or jsonl:DIR",
    )
    run.add_argument(
        "--retriever",
        choices=RETRIEVERS,
        default="default",
        help="newsqa's retriever, or a baseline (dense: plain LlamaIndex vectors; bm25).",
    )
    run.add_argument(
        "--backend",
        choices=["extractive", "openai", "openai-compatible", "llamacpp"],
        help="Answer backend (default: from settings).",
    )
    run.add_argument(
        "--top-k", type=int, help="Passages given to the answerer (default: NEWSQA_TOP_K)."
    )
    run.add_argument(
        "--from",
        dest="date_from",
        type=_date,
        help="Only questions asked on or after this date (corpus stays whole).",
    )
    run.add_argument(
        "--to", dest="date_to", type=_date, help="Only questions asked on or before this date."
    )
    run.add_argument(
        "--ignore-dates",
        action="store_true",
        help="Ask with no as-of date (content-only retrieval).",
    )
    run.add_argument("--limit", type=_positive, help="Seeded random sample of this many questions.")
    run.add_argument(
        "--sample-seed",
        type=int,
        default=0,
        help="Seed for --limit and --negative-rejection (default 0).",
    )
    run.add_argument(
        "--negative-rejection",
        type=_positive,
        default=0,
        metavar="N",
        help="Also ask N answerable questions with their evidence held out; refusal expected.",
    )
    run.add_argument(
        "--out",
        type=Path,
        help="Run folder (default eval/runs/<timestamp>-<dataset>); an existing one is resumed.",
    )
    run.add_argument(
        "--stores", type=Path, help="Where corpus stores are cached (default: <out>/../.stores)."
    )
    run.add_argument(
        "--judge-url",
        help="Optional LLM judge: an OpenAI-compatible base URL (…/v1). Off by default.",
    )
    run.add_argument("--judge-model", default="gpt-4o-mini", help="Model name for --judge-url.")
    run.add_argument(
        "--rebuild-store", action="store_true", help="Rebuild the cached corpus store first."
    )
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        type=_setting,
        metavar="NAME=VALUE",
        help="Override one newsqa setting for this run (repeatable), e.g. --set min_answer_score=0.4; "
        "recorded in the manifest.",
    )
    run.add_argument(
        "--tag",
        dest="tags",
        action="append",
        default=[],
        type=_tag,
        metavar="KEY=VALUE",
        help="Only questions with this tag (repeatable; all must match), e.g. --tag parts=multi"
        " for RealTime QA's multi-part questions; the report breaks every run down by tag.",
    )
    run.add_argument("--quiet", action="store_true", help="No progress bars.")
    report = commands.add_parser(
        "report", help="(Re)score a run folder and write report.html / report.md."
    )
    report.add_argument("run_dir", type=Path)
    compare = commands.add_parser(
        "compare", help="Deltas between two runs (B - A) on their shared questions."
    )
    compare.add_argument("run_a", type=Path)
    compare.add_argument("run_b", type=Path)
    compare.add_argument(
        "--out",
        type=Path,
        help="Folder for compare.html / compare.md (default: RUN_B/compare-vs-<RUN_A>).",
    )
    return parser


def _setting(text: str) -> tuple[str, str]:
    """`NAME=VALUE` for --set, NAME a field of qa.settings.Settings (case-insensitive)."""
    from qa.settings import Settings

    name, sep, value = text.partition("=")
    name = name.strip().lower().removeprefix("newsqa_")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--set {text!r}: expected NAME=VALUE")
    if name not in Settings.model_fields:
        raise argparse.ArgumentTypeError(f"--set {text!r}: no setting named {name!r}")
    return name, value.strip()


def _tag(text: str) -> tuple[str, str]:
    """`KEY=VALUE` for --tag."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"--tag {text!r}: expected KEY=VALUE, e.g. parts=multi")
    return key.strip(), value.strip()


def default_out(dataset: str) -> Path:
    kind = re.sub(r"[^a-zA-Z0-9_-]", "", dataset.partition(":")[0]) or "dataset"
    return DEFAULT_RUNS / f"{datetime.now():%Y%m%d-%H%M%S}-{kind}"


def _cmd_run(args: argparse.Namespace) -> int:
    from eval.report import write_report
    from eval.run import RunConfig, run_eval
    from eval.score import score_run

    config = RunConfig(
        dataset=args.dataset, out=args.out or default_out(args.dataset), retriever=args.retriever,
        backend=args.backend, top_k=args.top_k, date_from=args.date_from, date_to=args.date_to,
        ignore_dates=args.ignore_dates, limit=args.limit, sample_seed=args.sample_seed,
        negative_rejection=args.negative_rejection, stores_dir=args.stores,
        judge_url=args.judge_url, judge_model=args.judge_model, rebuild_store=args.rebuild_store,
        extra_settings=dict(args.overrides), tags=dict(args.tags),
    )  # fmt: skip
    print(f"run folder: {config.out}", file=sys.stderr)
    out = run_eval(config, quiet=args.quiet)
    if config.judge_url:
        from eval.judge import judge_run

        judge_run(out, config.judge_url, config.judge_model)
    summary = score_run(out)
    html = write_report(out)
    print(headline(summary))
    print(f"report: {html}")
    return 1 if summary["counts"]["errors"] else 0


def headline(summary: dict[str, Any]) -> str:
    """One screenful: the numbers a reader looks for first."""

    def show(entry: dict[str, Any] | None) -> str:
        if not entry or entry.get("mean") is None:
            return "n/a"
        ci = entry.get("ci95")
        return (
            f"{entry['mean']:.3f}"
            + (f" [{ci[0]:.3f}-{ci[1]:.3f}]" if ci else "")
            + f" ({entry['n']}/{entry['n_total']})"
        )

    lines = [
        f"{name:<22} {show(summary['retrieval'].get(name))}"
        for name in ("Hit@1", "Hit@5", "Hit@10", "MRR@10", "nDCG@10")
    ]
    lines += [
        f"{name:<22} {show(summary['answers'].get(name))}"
        for name in ("containment", "token_f1", "gold_in_evidence")
    ]
    lines += [
        f"{name:<22} {show(summary['citations'].get(name))}"
        for name in ("citation_recall", "citation_precision")
    ]
    lines.append(f"{'correct refusals':<22} {show(summary['refusals']['correct_refusal_rate'])}")
    lines.append(f"{'false refusals':<22} {show(summary['refusals']['false_refusal_rate'])}")
    total = summary["latency_ms"]["total"]
    if total["p50"] is not None:
        lines.append(f"{'latency total ms':<22} p50 {total['p50']:.0f}, p95 {total['p95']:.0f}")
    tokens = summary.get("tokens_and_cost")
    if isinstance(tokens, dict) and tokens.get("total_tokens"):
        cost = tokens.get("cost_usd")
        lines.append(
            f"{'tokens per answer':<22} p50 {tokens['total_tokens']['p50']:.0f}, "
            f"p95 {tokens['total_tokens']['p95']:.0f}"
            + (f"; cost ${cost['total']:.4f}" if cost else "; unpriced")
        )
    agreement = summary["judge_agreement"]
    if agreement.get("available"):
        lines.append(
            f"{'support judge agrees':<22} {agreement['agreement']:.3f} of {agreement['n']} labels"
        )
    return "\n".join(lines)


def _cmd_report(args: argparse.Namespace) -> int:
    from eval.report import write_report
    from eval.score import score_run

    if not (args.run_dir / "manifest.json").is_file():
        raise FileNotFoundError(f"{args.run_dir}: not a run folder (no manifest.json)")
    summary = score_run(args.run_dir)
    print(headline(summary))
    print(f"report: {write_report(args.run_dir)}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from eval.report import compare_runs

    for run_dir in (args.run_a, args.run_b):
        if not (run_dir / "manifest.json").is_file():
            raise FileNotFoundError(f"{run_dir}: not a run folder (no manifest.json)")
    html, rows = compare_runs(args.run_a, args.run_b, args.out)
    for row in rows:
        delta = "n/a" if row["delta"] is None else f"{row['delta']:+.3f}"
        ci = f" [{row['ci95'][0]:+.3f}, {row['ci95'][1]:+.3f}]" if row.get("ci95") else ""
        print(f"{row['metric']:<20} {delta}{ci} (n={row['n']})")
    print(f"compare: {html}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from qa.offline import prepare_offline_runtime

    prepare_offline_runtime()
    args = build_parser().parse_args(argv)
    handlers = {"run": _cmd_run, "report": _cmd_report, "compare": _cmd_compare}
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError) as error:  # bad dataset, bad options, mismatched resume
        print(f"newsqa eval: {error}", file=sys.stderr)
        return 2
