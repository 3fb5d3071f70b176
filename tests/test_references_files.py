"""A row of the files source pointing at nothing is kept as given and named in the warnings."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.files import FilesConnector
from sync.notices import collected
from sync.pull import pull
from sync.store import Store

COMPLETE = Path(__file__).parent / "fixtures" / "files" / "complete"
T0 = datetime(2026, 11, 1, 6, tzinfo=UTC)


def _pull(folder: Path, store: Store) -> list[str]:
    with collected() as notices:
        pull(store, [FilesConnector(folder)], full=False, now=lambda: T0)
    return [message for message in notices.messages if "names no" in message]


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8", newline="") as file:
        file.write(line + "\r\n")


@pytest.mark.parametrize(
    ("file", "row", "warning"),
    [
        (
            "deals.csv",
            "d9,,sales,closing,open,,,,,,,,,2026-05-01T08:00:00Z,,,",
            "deal 'd9': stage_id 'closing' names no stage of pipeline 'sales'",
        ),
        (
            "deals.csv",
            "d9,,renewals,qualify,open,,,,,,,,,2026-05-01T08:00:00Z,,,",
            "deal 'd9': pipeline_id 'renewals' names no pipeline",
        ),
        (
            "deals.csv",
            "d9,,sales,qualify,open,,,o7,c1,,,,,2026-05-01T08:00:00Z,,,",
            "deal 'd9': owner_id 'o7' names no owner",
        ),
        (
            "tickets.csv",
            "t9,2026-10-06T09:00:00Z,,o7,,",
            "ticket 't9': owner_id 'o7' names no owner",
        ),
        (
            "surveys.csv",
            "s9,c7,7,2026-10-10T10:00:00Z",
            "survey 's9': contact_id 'c7' names no contact",
        ),
    ],
    ids=["unknown-stage", "unknown-pipeline", "unknown-owner", "ticket", "survey"],
)
def test_a_dangling_reference_is_kept_and_named(
    tmp_path: Path, file: str, row: str, warning: str
) -> None:
    """The row is stored as the file gives it; a warning names the record and the field."""
    folder = tmp_path / "crm"
    shutil.copytree(COMPLETE, folder)
    _append(folder / file, row)
    with Store.open(tmp_path / "store.db") as store:
        found = _pull(folder, store)
        kind, record_id = warning.split(" ")[0], warning.split("'")[1]
        stored = store.record("files", kind, record_id)
    assert found[0] == f"files: {warning} in files; kept as given"
    assert stored is not None


def test_a_contact_named_by_a_deal_and_missing_is_named_too(tmp_path: Path) -> None:
    """Each reference of a record is named on its own line."""
    folder = tmp_path / "crm"
    shutil.copytree(COMPLETE, folder)
    _append(folder / "deals.csv", "d9,,sales,qualify,open,,,o7,c7,,,,,2026-05-01T08:00:00Z,,,")
    with Store.open(tmp_path / "store.db") as store:
        found = _pull(folder, store)
    assert found == [
        "files: deal 'd9': owner_id 'o7' names no owner in files; kept as given",
        "files: deal 'd9': contact_id 'c7' names no contact in files; kept as given",
    ]


def test_the_complete_folder_names_no_reference(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store.db") as store:
        assert _pull(COMPLETE, store) == []
