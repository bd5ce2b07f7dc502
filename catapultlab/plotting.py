"""The one figure style of catapultlab, and the helpers every figure function uses.

Every figure function of the package (``phase_diagram``, ``trajectory_figure``,
``scaling_figure``, ``bifurcation_figure``, ``plot_sweep``, ``plot_scan`` and the report's
figures) draws under :data:`STYLE`, takes ``ax=`` (one Axes, or a sequence for a figure
with several panels) and creates a figure only when none is given, and returns the
figure. Saving writes vector PDF or SVG, or PNG at :data:`PNG_DPI` or more, by suffix.

Nothing here switches matplotlib's backend: a figure made here has its own Agg canvas
(no pyplot state), so a notebook's backend and open figures are untouched.

Override the style for one call with ``matplotlib.rc_context`` *inside* :func:`style`, or
for the session by updating :data:`STYLE`:

>>> from catapultlab import plotting
>>> with plotting.style({"font.size": 11}):
...     fig, ax = plotting.figure_axes(figsize=(3, 2))
>>> float(fig.get_figwidth()), fig.dpi >= 100
(3.0, True)
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from catapultlab.io import atomic_write

__all__ = [
    "PHASE_COLORS",
    "PHASE_LABELS",
    "PNG_DPI",
    "Paths",
    "STYLE",
    "THEORY_LINESTYLES",
    "figure_axes",
    "finish",
    "phase_handles",
    "plain_log_ticks",
    "save",
    "style",
    "styled",
]

PNG_DPI = 200
"""The least resolution of a PNG written by :func:`save` (dots per inch)."""

STYLE: dict[str, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": PNG_DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.2,
    "lines.markersize": 4.0,
    "mathtext.fontset": "cm",
    "pdf.fonttype": 42,
    "svg.fonttype": "path",
}
"""The rcParams every figure of the package is drawn and saved under (update to override)."""

PHASE_COLORS: dict[str, tuple[float, float, float]] = {
    "lazy": (0.30, 0.55, 0.85),
    "catapult": (0.95, 0.65, 0.20),
    "divergent": (0.80, 0.20, 0.20),
    "unresolved": (0.6, 0.6, 0.6),
    "oscillating": (0.55, 0.35, 0.75),
    "collapsed": (0.45, 0.30, 0.20),
}
"""The colour of each outcome (a phase-diagram cell mixes them by its fractions)."""

PHASE_LABELS: dict[str, str] = {
    "lazy": "lazy",
    "catapult": "catapult",
    "divergent": "divergent",
    "unresolved": "unresolved (not settled in the steps run)",
    "oscillating": "oscillating (settled on a cycle)",
    "collapsed": "collapsed (kernel fell to 0)",
}
"""The legend text of each outcome."""

THEORY_LINESTYLES = ("--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))
"""Line styles of the theory lines of one figure, in order (each line its own style)."""

F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def style(overrides: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Draw under :data:`STYLE`, with ``overrides`` on top (a ``matplotlib.rc_context``)."""
    import matplotlib

    with matplotlib.rc_context({**STYLE, **(overrides or {})}):
        yield


def styled(fn: F) -> F:
    """Run a figure function under :func:`style` (its ``rc=`` keyword, if given, on top)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, rc: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        with style(rc):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def figure_axes(
    ax: Any = None,
    *,
    nrows: int = 1,
    ncols: int = 1,
    figsize: tuple[float, float] | None = None,
    dpi: float | None = None,
    squeeze_one: bool = True,
    **subplot_kw: Any,
) -> tuple[Any, Any]:
    """The figure and axes to draw on: ``ax``'s own, or a new Agg figure when ``ax`` is None.

    Args:
        ax: One Axes (for a one-panel figure) or a sequence of ``nrows * ncols`` Axes.
        nrows: Panel rows of a new figure.
        ncols: Panel columns of a new figure.
        figsize: Size of a new figure in inches.
        dpi: Resolution of a new figure on screen (saving uses :data:`PNG_DPI` or more).
        squeeze_one: one panel comes back as an Axes (else as a list of one).
        **subplot_kw: Passed to ``Figure.subplots`` (e.g. ``sharex=True``).

    Returns:
        ``(figure, axes)``: axes is one Axes for one panel (``squeeze_one``), else a list.

    Raises:
        ValueError: ``ax`` holds a different number of Axes than the figure has panels.
    """
    panels = nrows * ncols
    if ax is not None:
        axes = list(ax) if isinstance(ax, Sequence) or hasattr(ax, "flat") else [ax]
        axes = list(getattr(ax, "flat", axes))
        if len(axes) != panels:
            raise ValueError(f"this figure has {panels} panels; ax= gave {len(axes)} Axes")
        return axes[0].figure, axes[0] if panels == 1 and squeeze_one else axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    made = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, made[0, 0] if panels == 1 and squeeze_one else list(made.flat)


def phase_handles(names: Sequence[str]) -> list[Any]:
    """Legend patches for the outcomes ``names`` (colour and :data:`PHASE_LABELS` text)."""
    from matplotlib.patches import Patch

    return [Patch(color=PHASE_COLORS[k], label=PHASE_LABELS.get(k, k)) for k in names]


def plain_log_ticks(axis: Any) -> None:
    """Label a log axis with plain numbers (``0.5, 1, 2, 5``), minor ticks unlabelled.

    Matplotlib's default labels minor ticks of a short log axis as ``3 x 10^0``, which
    overlap; ``axis`` is ``ax.xaxis`` or ``ax.yaxis``.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


Paths = str | Path | Sequence[str | Path]


def save(fig: Any, path: Paths, *, dpi: float | None = None) -> None:
    """Save ``fig`` to one path or each of several, atomically, under :data:`STYLE`.

    The suffix picks the format: PDF and SVG are vector; a PNG (or other raster) is
    written at ``dpi``, at least :data:`PNG_DPI`.
    """
    paths = [path] if isinstance(path, str | Path) else list(path)
    resolution = max(float(dpi or 0), float(PNG_DPI))
    with style():
        for p in paths:
            atomic_write(p, lambda tmp, fig=fig: fig.savefig(tmp, dpi=resolution))


def finish(fig: Any, *, made: bool, path: Paths | None, dpi: float | None = None) -> Any:
    """Lay out a figure this package made (``made``), save it when ``path`` is given; it.

    A figure drawn into the caller's axes keeps the caller's layout.
    """
    if made:
        fig.tight_layout()
    if path is not None:
        save(fig, path, dpi=dpi)
    return fig
