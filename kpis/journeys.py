"""Where each stage visit led: forward in its pipeline or to a won stage, or not.

A visit's next stage is the deal's next visit. A deal's last visit, when it was left, led
where the deal ended: won is a conversion; lost, or still open with no visit after, is not
(`docs/kpis.md`, stage_conversion_rate).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kpis.columns import distinct_rows
from kpis.dataset import Dataset


def converted_visits(data: Dataset) -> npt.NDArray[np.bool_]:
    """For each visit: whether it ended by a move to a stage of higher `stage_order` in the same
    pipeline, or to a won stage; for a deal's last visit, whether the deal was won."""
    deals, visits = data.columns.deals, data.columns.visits
    combination, rows = distinct_rows(
        deals.source.codes[visits.deal],
        deals.pipeline_id.codes[visits.deal],
        visits.stage_id.codes,
    )
    stages = [
        data.stage(
            deals.source.values[source],
            deals.pipeline_id.values[pipeline],
            visits.stage_id.values[stage_id],
        )
        for source, pipeline, stage_id in rows
    ]
    # a stage the dataset does not know has no order: no move to or from it is forward
    pipelines: dict[tuple[str, str], int] = {}
    in_pipeline = np.array(
        [
            -1 if s is None else pipelines.setdefault((s.source, s.pipeline_id), len(pipelines))
            for s in stages
        ],
        dtype=np.intp,
    )[combination]
    order = np.array([0 if s is None else s.stage_order for s in stages], np.int64)[combination]
    won = np.array([s is not None and s.is_won for s in stages], np.bool_)[combination]
    count = len(visits)
    has_next = np.zeros(count, dtype=np.bool_)
    has_next[:-1] = visits.deal[1:] == visits.deal[:-1]
    after = np.minimum(np.arange(count) + 1, max(count - 1, 0))
    forward = (in_pipeline >= 0) & (in_pipeline[after] == in_pipeline) & (order[after] > order)
    moved_on = has_next & (won[after] | forward)
    ended_won = ~has_next & deals.is_status("won")[visits.deal]
    converted: npt.NDArray[np.bool_] = moved_on | ended_won
    return converted
