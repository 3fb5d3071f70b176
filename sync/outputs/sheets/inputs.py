"""The spend the team types into the Google Sheet's Inputs tab, read on every run."""

from __future__ import annotations

import logging

from connectors.http import ApiError
from kpis.settings import MonthlySpend
from sync.config import Config, ConfigError
from sync.outputs.inputs import read_spend
from sync.outputs.sheets.client import SheetsApi, SheetsError, connect
from sync.outputs.sheets.writer import read_inputs

logger = logging.getLogger(__name__)


def sheet_spend(config: Config, api: SheetsApi | None = None) -> list[MonthlySpend]:
    """The monthly spend of the sheet's Inputs tab; each bad cell is logged with its address.

    A run that publishes to the sheet passes its `api` and fails when the tab cannot be
    read, rather than publish KPIs without the team's spend. Without one (`crmkpi kpis`,
    `crmkpi doctor`) the sheet is opened here, and a sheet out of reach only costs a warning.
    """
    try:
        rows = read_inputs(api or connect(config))
    except (ApiError, SheetsError, ConfigError) as exc:
        if api is not None:
            raise
        logger.warning("the Inputs tab of the Google Sheet was not read: %s", exc)
        return []
    if not rows:
        return []
    typed, problems = read_spend(rows)
    for problem in problems:
        logger.warning("%s in the Google Sheet (row left out)", problem)
    return typed
