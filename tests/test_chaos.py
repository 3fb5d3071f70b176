"""Pulls through a transport that fails at random, replayably: the store ends as a clean run's.

Each seed is a test id (`seed=N`); a failure names the seed and the faults it drew, and
running that id again replays them.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import responses

from connectors.activecampaign.context import store_lookup
from connectors.http import ApiClient, RetriableError
from sync.outputs.sheets import publish
from sync.pull import PullReport, pull
from sync.store import Store
from tests.chaos import ChaosAdapter, Fault
from tests.fakes import FakeClock
from tests.fixtures.activecampaign import fake as activecampaign
from tests.fixtures.hubspot.fake_hubspot import FakeHubSpot
from tests.fixtures.hubspot.harness import TOKEN as HUBSPOT_TOKEN
from tests.fixtures.hubspot.harness import connector as hubspot_connector
from tests.fixtures.hubspot.harness import pull_into
from tests.fixtures.sheets.builders import connect_fake, workbook
from tests.fixtures.sheets.fake import FakeSheet
from tests.fixtures.sheets.keys import ACCESS_TOKEN

SEEDS = [pytest.param(seed, id=f"seed={seed}") for seed in (1, 2, 3, 5, 8, 13)]
# a publish makes three calls: seeds that fault at least one of them (asserted)
SHEET_SEEDS = [pytest.param(seed, id=f"seed={seed}") for seed in (1, 4, 7, 9, 12)]
URL = "https://api.example/v1/items"
BODY = {"items": [{"id": str(n), "name": f"item {n}"} for n in range(20)]}
Table = list[tuple[object, ...]]


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as active:
        yield active


def _client(session: requests.Session, attempts: int = 1) -> ApiClient:
    clock = FakeClock()
    return ApiClient(
        "Example", "https://api.example", session, attempts=attempts, sleep=clock.sleep
    )


def _only(fault: Fault, seed: int = 0) -> ChaosAdapter:
    return ChaosAdapter(seed, rate=1.0, streak=10**6, faults=[fault])


RAISED = {
    Fault.RESET: requests.ConnectionError,
    Fault.CUT: requests.exceptions.ChunkedEncodingError,
    Fault.CORRUPT_GZIP: requests.exceptions.ContentDecodingError,
    Fault.TIMEOUT: requests.ReadTimeout,
}


@pytest.mark.parametrize("fault", list(RAISED), ids=[f.name for f in RAISED])
def test_a_fault_raises_what_requests_raises_on_a_real_socket(
    mock: responses.RequestsMock, fault: Fault
) -> None:
    """Resets, cut and corrupt bodies, slow answers: the exception requests itself raises."""
    mock.get(URL, json=BODY)
    session = _only(fault).mount_on(requests.Session())
    with pytest.raises(RAISED[fault]):
        # a corrupt gzip is a proxy's mislabelled body on some draws, a flipped byte on
        # others: the first draw of seed 0 is the mislabelled one
        session.get(URL, timeout=(1.0, 2.0))


def test_a_flipped_byte_in_a_gzip_body_never_arrives_as_the_body(
    mock: responses.RequestsMock,
) -> None:
    """A corrupt compressed body fails to decode, or decodes to something that is not it."""
    mock.get(URL, json=BODY)
    clean = requests.Session().get(URL, timeout=(1.0, 2.0)).content
    session = _only(Fault.CORRUPT_GZIP, seed=4).mount_on(requests.Session())
    refused = 0
    for _ in range(40):
        try:
            assert session.get(URL, timeout=(1.0, 2.0)).content != clean
        except requests.exceptions.ContentDecodingError:
            refused += 1
    assert refused > 0


@pytest.mark.parametrize(
    ("fault", "statuses", "retry_after"),
    [
        (Fault.SERVER_ERROR, {500, 502, 503, 504}, False),
        (Fault.RATE_LIMITED, {429}, False),
        (Fault.RATE_LIMITED_AFTER, {429}, True),
        (Fault.EMPTY, {200}, False),
    ],
    ids=["5xx", "429", "429-retry-after", "empty"],
)
def test_a_fault_answers_with_a_status_the_server_would_send(
    mock: responses.RequestsMock, fault: Fault, statuses: set[int], retry_after: bool
) -> None:
    """5xx, 429 with and without `Retry-After`, a 200 with no body."""
    mock.get(URL, json=BODY)
    response = _only(fault).mount_on(requests.Session()).get(URL, timeout=(1.0, 2.0))
    assert response.status_code in statuses
    assert ("Retry-After" in response.headers) is retry_after
    if fault is Fault.EMPTY:
        assert response.content == b""


@pytest.mark.parametrize("fault", list(Fault), ids=[f.name for f in Fault])
def test_every_fault_is_retriable_for_the_api_client(
    mock: responses.RequestsMock, fault: Fault
) -> None:
    """Each fault becomes a `RetriableError`, with the method and path and no query string."""
    mock.get(URL, json=BODY)
    client = _client(_only(fault).mount_on(requests.Session()))
    with pytest.raises(RetriableError) as raised:
        client.get("/v1/items", params={"q": "private-query"})
    assert "GET /v1/items" in str(raised.value)
    assert "private-query" not in str(raised.value)


def test_the_same_seed_draws_the_same_faults(mock: responses.RequestsMock) -> None:
    """A seed replays: the same requests meet the same faults; another seed, others."""
    mock.get(URL, json=BODY)

    def drawn(seed: int) -> list[str]:
        session = ChaosAdapter(seed, streak=10**6).mount_on(requests.Session())
        seen = []
        for _ in range(30):
            try:
                seen.append(str(session.get(URL, timeout=(1.0, 2.0)).status_code))
            except requests.RequestException as exc:
                seen.append(type(exc).__name__)
        return seen

    assert drawn(7) == drawn(7)
    assert drawn(7) != drawn(8)


def test_a_request_meets_at_most_streak_faults_in_a_row(mock: responses.RequestsMock) -> None:
    """After `streak` faults the same request passes, so a client retrying more gets through."""
    mock.get(URL, json=BODY)
    chaos = ChaosAdapter(3, rate=1.0, streak=2, faults=[Fault.RESET])
    client = _client(chaos.mount_on(requests.Session()), attempts=3)
    assert client.get("/v1/items") == BODY
    assert client.calls == 3


def test_a_request_without_a_read_timeout_is_recorded(mock: responses.RequestsMock) -> None:
    """A call with no timeout would hang on a silent server: the adapter names it."""
    mock.get(URL, json=BODY)
    chaos = ChaosAdapter(1, rate=0.0)
    session = chaos.mount_on(requests.Session())
    session.get(URL, timeout=(1.0, 2.0))
    session.get(URL)
    assert chaos.unbounded == ["GET /v1/items"]


# the syncs


def dump(db_path: Path) -> dict[str, Table]:
    """Every table's rows, sorted: what two stores must share to be the same store."""
    with sqlite3.connect(db_path) as db:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: sorted(
                db.execute(f"SELECT * FROM {name}").fetchall(),  # noqa: S608 - names from the schema
                key=repr,
            )
            for name in sorted(names)
        }


def _leaks(records: list[logging.LogRecord], report: PullReport, secrets: list[str]) -> list[str]:
    """Log records (with their tracebacks) and report lines that hold a secret."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    texts = [formatter.format(record) for record in records] + [report.summary()]
    return [text for text in texts for secret in secrets if secret in text]


Sync = Callable[[Path, requests.Session], PullReport]


def _hubspot_sync(db_path: Path, session: requests.Session) -> PullReport:
    with Store.open(db_path) as store:
        return pull_into(store, hubspot_connector(session=session))


def _activecampaign_sync(db_path: Path, session: requests.Session) -> PullReport:
    now = activecampaign.NOW
    with Store.open(db_path) as store:
        source = activecampaign.connector(
            session, lookup=store_lookup(store, "activecampaign"), page_size=2
        )
        return pull(store, [source], full=False, now=lambda: now)


def _hubspot_account(mock: responses.RequestsMock) -> None:
    FakeHubSpot.account().register(mock)


def _activecampaign_account(mock: responses.RequestsMock) -> None:
    activecampaign.FakeAccount.from_fixtures().register(mock)


ACCOUNTS = [
    pytest.param(_hubspot_account, _hubspot_sync, HUBSPOT_TOKEN.get_secret_value(), id="hubspot"),
    pytest.param(
        _activecampaign_account, _activecampaign_sync, activecampaign.TOKEN, id="activecampaign"
    ),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("account", "sync", "token"), ACCOUNTS)
def test_a_pull_through_chaos_stores_what_a_clean_pull_stores(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    account: Callable[[responses.RequestsMock], None],
    sync: Sync,
    token: str,
    seed: int,
) -> None:
    """Every table, cursors and run log included, is the clean run's; faults were met and
    retried, every call had a read timeout, and no log line or report holds the token."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        account(mock)
        sync(tmp_path / "clean.db", requests.Session())
    chaos = ChaosAdapter(seed)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        account(mock)
        with caplog.at_level(logging.DEBUG):
            try:
                report = sync(tmp_path / "chaos.db", chaos.mount_on(requests.Session()))
            except Exception as exc:
                raise AssertionError(f"{chaos.describe()}: {exc}") from exc
    replay = chaos.describe()
    assert sum(chaos.injected.values()) >= 3, replay
    assert dump(tmp_path / "chaos.db") == dump(tmp_path / "clean.db"), replay
    assert chaos.unbounded == [], replay
    assert _leaks(caplog.records, report, [token]) == [], replay


def _publish(tmp_path: Path, chaos: ChaosAdapter | None) -> FakeSheet:
    """A first publish of the small workbook to a new fake sheet, through `chaos` if given."""
    sheet = FakeSheet()
    # the fixtures register on `responses`' default mock
    with responses.mock:
        api = connect_fake(tmp_path, sheet)
        if chaos is not None:
            chaos.mount_on(api.http.api.session)
        publish(api, workbook())
    return sheet


def _sent(sheet: FakeSheet) -> list[tuple[str, object]]:
    """The calls the sheet answered, a retry of the call before it counted once."""
    calls: list[tuple[str, object]] = []
    for call in sheet.calls:
        if not calls or calls[-1] != call:
            calls.append(call)
    return calls


@pytest.mark.parametrize("seed", SHEET_SEEDS)
def test_a_publish_through_chaos_sends_what_a_clean_publish_sends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, seed: int
) -> None:
    """The same request bodies in the same order, and the same spreadsheet at the end."""
    clean = _publish(tmp_path, None)
    # a write whose answer is lost is the case below; here the faults stop a write before
    # the server applies it, and any fault may meet a read
    chaos = ChaosAdapter(seed, rate=0.6, lost_answers={"GET"})
    with caplog.at_level(logging.DEBUG):
        stormy = _publish(tmp_path, chaos)
    replay = chaos.describe()
    assert sum(chaos.injected.values()) >= 1, replay
    assert _sent(stormy) == _sent(clean), replay
    assert stormy.snapshot() == clean.snapshot(), replay
    assert chaos.unbounded == [], replay
    formatted = [logging.Formatter().format(record) for record in caplog.records]
    assert [text for text in formatted if ACCESS_TOKEN in text] == [], replay


@pytest.mark.parametrize("seed", SHEET_SEEDS[:2])
def test_a_publish_survives_a_write_whose_answer_was_lost(tmp_path: Path, seed: int) -> None:
    """A read timeout after the server applied a batchUpdate: the writer reads the sheet again
    and plans the batch afresh instead of sending it twice, and the same sheet ends."""
    clean = _publish(tmp_path, None)
    chaos = ChaosAdapter(seed, rate=1.0, streak=1, faults=[Fault.TIMEOUT], lost_answers={"POST"})
    assert _publish(tmp_path, chaos).snapshot() == clean.snapshot(), chaos.describe()
