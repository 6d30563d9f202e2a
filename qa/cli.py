"""The `newsqa` command line: ingest, ask, articles, remove, app, eval."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from qa.offline import prepare_offline_runtime

if TYPE_CHECKING:
    from qa.settings import Settings


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from error


def _field_map(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    mapping = {}
    for item in ",".join(pairs).split(","):
        ours, sep, theirs = item.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise SystemExit(f"newsqa: --map expects ours=theirs pairs, got {item!r}")
        mapping[ours.strip()] = theirs.strip()
    return mapping


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsqa", description="Ask questions about news articles; every claim cited."
    )
    parser.add_argument(
        "--collection", help="Chroma collection (default: NEWSQA_COLLECTION or 'news')."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser(
        "ingest",
        help="Add article files/folders (.txt .html .json .jsonl .csv .rss .atom .xml), "
        "web pages and RSS/Atom feeds (http/https URLs).",
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    ingest.add_argument(
        "--map",
        action="append",
        metavar="OURS=THEIRS",
        help="Field mapping for JSON/CSV, e.g. title=headline,body=text.",
    )
    ingest.add_argument("--quiet", action="store_true", help="No progress bar.")

    ask = commands.add_parser("ask", help="Answer a question from the ingested articles.")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="Print one JSON object.")
    ask.add_argument("--as-of", type=_date, help="Answer from what was published by this date.")
    ask.add_argument("--since", type=_date, help="Only articles published on or after this date.")
    ask.add_argument("--source", action="append", default=[], help="Only this outlet (repeatable).")
    ask.add_argument(
        "--section", action="append", default=[], help="Only this section (repeatable)."
    )
    ask.add_argument("--top-k", type=int, help="Passages to retrieve.")
    ask.add_argument("--backend", choices=["extractive", "openai", "openai-compatible", "llamacpp"])

    articles = commands.add_parser("articles", help="List the ingested articles.")
    articles.add_argument("--json", action="store_true")
    articles.add_argument(
        "--source", action="append", default=[], help="Only this outlet (repeatable)."
    )
    articles.add_argument("--since", type=_date, help="Only articles published on or after.")
    articles.add_argument("--until", type=_date, help="Only articles published on or before.")

    remove = commands.add_parser("remove", help="Delete articles and their chunks.")
    remove.add_argument("ids", nargs="+")

    app = commands.add_parser("app", help="Start the web chat.")
    app.add_argument("--port", type=int)

    evaluate = commands.add_parser("eval", help="Evaluation harness (see eval/README).")
    evaluate.add_argument("eval_args", nargs=argparse.REMAINDER)
    for command in (ingest, ask, articles, remove, app):  # also accepted after the command
        command.add_argument("--collection", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def _open(args: argparse.Namespace, **overrides: object):
    from qa.pipeline import NewsQA
    from qa.settings import load_settings

    if args.collection:
        overrides["collection"] = args.collection
    return NewsQA(load_settings(**overrides))


def _cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from qa.indexing import IngestReport

    qa = _open(args)
    bar = tqdm(desc="ingest", unit=" articles", disable=args.quiet or None, file=sys.stderr)

    def progress(report: IngestReport) -> None:
        bar.update(report.done - bar.n)
        bar.set_postfix(chunks=report.chunks, failed=len(report.failures))

    report = qa.ingest(args.paths, field_map=_field_map(args.map), progress=progress)
    bar.close()
    for skipped in report.skipped:
        print(f"skipped: {skipped}", file=sys.stderr)
    for failure in report.failures:
        print(f"failed: {failure}", file=sys.stderr)
    print(report.summary())
    return 1 if report.failures else 0


def _cmd_ask(args: argparse.Namespace) -> int:
    overrides = {"answer_backend": args.backend} if args.backend else {}
    qa = _open(args, **overrides)
    stream = qa.ask_stream(
        args.question,
        as_of=args.as_of,
        since=args.since,
        sources=tuple(args.source),
        sections=tuple(args.section),
        top_k=args.top_k,
    )
    if args.json:
        answer = stream.result()
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if qa.backend != "extractive":
        from qa.answer import SentenceChecked
        from qa.render import verdict_tag

        # tokens as they come; each sentence's verdict as soon as it is checked
        for event in stream.events():
            text = verdict_tag(event.sentence) if isinstance(event, SentenceChecked) else event
            print(text, end="", flush=True)
        print("\n")
    answer = stream.result()
    if answer.notice:
        print(f"note: {answer.notice}", file=sys.stderr)
    print("Answer:" if qa.backend == "extractive" else "Verified answer:")
    print(answer.text)
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            print(
                f"  [{c.n}] {c.title} — {c.source or 'unknown outlet'}, {c.published_at or 'undated'}"
                + (f" <{c.url}>" if c.url else "")
            )
    if answer.invalid_markers:
        print(
            f"\n({answer.invalid_markers} citation marker(s) named no source and were removed.)",
            file=sys.stderr,
        )
    return 0


def _cmd_articles(args: argparse.Namespace) -> int:
    records = _open(args).articles(sources=args.source, since=args.since, until=args.until)
    if args.json:
        print(json.dumps([r.to_dict() for r in records], ensure_ascii=False, indent=2))
        return 0
    for r in records:
        state = "" if r.complete else f"  (incomplete: {r.chunks}/{r.expected_chunks} chunks)"
        copies = len(r.story_outlets)
        story = f"  [story {r.story_id}: {copies} outlets]" if copies > 1 else ""
        print(
            f"{r.id}  {(r.published_at or 'undated')[:10]}  {r.source or '-':<20.20}  "
            f"{r.title}{state}{story}"
        )
    print(f"{len(records)} articles", file=sys.stderr)
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    qa = _open(args)
    known = qa.store.article_records(args.ids)
    missing = [i for i in args.ids if i not in known]
    qa.remove(known)
    print(f"removed {len(known)} article(s)")
    for article_id in missing:
        print(f"not found: {article_id}", file=sys.stderr)
    return 1 if missing else 0


def _cmd_app(args: argparse.Namespace) -> int:
    from qa.settings import load_settings

    settings = load_settings()
    app_file = Path(__file__).resolve().parent.parent / "app.py"
    env = dict(os.environ)
    if args.collection:
        env["NEWSQA_COLLECTION"] = args.collection
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_file),
        "--server.address",
        settings.app_host,
        "--server.port",
        str(args.port or settings.app_port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    # exec, not a child: stopping `newsqa app` (Ctrl-C, SIGTERM) stops Streamlit itself
    os.execve(sys.executable, command, env)


def main(argv: list[str] | None = None) -> int:
    prepare_offline_runtime()
    args = build_parser().parse_args(argv)
    if args.command == "eval":
        from eval.cli import main as eval_main

        return eval_main(args.eval_args)
    handlers = {
        "ingest": _cmd_ingest,
        "ask": _cmd_ask,
        "articles": _cmd_articles,
        "remove": _cmd_remove,
        "app": _cmd_app,
    }
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the one place a failure becomes a message and an exit code
        from qa.errors import user_message

        message = user_message(error, _settings_or_none(args))
        if message is not None:
            print(f"newsqa: {message}", file=sys.stderr)
            return 2
        raise


def _settings_or_none(args: argparse.Namespace) -> Settings | None:
    """The settings a failed command ran with, to name its store; None if they are the failure."""
    from pydantic import ValidationError

    from qa.settings import load_settings

    try:
        return load_settings(**({"collection": args.collection} if args.collection else {}))
    except ValidationError:  # the error being reported already says what is wrong with them
        return None


if __name__ == "__main__":
    sys.exit(main())
