"""Pictures for the reports, rendered with matplotlib (Agg) into PNG data URIs.

PNGs are written without a timestamp or software tag, so the same data gives the same bytes.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from grader.core.results import Artifact


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _data_uri(figure) -> str:
    """The figure as a PNG data URI, reduced to a 32-colour palette (a chart has a handful of
    colours and their anti-aliasing: a third of the bytes, and reports stay small)."""
    from PIL import Image  # matplotlib's own dependency

    rendered, buffer = io.BytesIO(), io.BytesIO()
    figure.savefig(rendered, format="png", dpi=80, bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(figure)
    rendered.seek(0)
    Image.open(rendered).convert("RGB").quantize(colors=32).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def curves_png(artifact: Artifact) -> str:
    """One line per series of a ``curves`` artifact (gaps where a value was not finite)."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(5.5, 3.2))
    for name, series in artifact.data.get("series", {}).items():
        y = np.array([np.nan if v is None else v for v in series["y"]], dtype=float)
        axes.plot(series["x"], y, marker="o" if len(y) <= 30 else None, markersize=3, label=name)
    axes.set_title(artifact.title, fontsize=10)
    axes.set_xlabel(artifact.data.get("xlabel", ""))
    axes.set_ylabel(artifact.data.get("ylabel", ""))
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return _data_uri(figure)


MAX_UNITS = 49  # hidden units drawn in a weight grid, 7 x 7 (a tuned net may have 500)


def weight_grid(weights: np.ndarray, image_shape: Sequence[int], padding: int = 1) -> np.ndarray:
    """Tile the columns of ``weights`` (one image per hidden unit) into one RGB image in [0, 1],
    each tile scaled to its own range, as cs231n's ``visualize_grid`` does."""
    tiles: np.ndarray = weights.T.reshape((weights.shape[1], *image_shape))
    if tiles.ndim == 4 and tiles.shape[1] in (1, 3) and tiles.shape[3] not in (1, 3):
        tiles = tiles.transpose(0, 2, 3, 1)  # channels first (cs231n fc nets) -> last
    if tiles.ndim == 3:
        tiles = np.repeat(tiles[..., None], 3, axis=-1)
    count, height, width = tiles.shape[:3]
    side = math.ceil(math.sqrt(count))
    grid = np.ones((side * (height + padding) + padding, side * (width + padding) + padding, 3))
    for k, tile in enumerate(tiles):
        low, high = tile.min(), tile.max()
        scaled = (tile - low) / (high - low) if high > low else np.zeros_like(tile)
        top, left = padding + (k // side) * (height + padding), padding + (k % side) * (width + padding)
        grid[top : top + height, left : left + width] = scaled
    return grid


def weights_png(weights: np.ndarray, image_shape: Sequence[int], title: str) -> str:
    """The first-layer weight grid at one screen pixel per weight (the page scales it up without
    smoothing), as a JPEG: weights are noisy and a PNG of them weighs hundreds of KB. At most
    MAX_UNITS hidden units are shown. ``title`` is the page's caption."""
    from PIL import Image  # matplotlib's own dependency

    grid = weight_grid(weights[:, :MAX_UNITS], image_shape)
    buffer = io.BytesIO()
    Image.fromarray((grid * 255).round().astype(np.uint8)).save(buffer, format="JPEG", quality=50)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram_png(percentages: Sequence[float]) -> str:
    """Distribution of scores in percent, ten-point bins."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(5.5, 3))
    axes.hist(np.clip(percentages, 0, 100), bins=np.arange(0, 101, 10), color="#3c6eb4", edgecolor="white")
    axes.set_xlabel("score (%)")
    axes.set_ylabel("submissions")
    axes.set_xlim(0, 100)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.grid(alpha=0.3, axis="y")
    return _data_uri(figure)


def images_for(artifacts: Sequence[Artifact], folder: Path) -> list[dict[str, str]]:
    """``[{title, src}]`` for each artifact; weights are read from ``folder`` (never pickled)."""
    images = []
    for artifact in artifacts:
        if artifact.kind == "curves":
            images.append({"title": artifact.title, "src": curves_png(artifact)})
            continue
        try:
            if ".." in Path(artifact.file).parts or Path(artifact.file).is_absolute():
                raise ValueError("artifact outside the submission folder")
            weights = np.load(folder / artifact.file, allow_pickle=False)
            src = weights_png(weights, artifact.data["image_shape"], artifact.title)
        except (OSError, ValueError, KeyError, TypeError):
            images.append({"title": artifact.title, "src": "", "missing": artifact.file})
        else:
            images.append({"title": artifact.title, "src": src})
    return images
