"""Versions through a whole pull: re-pulling a CRM export adds one only for what changed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.files import FilesConnector
from sync.pull import pull
from sync.store import Store

FIRST = datetime(2026, 11, 2, 9, tzinfo=UTC)
SECOND = datetime(2026, 11, 3, 9, tzinfo=UTC)
DEALS = (
    "id,name,pipeline_id,stage_id,status,amount,currency,owner_id,contact_id,source,kind,"
    "lost_reason,campaign,created_at,closed_at,expected_close_at,probability\n"
)


def _export(folder: Path, amount: str) -> None:
    folder.mkdir(exist_ok=True)
    rows = [f"d1,,sales,qualify,open,{amount},EUR,,,,,,,2026-05-01T00:00:00Z,,,\n"]
    rows.append("d2,,sales,qualify,open,50,EUR,,,,,,,2026-05-02T00:00:00Z,,,\n")
    (folder / "deals.csv").write_text(DEALS + "".join(rows), encoding="utf-8")


def test_a_full_re_pull_adds_a_version_only_for_the_changed_deal(tmp_path: Path) -> None:
    """Two full pulls of an export where one amount changed: one more version, of that deal,
    dated at the pull that saw it (the files carry no change time)."""
    folder = tmp_path / "export"
    with Store.open(tmp_path / "store.db") as store:
        _export(folder, "100")
        pull(store, [FilesConnector(folder)], full=True, now=lambda: FIRST)
        _export(folder, "120")
        pull(store, [FilesConnector(folder)], full=True, now=lambda: SECOND)
        d1, d2 = store.load_dataset().deals
    assert [(v.valid_from, str(v.amount)) for v in d1.versions] == [
        (FIRST, "100"),
        (SECOND, "120"),
    ]
    assert [v.valid_from for v in d2.versions] == [FIRST]
