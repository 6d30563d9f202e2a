"""Reports and comparisons, and the smoke evaluation through `newsqa eval` end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FIXTURES

from eval.cli import main
from eval.report import compare_runs, write_report
from eval.run import RunConfig, run_eval
from eval.score import score_run

EVAL = FIXTURES / "eval"
REALTIMEQA = f"realtimeqa:{EVAL / 'realtimeqa'}"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory, embed_model) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    runs = tmp_path_factory.mktemp("runs")
    a = run_eval(
        RunConfig(
            dataset=REALTIMEQA, out=runs / "bm25", retriever="bm25", negative_rejection=2, top_k=3
        ),
        embed_model=embed_model,
        quiet=True,
    )
    b = run_eval(
        RunConfig(dataset=REALTIMEQA, out=runs / "default", negative_rejection=2, top_k=3),
        embed_model=embed_model,
        quiet=True,
    )
    for run in (a, b):
        score_run(run, embed_model=embed_model)
    return a, b


def _assert_self_contained(html: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "<script" not in html.lower() and "<link" not in html.lower()


def test_report_is_self_contained_and_has_its_plots(two_runs: tuple[Path, Path]) -> None:
    _, run = two_runs
    html_path = write_report(run)
    html = html_path.read_text()
    _assert_self_contained(html)
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    alts = {alt for alt, _ in images}
    assert {
        "Hit@k curve",
        "refusal confusion matrix",
        "latency distribution",
        "by outlet",
        "by year",
    } <= alts
    assert all(len(data) > 1000 for _, data in images)
    for needed in (
        "Hit@1",
        "MRR@10",
        "containment",
        "citation_precision",
        "correct-refusal rate",
        "p95",
        "hand labels",
    ):
        assert needed in html
    markdown = (run / "report.md").read_text()
    assert "| Hit@5 |" in markdown and "plots/hit_curve.png" in markdown
    assert (run / "plots" / "hit_curve.png").read_bytes().startswith(b"\x89PNG")


def test_summary_reports_n_scored_of_n_total_with_intervals(two_runs: tuple[Path, Path]) -> None:
    _, run = two_runs
    summary = json.loads((run / "summary.json").read_text())
    hit = summary["retrieval"]["Hit@5"]
    assert hit["n"] == 8 and hit["n_total"] == 8 and len(hit["ci95"]) == 2
    assert summary["answers"]["containment"]["n"] == 7  # the NOTA-gold twin is not answer-scored
    assert summary["refusals"]["correct_refusal_rate"]["n"] == 2
    assert set(summary["by_tag"]) == {
        "outlet",
        "year",
        "variant",
        "date_origin",
        "question_type",
        "parts",
    }
    assert summary["by_tag"]["outlet"]["CNN"]["Hit@1"]["n_total"] == 3
    assert summary["judge_agreement"]["n"] >= 40 and summary["judge_agreement"]["agreement"] >= 0.85
    assert summary["latency_ms"]["total"]["n"] == 10


def test_compare_shows_paired_deltas(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = two_runs
    html_path, rows = compare_runs(a, b, tmp_path / "cmp")
    by_metric = {r["metric"]: r for r in rows}
    assert by_metric["Hit@1"]["n"] == 8
    expected = by_metric["Hit@1"]["b"] - by_metric["Hit@1"]["a"]
    assert by_metric["Hit@1"]["delta"] == pytest.approx(expected)
    html = html_path.read_text()
    _assert_self_contained(html)
    assert html.count("data:image/png;base64,") == 2 and "B − A" in html
    assert (tmp_path / "cmp" / "compare.md").is_file()


def test_smoke_evaluation_through_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runs" / "smoke"
    code = main(
        [
            "run",
            "--dataset",
            REALTIMEQA,
            "--out",
            str(out),
            "--negative-rejection",
            "1",
            "--quiet",
            "--top-k",
            "3",
            "--limit",
            "4",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    for name in (
        "manifest.json",
        "responses.jsonl",
        "scores.jsonl",
        "summary.json",
        "report.html",
        "report.md",
    ):
        assert (out / name).is_file(), name
    assert "Hit@1" in printed and "report:" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["settings"]["top_k"] == 3
    assert (
        manifest["dataset"]["stats"]["corpus_passages"] == 6
        and "llm_api_key" not in manifest["settings"]
    )
    assert main(["report", str(out)]) == 0
    assert main(["compare", str(out), str(out), "--out", str(tmp_path / "cmp")]) == 0
    assert "Hit@1" in capsys.readouterr().out


def test_command_line_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--dataset", "nonsense", "--out", str(tmp_path / "r")]) == 2
    assert "newsqa eval: --dataset 'nonsense'" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_llm_judge_is_cached_and_kept_apart(
    two_runs: tuple[Path, Path], openai_server, tmp_path: Path, embed_model
) -> None:  # type: ignore[no-untyped-def]
    from eval.judge import judge_run

    _, run = two_runs
    openai_server.respond_with(
        lambda body: (
            "CORRECT"
            if "Gold answer: Valdora\n" in body["messages"][0]["content"]
            else "INCORRECT."
        )
    )
    first = judge_run(run, openai_server.base_url, "scripted", cache_dir=tmp_path / "cache")
    asked = len(openai_server.requests)
    assert first["correct"]["n"] == 7 and first["failures"] == 0
    assert asked == 6  # the twins 20220617_2 and its _nota copy ask the very same thing: cached
    assert first["per_question"]["20200110_0"] == 1.0 and first["correct"]["mean"] == pytest.approx(
        1 / 7
    )
    again = judge_run(run, openai_server.base_url, "scripted", cache_dir=tmp_path / "cache")
    assert len(openai_server.requests) == asked and again["per_question"] == first["per_question"]
    summary = score_run(run, embed_model=embed_model)
    assert summary["llm_judge"]["model"] == "scripted"
    assert "llm_judge" not in summary["answers"]  # never mixed into the deterministic numbers
    assert "LLM judge (optional" in write_report(run).read_text()
    (run / "judge.json").unlink()
