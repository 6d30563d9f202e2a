"""The report's plots as PNG bytes (matplotlib, headless Agg backend)."""

from __future__ import annotations

import io
from typing import Any

_COLOURS = ("#3465a4", "#cc6600", "#4e9a06", "#75507b")


def _figure(width: float = 6.4, height: float = 3.6) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=90, layout="constrained")


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _errors(entries: list[dict[str, Any]]) -> list[list[float]]:
    """Asymmetric error bars [[below...], [above...]] from each entry's mean and 95% CI."""
    pairs = [_err(e) for e in entries]
    return [[low for low, _ in pairs], [high for _, high in pairs]]


def _err(entry: dict[str, Any]) -> tuple[float, float]:
    mean, ci = entry.get("mean"), entry.get("ci95")
    if mean is None or not ci:
        return 0.0, 0.0
    return max(mean - ci[0], 0.0), max(ci[1] - mean, 0.0)


def hit_curve(series: dict[str, dict[str, dict[str, Any]]]) -> bytes:
    """Hit@k for k = 1..10 with 95% CIs; one line per run."""
    figure = _figure()
    axes = figure.add_subplot()
    for colour, (label, retrieval) in zip(_COLOURS, series.items(), strict=False):
        ks = [k for k in range(1, 11) if (retrieval.get(f"Hit@{k}") or {}).get("mean") is not None]
        means = [retrieval[f"Hit@{k}"]["mean"] for k in ks]
        errors = _errors([retrieval[f"Hit@{k}"] for k in ks])
        axes.errorbar(ks, means, yerr=errors, marker="o", capsize=3, color=colour, label=label)
    axes.set(
        xlabel="k (passages retrieved)",
        ylabel="Hit@k",
        ylim=(0, 1.02),
        xticks=range(1, 11),
        title="Hit@k (gold evidence in the top k)",
    )
    axes.grid(alpha=0.3)
    if series:
        axes.legend(loc="lower right")
    return _png(figure)


def by_tag(
    key: str, groups: dict[str, dict[str, dict[str, Any]]], metrics: tuple[str, ...]
) -> bytes:
    """One tag's values side by side: each metric's mean with its 95% CI."""
    labels = list(groups)
    figure = _figure(max(6.4, 0.9 * len(labels) * len(metrics) / 2 + 2), 3.8)
    axes = figure.add_subplot()
    width = 0.8 / max(len(metrics), 1)
    for i, (colour, metric) in enumerate(zip(_COLOURS, metrics, strict=False)):
        entries = [groups[label].get(metric) or {} for label in labels]
        means = [e.get("mean") or 0.0 for e in entries]
        errors = _errors(entries)
        positions = [j + (i - (len(metrics) - 1) / 2) * width for j in range(len(labels))]
        axes.bar(positions, means, width, yerr=errors, capsize=2, color=colour, label=metric)
    axes.set_xticks(
        range(len(labels)),
        [f"{label}\n(n={groups[label][metrics[0]]['n_total']})" for label in labels],
        fontsize=8,
    )
    axes.set(ylim=(0, 1.05), title=f"By {key} (95% bootstrap CI)")
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def latency(stages: dict[str, list[float]]) -> bytes:
    """Distribution of per-question latency for each stage (log-spaced bins)."""
    import numpy as np

    figure = _figure()
    axes = figure.add_subplot()
    values = [v for vs in stages.values() for v in vs if v and v > 0]
    if values:
        bins = np.logspace(np.log10(min(values)), np.log10(max(values) * 1.01), 30)
        for colour, (stage, data) in zip(_COLOURS, stages.items(), strict=False):
            data = [v for v in data if v and v > 0]
            if data:
                axes.hist(
                    data,
                    bins=bins,
                    alpha=0.55,
                    color=colour,
                    label=f"{stage} (p50 {np.median(data):.0f} ms)",
                )
        axes.set_xscale("log")
        axes.legend(fontsize=8)
    axes.set(xlabel="milliseconds per question", ylabel="questions", title="Latency by stage")
    return _png(figure)


def refusal_matrix(confusion: dict[str, int]) -> bytes:
    """2x2: should the system have refused (rows) against whether it did (columns)."""
    figure = _figure(5.4, 3.6)
    axes = figure.add_subplot()
    grid = [
        [confusion.get("answerable_answered", 0), confusion.get("answerable_refused", 0)],
        [confusion.get("unanswerable_answered", 0), confusion.get("unanswerable_refused", 0)],
    ]
    axes.imshow(grid, cmap="Blues")
    darkest = max(max(row) for row in grid) or 1
    for row in range(2):
        for col in range(2):
            colour = "white" if grid[row][col] > darkest / 2 else "black"
            axes.text(
                col, row, str(grid[row][col]), ha="center", va="center", fontsize=14, color=colour
            )
    axes.set_xticks([0, 1], ["answered", "refused"])
    axes.set_yticks([0, 1], ["answerable", "unanswerable /\nevidence removed"])
    axes.set_title("Refusals")
    return _png(figure)


def deltas(rows: list[dict[str, Any]], label_a: str, label_b: str) -> bytes:
    """Paired differences (B - A) with their 95% CIs, one bar per metric."""
    figure = _figure(6.4, 0.45 * max(len(rows), 1) + 1.4)
    axes = figure.add_subplot()
    names = [r["metric"] for r in rows]
    values = [r["delta"] if r["delta"] is not None else 0.0 for r in rows]
    errors = [
        [max(v - (r["ci95"] or [v, v])[0], 0) for v, r in zip(values, rows, strict=True)],
        [max((r["ci95"] or [v, v])[1] - v, 0) for v, r in zip(values, rows, strict=True)],
    ]
    axes.barh(
        names,
        values,
        xerr=errors,
        capsize=3,
        color=[_COLOURS[1] if v < 0 else _COLOURS[2] for v in values],
    )
    axes.axvline(0, color="black", linewidth=0.8)
    axes.invert_yaxis()
    axes.set(title=f"{label_b} minus {label_a} (paired, 95% CI)", xlabel="difference")
    axes.grid(axis="x", alpha=0.3)
    return _png(figure)
