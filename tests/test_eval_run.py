"""The evaluation loop: resume after interruption, store reuse, baselines, negative rejection."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXTURES

from eval.run import (
    NEGATIVE_SUFFIX,
    RunConfig,
    RunConfigMismatch,
    read_responses,
    run_eval,
    select_questions,
)
from eval.score import score_run

EVAL = FIXTURES / "eval"
JSONL = f"jsonl:{EVAL / 'jsonl'}"
REALTIMEQA = f"realtimeqa:{EVAL / 'realtimeqa'}"


class Interrupted(Exception):
    pass


def _lines(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stores shared by this module's runs: each fixture corpus is ingested once."""
    return tmp_path_factory.mktemp("stores")


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory, stores: Path, embed_model) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("runs") / "default"
    config = RunConfig(dataset=JSONL, out=out, negative_rejection=10, stores_dir=stores)
    return run_eval(config, embed_model=embed_model, quiet=True)


def test_interrupted_run_resumes_without_asking_twice(tmp_path: Path, embed_model) -> None:
    config = RunConfig(dataset=REALTIMEQA, out=tmp_path / "runs" / "r", negative_rejection=2)

    def stop_after_three(index: int, _response: dict) -> None:  # type: ignore[type-arg]
        if index == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_eval(config, embed_model=embed_model, on_question=stop_after_three, quiet=True)
    assert len(_lines(config.out / "responses.jsonl")) == 3
    assert json.loads((config.out / "manifest.json").read_text())["status"] == "running"
    asked: list[str] = []
    run_eval(
        config, embed_model=embed_model, on_question=lambda _i, r: asked.append(r["id"]), quiet=True
    )
    ids = [r["id"] for r in _lines(config.out / "responses.jsonl")]
    assert len(ids) == len(set(ids)) == 8 + 2  # 8 evaluable questions + 2 negative probes
    assert len(asked) == 7 and not set(asked) & set(ids[:3])
    manifest = json.loads((config.out / "manifest.json").read_text())
    assert (
        manifest["status"] == "complete" and manifest["selection"]["not_evaluable_in_dataset"] == 1
    )
    # a third run has nothing left to ask
    run_eval(
        config,
        embed_model=embed_model,
        on_question=lambda _i, _r: pytest.fail("asked again"),
        quiet=True,
    )


def test_line_cut_short_by_a_kill_is_asked_again(tmp_path: Path, stores: Path, embed_model) -> None:
    config = RunConfig(dataset=JSONL, out=tmp_path / "runs" / "r", limit=2, stores_dir=stores)
    run_eval(config, embed_model=embed_model, quiet=True)
    path = config.out / "responses.jsonl"
    first, second = path.read_text().splitlines()
    path.write_text(first + "\n" + second[: len(second) // 2])  # killed mid-write
    run_eval(config, embed_model=embed_model, quiet=True)
    assert sorted(read_responses(path)) == sorted(
        json.loads(line)["id"] for line in (first, second)
    )


def test_resume_with_other_options_is_refused(tmp_path: Path, stores: Path, embed_model) -> None:
    out = tmp_path / "runs" / "r"
    run_eval(
        RunConfig(dataset=JSONL, out=out, limit=1, stores_dir=stores),
        embed_model=embed_model,
        quiet=True,
    )
    with pytest.raises(RunConfigMismatch, match="other options"):
        run_eval(
            RunConfig(dataset=JSONL, out=out, limit=1, retriever="bm25"),
            embed_model=embed_model,
            quiet=True,
        )


def test_store_is_built_once_and_reused_across_runs(tmp_path: Path, embed_model) -> None:
    run_eval(
        RunConfig(dataset=JSONL, out=tmp_path / "runs" / "a"), embed_model=embed_model, quiet=True
    )
    stores = list((tmp_path / "runs" / ".stores").iterdir())
    assert len(stores) == 1 and (stores[0] / "ready.json").is_file()
    stamp = (stores[0] / "ready.json").stat().st_mtime_ns
    run_eval(
        RunConfig(dataset=JSONL, out=tmp_path / "runs" / "b", retriever="bm25"),
        embed_model=embed_model,
        quiet=True,
    )
    assert list((tmp_path / "runs" / ".stores").iterdir()) == stores
    assert (stores[0] / "ready.json").stat().st_mtime_ns == stamp
    info = json.loads((tmp_path / "runs" / "b" / "manifest.json").read_text())["store"]
    assert info["articles"] == 4 and info["chunks"] >= 4


@pytest.mark.parametrize("retriever", ["default", "dense", "bm25"])
def test_every_retriever_finds_the_gold_passages(
    tmp_path: Path, stores: Path, default_run: Path, embed_model, retriever: str
) -> None:
    if retriever == "default":
        out = default_run
    else:
        config = RunConfig(
            dataset=JSONL, out=tmp_path / retriever, retriever=retriever, stores_dir=stores
        )
        out = run_eval(config, embed_model=embed_model, quiet=True)
    summary = score_run(out, embed_model=embed_model)
    assert (
        summary["retrieval"]["Hit@10"]["n"] == 4 and summary["retrieval"]["Hit@10"]["n_total"] == 5
    )
    assert summary["retrieval"]["Hit@10"]["mean"] == 1.0
    assert summary["counts"]["errors"] == 0
    assert len(list(stores.iterdir())) == 1  # every retriever ran over the one store


def test_dates_decide_which_cup_final_is_found(
    tmp_path: Path, stores: Path, default_run: Path, embed_model
) -> None:
    """j2 and j3 ask the same question a year apart: only the as-of date tells them apart."""
    responses = read_responses(default_run / "responses.jsonl")
    j2, j3 = responses["j2"], responses["j3"]
    cup_2023 = j3["gold_units"][0].split(":")[0]
    assert j2["as_of"] == "2022-06-01" and "Harbour City" in j2["answer"]["text"]
    assert cup_2023 not in {
        r["article_id"] for r in j2["retrieved"]
    }  # published after the as-of date
    assert j3["retrieved"][0]["article_id"] == cup_2023
    config = RunConfig(
        dataset=JSONL,
        out=tmp_path / "u",
        ignore_dates=True,
        date_from=date(2022, 6, 1),
        date_to=date(2022, 6, 1),
        stores_dir=stores,
    )
    undated = read_responses(
        run_eval(config, embed_model=embed_model, quiet=True) / "responses.jsonl"
    )
    assert list(undated) == ["j2"] and undated["j2"]["as_of"] is None


def test_negative_rejection_holds_the_gold_article_out(default_run: Path, embed_model) -> None:
    responses = read_responses(default_run / "responses.jsonl")
    probes = [r for r in responses.values() if r["probe"] == "negative"]
    assert len(probes) == 4  # every answerable question with evidence
    for probe in probes:
        original = responses[probe["id"].removesuffix(NEGATIVE_SUFFIX)]
        gold_article = original["gold_units"][0].split(":")[0]
        assert probe["should_refuse"] is True and probe["gold_units"] == []
        assert gold_article not in {r["article_id"] for r in probe["retrieved"]}
        assert gold_article not in {s["article_id"] for s in probe["answer"]["sources"]}
    summary = score_run(default_run, embed_model=embed_model)
    assert summary["refusals"]["correct_refusal_rate"]["n"] == 4 + 1  # probes + the unanswerable j5


def test_multihop_relevance_is_fact_containment(tmp_path: Path, embed_model) -> None:
    spec = f"multihop:{EVAL / 'multihop' / 'corpus.json'},{EVAL / 'multihop' / 'queries.json'}"
    out = run_eval(
        RunConfig(dataset=spec, out=tmp_path / "runs" / "m"), embed_model=embed_model, quiet=True
    )
    responses = read_responses(out / "responses.jsonl")
    assert (
        responses["mh0000"]["relevance_unit"] == "chunk"
        and len(responses["mh0000"]["gold_units"]) == 2
    )
    assert responses["mh0003"]["should_refuse"] is True and responses["mh0003"]["gold_units"] == []
    summary = score_run(out, embed_model=embed_model)
    assert (
        summary["retrieval"]["Hit@10"]["n"] == 3
        and summary["answers"]["multihop_rag_accuracy"]["n"] == 3
    )


def test_date_range_and_limit_select_questions() -> None:
    from eval.datasets import load_dataset

    data = load_dataset(REALTIMEQA)
    config = RunConfig(dataset=REALTIMEQA, out=Path("x"), date_from=date(2022, 1, 1))
    assert {q.as_of.year for q in select_questions(data, config)} == {2022}
    sample = select_questions(
        data, RunConfig(dataset=REALTIMEQA, out=Path("x"), limit=3, sample_seed=7)
    )
    assert len(sample) == 3 and sample == select_questions(
        data, RunConfig(dataset=REALTIMEQA, out=Path("x"), limit=3, sample_seed=7)
    )
    assert "20200110_3" not in {
        q.id for q in select_questions(data, RunConfig(dataset=REALTIMEQA, out=Path("x")))
    }


def test_tags_select_the_multi_part_questions(tmp_path: Path) -> None:
    from eval.datasets import load_dataset

    quiz = tmp_path / "backnumber" / "2021"
    quiz.mkdir(parents=True)
    records = [
        ("20210108_0", "Which robot can lift 300 kilograms?", "Atlas-7 can lift 300 kilograms."),
        (
            "20210108_1",
            "Who won the Lakeside Cup final, and how many goals did they score?",
            "Harbour City beat Port Ellis 2-0 to win the Lakeside Cup final.",
        ),
    ]
    quiz.joinpath("20210108_qa.jsonl").write_text(
        "\n".join(
            json.dumps(
                {
                    "question_id": qid,
                    "question_date": "2021/01/08",
                    "question_source": "CNN",
                    "question_sentence": text,
                    "choices": ["A", "B"],
                    "answer": ["0"],
                    "evidence": evidence,
                }
            )
            for qid, text, evidence in records
        )
    )
    spec = f"realtimeqa:{tmp_path}"
    data = load_dataset(spec)
    assert {q.id: q.tags["parts"] for q in data.questions} == {
        "20210108_0": "single",
        "20210108_1": "multi",
    }
    config = RunConfig(dataset=spec, out=tmp_path / "run", tags={"parts": "multi"})
    assert [q.id for q in select_questions(data, config)] == ["20210108_1"]
    assert config.identity()["tags"] == {"parts": "multi"}  # a resume must ask the same ones
    assert "tags" not in RunConfig(dataset=spec, out=tmp_path / "run").identity()


def test_tag_flag_needs_key_and_value() -> None:
    import argparse

    from eval.cli import _tag

    assert _tag("parts=multi") == ("parts", "multi")
    with pytest.raises(argparse.ArgumentTypeError, match="expected KEY=VALUE"):
        _tag("parts")
