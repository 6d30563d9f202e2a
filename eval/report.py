"""Reports: a self-contained report.html (plots inlined as base64 PNG) and report.md for a run;
compare.html / compare.md with paired deltas between two runs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from eval import plots, templates
from eval.metrics import paired_delta
from eval.score import TAG_METRICS, score_run

COMPARED = (
    ("retrieval", "Hit@1"), ("retrieval", "Hit@5"), ("retrieval", "Hit@10"), ("retrieval", "MRR@10"),
    ("retrieval", "nDCG@10"), ("answer", "containment"), ("answer", "token_f1"),
    ("citations", "citation_recall"), ("citations", "citation_precision"),
)  # fmt: skip


def _fmt(value: float | None, pct: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if pct else f"{value:.1f}"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def _md_cell(entry: dict[str, Any] | None) -> str:
    if not entry or entry.get("mean") is None:
        return f"n/a ({(entry or {}).get('n', 0)}/{(entry or {}).get('n_total', 0)})"
    ci = entry.get("ci95")
    interval = f" [{ci[0]:.3f}–{ci[1]:.3f}]" if ci else ""
    return f"{entry['mean']:.3f}{interval} ({entry['n']}/{entry['n_total']})"


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(
        fmt=_fmt,
        sfmt=_signed,
        num=_num,
        md=_md_cell,
        style=templates.STYLE,
        tag_metrics=TAG_METRICS,
    )
    return env


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _load(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    summary_path = run_dir / "summary.json"
    summary = (
        json.loads(summary_path.read_text(encoding="utf-8"))
        if summary_path.is_file()
        else score_run(run_dir)
    )
    rows = [
        json.loads(line)
        for line in (run_dir / "scores.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return manifest, summary, rows


def write_report(run_dir: Path) -> Path:
    """Render report.html and report.md (with plots/*.png) from a scored run folder."""
    manifest, summary, rows = _load(run_dir)
    config = manifest["config"]
    title = f"{manifest['dataset']['kind']} · {config['retriever']}" + (
        " · no dates" if config.get("ignore_dates") else ""
    )
    images = {
        "hit_curve": plots.hit_curve({config["retriever"]: summary["retrieval"]}),
        "refusals": plots.refusal_matrix(summary["refusals"]["confusion"]),
        "latency": plots.latency(
            {
                stage: [r["timings_ms"].get(stage) for r in rows if r["timings_ms"]]
                for stage in ("retrieve", "answer", "total")
            }
        ),
    }
    tag_images = {
        key: plots.by_tag(key, groups, TAG_METRICS)
        for key, groups in summary["by_tag"].items()
        if 1 < len(groups) <= 40
    }
    plot_dir = run_dir / "plots"
    plot_dir.mkdir(exist_ok=True)
    for name, data in images.items():
        (plot_dir / f"{name}.png").write_bytes(data)
    for key, data in tag_images.items():
        (plot_dir / f"tag_{key}.png").write_bytes(data)
    env = _environment()
    context = {
        "title": title, "manifest": manifest, "summary": summary, "config": config,
        "plots": {**{k: _b64(v) for k, v in images.items()}, "tags": {k: _b64(v) for k, v in tag_images.items()}},
    }  # fmt: skip
    context["plots"]["tags"] = {key: context["plots"]["tags"].get(key) for key in summary["by_tag"]}
    html_path = run_dir / "report.html"
    html_path.write_text(env.from_string(templates.REPORT_HTML).render(**context), encoding="utf-8")
    (run_dir / "report.md").write_text(
        env.from_string(templates.REPORT_MD).render(**context), encoding="utf-8"
    )
    return html_path


def _label(manifest: dict[str, Any], run_dir: Path) -> str:
    config = manifest["config"]
    return f"{run_dir.name} ({config['retriever']}{', no dates' if config.get('ignore_dates') else ''})"


def compare_runs(
    run_a: Path, run_b: Path, out: Path | None = None
) -> tuple[Path, list[dict[str, Any]]]:
    """Paired deltas (B - A) over the questions both runs answered; writes compare.html/.md."""
    manifest_a, summary_a, rows_a = _load(run_a)
    manifest_b, summary_b, rows_b = _load(run_b)
    by_id_a = {r["id"]: r for r in rows_a if r["probe"] == "main"}
    by_id_b = {r["id"]: r for r in rows_b if r["probe"] == "main"}
    shared = sorted(set(by_id_a) & set(by_id_b))
    table = []
    for section, metric in COMPARED:
        pairs = [
            (by_id_a[q][section][metric], by_id_b[q][section][metric])
            for q in shared
            if (by_id_a[q][section] or {}).get(metric) is not None
            and (by_id_b[q][section] or {}).get(metric) is not None
        ]
        summary_section = {"retrieval": "retrieval", "answer": "answers", "citations": "citations"}[
            section
        ]
        delta = paired_delta([a for a, _ in pairs], [b for _, b in pairs])
        table.append({
            "metric": metric,
            "a": (summary_a[summary_section].get(metric) or {}).get("mean"),
            "b": (summary_b[summary_section].get(metric) or {}).get("mean"),
            **delta,
        })  # fmt: skip
    refused = [
        (float(by_id_a[q]["refusal"]["refused"]), float(by_id_b[q]["refusal"]["refused"]))
        for q in shared
        if by_id_a[q]["refusal"] and by_id_b[q]["refusal"]
    ]
    table.append(
        {
            "metric": "refused (any)",
            "a": summary_a["refusals"]["refused_any"]["mean"],
            "b": summary_b["refusals"]["refused_any"]["mean"],
            **paired_delta([a for a, _ in refused], [b for _, b in refused]),
        }
    )
    out = out or run_b / f"compare-vs-{run_a.name}"
    out.mkdir(parents=True, exist_ok=True)
    label_a, label_b = _label(manifest_a, run_a), _label(manifest_b, run_b)
    delta_png = plots.deltas(table, "A", "B")
    curve_png = plots.hit_curve(
        {f"A: {label_a}": summary_a["retrieval"], f"B: {label_b}": summary_b["retrieval"]}
    )
    (out / "compare_deltas.png").write_bytes(delta_png)
    env = _environment()
    context = {
        "a": label_a,
        "b": label_b,
        "config_a": manifest_a["config"],
        "config_b": manifest_b["config"],
        "shared": len(shared),
        "rows": table,
        "plot": _b64(delta_png),
        "curve": _b64(curve_png),
    }
    html_path = out / "compare.html"
    html_path.write_text(
        env.from_string(templates.COMPARE_HTML).render(**context), encoding="utf-8"
    )
    (out / "compare.md").write_text(
        env.from_string(templates.COMPARE_MD).render(**context), encoding="utf-8"
    )
    (out / "compare.json").write_text(
        json.dumps(
            {"a": str(run_a), "b": str(run_b), "shared": len(shared), "rows": table}, indent=2
        ),
        encoding="utf-8",
    )
    return html_path, table
