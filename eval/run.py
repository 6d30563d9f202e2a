"""One evaluation run: pick the questions, build (or reuse) the store, ask every question, and
append each response to responses.jsonl as it comes, so an interrupted run resumes."""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from eval.ask import NEGATIVE_SUFFIX, ask_question, chunk_texts
from eval.datasets import EvalDataset, EvalQuestion, load_dataset
from eval.stores import open_pipeline, provenance
from qa.llm import safe_url


class RunConfigMismatch(ValueError):
    """A run folder holds a run made with other options: resuming it would mix two runs."""


@dataclass
class RunConfig:
    """Everything that decides which questions are asked and how (recorded in manifest.json)."""

    dataset: str
    out: Path
    retriever: str = "default"
    backend: str | None = None
    top_k: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    ignore_dates: bool = False
    limit: int | None = None
    sample_seed: int = 0
    negative_rejection: int = 0
    stores_dir: Path | None = None
    judge_url: str | None = None
    judge_model: str = "gpt-4o-mini"
    rebuild_store: bool = False
    extra_settings: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # only questions carrying these tags

    def identity(self) -> dict[str, Any]:
        """The options a resumed run must share with the run it continues."""
        keep = (
            "dataset",
            "retriever",
            "backend",
            "top_k",
            "date_from",
            "date_to",
            "ignore_dates",
            "limit",
            "sample_seed",
            "negative_rejection",
            "extra_settings",
            "tags",
        )
        identity = {
            k: str(v) if isinstance(v, date) else v
            for k, v in asdict(self).items()
            # older runs had no overrides and no tag selection
            if k in keep and not (k in ("extra_settings", "tags") and not v)
        }
        if self.extra_settings:
            identity["extra_settings"] = mask_secrets(self.extra_settings)
        return identity


Callback = Callable[[int, dict[str, Any]], None]


def evaluable(question: EvalQuestion) -> bool:
    """Whether anything about the answer can be scored: gold evidence, a gold answer, or a known
    answerability (a RealTime QA question without evidence has none of these)."""
    return (
        bool(question.gold_articles or question.gold_facts or question.answers)
        or question.answerable is False
    )


def select_questions(dataset: EvalDataset, config: RunConfig) -> list[EvalQuestion]:
    """Evaluable questions asked in the date range and carrying the asked tags, then a seeded
    sample of `limit` (id order)."""
    chosen = [
        q
        for q in sorted(dataset.questions, key=lambda q: q.id)
        if evaluable(q)
        and (config.date_from is None or (q.as_of is not None and q.as_of >= config.date_from))
        and (config.date_to is None or (q.as_of is not None and q.as_of <= config.date_to))
        and all(q.tags.get(key) == value for key, value in config.tags.items())
    ]
    if config.limit is not None and config.limit < len(chosen):
        chosen = sorted(
            random.Random(config.sample_seed).sample(chosen, config.limit), key=lambda q: q.id
        )
    return chosen


def negative_probes(questions: list[EvalQuestion], n: int, seed: int) -> list[EvalQuestion]:
    """RGB-style negative rejection: answerable questions asked again without their evidence."""
    pool = [q for q in questions if q.answerable and q.gold_articles]
    picked = sorted(random.Random(seed + 1).sample(pool, min(n, len(pool))), key=lambda q: q.id)
    return [
        EvalQuestion(
            id=q.id + NEGATIVE_SUFFIX, question=q.question, as_of=q.as_of, answerable=False,
            gold_articles=q.gold_articles, tags=dict(q.tags), not_answer_scored="negative rejection probe",
        )
        for q in picked
    ]  # fmt: skip


def read_responses(path: Path) -> dict[str, dict[str, Any]]:
    """Responses by question id, the last one written winning; a line cut short by a kill is
    ignored (that question is asked again)."""
    done: dict[str, dict[str, Any]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            done[record["id"]] = record
    return done


SECRET_SETTINGS = frozenset({"llm_api_key", "chroma_token"})
URL_SETTINGS = frozenset({"llm_base_url", "chroma_host"})


def mask_secrets(values: dict[str, Any]) -> dict[str, Any]:
    """Settings as a manifest may show them: secrets as ***, URLs without user:password."""
    return {
        k: "***"
        if k in SECRET_SETTINGS and v
        else safe_url(str(v))
        if k in URL_SETTINGS and v
        else v
        for k, v in values.items()
    }


def _safe_settings(settings: Any) -> dict[str, Any]:
    dumped = settings.model_dump(exclude=set(SECRET_SETTINGS))
    return mask_secrets({k: str(v) if isinstance(v, Path) else v for k, v in dumped.items()})


def run_eval(
    config: RunConfig,
    *,
    embed_model: Any = None,
    on_question: Callback | None = None,
    quiet: bool = False,
) -> Path:
    """Ask every selected question (skipping those already answered in config.out)."""
    from tqdm import tqdm

    out = config.out
    origin = provenance()  # before the slow parts: the code on disk is the code that runs
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    previous = (
        json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else None
    )
    if previous and previous.get("config") != config.identity():
        raise RunConfigMismatch(
            f"{out} holds a run with other options ({previous.get('config')}); use another --out"
        )
    dataset = load_dataset(config.dataset)
    for problem in dataset.problems[:20]:
        print(f"dataset: {problem}", file=sys.stderr)
    questions = select_questions(dataset, config)
    items = questions + negative_probes(questions, config.negative_rejection, config.sample_seed)
    qa, store = open_pipeline(
        dataset, config, embed_model=embed_model, quiet=quiet, rebuild=config.rebuild_store
    )
    manifest = {
        "format": 1,
        "created_at": (previous or {}).get("created_at") or _now(),
        "status": "running",
        "config": config.identity(),
        **origin,  # git, code hashes, machine
        "dataset": {
            "spec": config.dataset, "kind": dataset.kind, "corpus_hash": dataset.fingerprint(),
            "questions_hash": dataset.questions_hash(), "stats": dataset.stats,
            "problems": len(dataset.problems), "problems_sample": dataset.problems[:10],
        },
        "selection": {
            "questions": len(questions), "negative_probes": len(items) - len(questions), "total": len(items),
            "not_evaluable_in_dataset": sum(not evaluable(q) for q in dataset.questions),
        },
        "settings": _safe_settings(qa.settings),
        "answer_backend": qa.backend,
        "store": store,
        "judge": {"url": safe_url(config.judge_url), "model": config.judge_model} if config.judge_url else None,
    }  # fmt: skip
    _write_json(manifest_path, manifest)
    responses_path = out / "responses.jsonl"
    done = read_responses(responses_path)
    _repair_tail(responses_path)
    # a question that failed (e.g. the LLM server was down) is asked again on resume
    pending = [q for q in items if q.id not in done or done[q.id].get("error")]
    bodies = {a.id: a.body for a in dataset.corpus}
    chunks = chunk_texts(qa) if any(q.gold_facts for q in pending) else {}
    bar = tqdm(
        total=len(items),
        initial=len(items) - len(pending),
        desc=f"eval {config.retriever}",
        unit=" q",
        disable=quiet,
        file=sys.stderr,
        mininterval=1 if sys.stderr.isatty() else 30,
    )
    started = time.perf_counter()
    with responses_path.open("a", encoding="utf-8") as sink:
        for index, question in enumerate(pending):
            response = ask_question(
                qa, question, ignore_dates=config.ignore_dates, bodies=bodies, chunks=chunks
            )
            sink.write(json.dumps(response, ensure_ascii=False) + "\n")
            sink.flush()
            bar.update(1)
            if on_question is not None:
                on_question(index, response)
    bar.close()
    failed = [r["error"] for r in read_responses(responses_path).values() if r.get("error")]
    if failed:
        print(
            f"{len(failed)} question(s) failed, first: {failed[0]} (rerun to retry them)",
            file=sys.stderr,
        )
    manifest.update(
        status="complete",
        errors=len(failed),
        finished_at=_now(),
        ask_seconds_this_session=round(time.perf_counter() - started, 1),
    )
    _write_json(manifest_path, manifest)
    return out


def _repair_tail(path: Path) -> None:
    """A kill mid-write can leave a last line without its newline: end it before appending."""
    if path.is_file() and path.stat().st_size:
        with path.open("rb+") as handle:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                handle.write(b"\n")


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    tmp.replace(path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
