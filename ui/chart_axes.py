"""Count axes on plotly charts: counts are whole numbers, so the ticks are too (plotly's own choice
for a maximum of 3 is 0, 0.5, 1, ... 3, which reads as half a customer)."""

from __future__ import annotations

from typing import Any

SMALL = 10  # up to this many, a tick per unit; above, plotly's ticks formatted without decimals


def count_axis(fig: Any, top: float, axis: str = "y") -> Any:
    settings: dict[str, Any] = {"tickformat": ",d", "rangemode": "tozero"}
    if top <= SMALL:
        settings.update(tick0=0, dtick=1)
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(**settings)
    return fig
