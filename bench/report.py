"""The suite's outputs: the printed table, the PNG plots, and the block of docs/performance.md."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from bench.counting import table

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "performance.md"
IMAGES = REPO / "docs" / "img"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


@dataclass(frozen=True)
class Figure:
    number: int | str  # "ref" for a reference line: no goal, no mark
    name: str
    goal: str
    # Per backend: the ratio and what it is a ratio of.
    ratios: dict[str, float]
    details: dict[str, str]
    at_least: float | None = None
    at_most: float | None = None

    @property
    def reference(self) -> bool:
        return self.at_least is None and self.at_most is None

    def mark(self, backend: str) -> str:
        return "" if self.reference else " ✓" if self.met(backend) else " ✗"

    def met(self, backend: str) -> bool:
        value = self.ratios[backend]
        if self.at_least is not None and value < self.at_least:
            return False
        return self.at_most is None or value <= self.at_most


def figures_table(figures: list[Figure], backends: list[str]) -> str:
    headers = ["#", "figure", "goal", *backends]
    rows = []
    for figure in figures:
        cells = [f"**{figure.ratios[b]:.3f}**{figure.mark(b)} ({figure.details[b]})" for b in backends]
        rows.append([str(figure.number), figure.name, figure.goal or "—", *cells])
    return table(headers, rows)


def _plot(series: dict[str, dict[int, float]], title: str, xlabel: str, ylabel: str) -> tuple[Any, Any]:
    """One line per series (x sorted); returns the figure and axes for the caller's touches."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, points in series.items():
        xs = sorted(points)
        ax.plot(xs, [points[x] for x in xs], marker="o", label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, alpha=0.3)
    return fig, ax


def _save(fig: Any, ax: Any, path: Path) -> None:
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_throughput(series: dict[str, dict[int, float]], path: Path) -> None:
    """Requests/s against concurrency, one line per (server, backend)."""
    title = "GET /units?limit=100 (100,000 units)"
    fig, ax = _plot(series, title, "connections (wrk, keep-alive)", "requests / s")
    ax.set_xscale("log", base=2)
    _save(fig, ax, path)


def plot_latency_by_page(series: dict[str, dict[int, float]], path: Path) -> None:
    """p50 latency against page number, one line per backend."""
    title = "GET /lockbox_events, 1,000,000 events"
    fig, ax = _plot(series, title, "page_number (limit=100)", "p50 latency, ms (one connection)")
    ax.set_ylim(bottom=0)
    _save(fig, ax, path)


def update_document(block: str, markers: tuple[str, str] = (BEGIN, END)) -> None:
    """Replaces what lies between the `markers` (the suite's by default) of docs/performance.md."""
    begin, end = markers
    text = DOC.read_text()
    if begin not in text or end not in text:
        raise SystemExit(f"{DOC} lacks the {begin} … {end} markers")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    DOC.write_text(f"{head}{begin}\n{block.strip()}\n{end}{tail}")
