"""Optional LLM judge over an OpenAI-compatible endpoint: off by default, cached on disk, and
reported in its own section (judge.json), never mixed into the deterministic numbers."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from eval.metrics import aggregate
from eval.run import read_responses
from qa.llm import safe_url

PROMPT = """You grade answers to news questions. Reply with exactly one word: CORRECT or INCORRECT.

Question: {question}
Gold answer: {gold}
Candidate answer: {answer}

Is the candidate answer correct, i.e. does it state the gold answer (or an equivalent) without
contradicting it?"""


def _verdict(reply: str) -> float | None:
    word = reply.strip().split()[0].strip(".:!*").upper() if reply.strip() else ""
    return {"CORRECT": 1.0, "INCORRECT": 0.0}.get(word)


def judge_run(
    run_dir: Path,
    url: str,
    model: str,
    *,
    cache_dir: Path | None = None,
    api_key: str | None = None,
) -> dict[str, Any]:
    """Ask the judge about every answer-scored response; write run_dir/judge.json."""
    import openai

    key = (
        api_key
        or os.environ.get("NEWSQA_LLM_API_KEY")
        or os.environ.get("OPENAI_API_KEY")
        or "not-needed"
    )
    client = openai.OpenAI(base_url=url, api_key=key, timeout=60, max_retries=2)
    cache = cache_dir or run_dir.parent / ".judge-cache"
    cache.mkdir(parents=True, exist_ok=True)
    verdicts: dict[str, float | None] = {}
    failures: list[str] = []
    for response in read_responses(run_dir / "responses.jsonl").values():
        answer = response.get("answer") or {}
        if not response["answers"] or response.get("not_answer_scored") or not answer:
            continue
        prompt = PROMPT.format(
            question=response["question"],
            gold=" / ".join(response["answers"]),
            answer=answer.get("text", ""),
        )
        entry = cache / (hashlib.sha256(f"{model}\0{prompt}".encode()).hexdigest()[:32] + ".json")
        if entry.is_file():
            reply = json.loads(entry.read_text(encoding="utf-8"))["reply"]
        else:
            try:
                result = client.chat.completions.create(
                    model=model,
                    messages=[{"role": "user", "content": prompt}],
                    temperature=0,
                    max_tokens=5,
                )
            except openai.OpenAIError as error:
                failures.append(f"{response['id']}: {type(error).__name__}: {error}"[:300])
                continue
            reply = result.choices[0].message.content or ""
            entry.write_text(
                json.dumps({"model": model, "prompt": prompt, "reply": reply}), encoding="utf-8"
            )
        verdicts[response["id"]] = _verdict(reply)
    summary = {
        "url": safe_url(url),
        "model": model,
        "correct": aggregate(
            [v for v in verdicts.values() if v is not None], len(verdicts) + len(failures)
        ),
        "unparsable": sum(v is None for v in verdicts.values()),
        "failures": len(failures),
        "failure_sample": failures[:5],
        "per_question": verdicts,
    }
    (run_dir / "judge.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary
