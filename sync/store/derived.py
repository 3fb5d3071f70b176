"""Fields the store derives when the KPIs read it, so that they follow the record they come from.

A connector says which deal fields it leaves to the store (`Connector.derived`, recorded
per source by `declare`), and the deals' column load derives them (`columns`):

- `lead_source`: a deal with none of its own (ActiveCampaign's never have one) reads its
  contact's, so a contact that arrives after its deal, or whose lead source is filled in
  later, reaches the deal's KPIs at the next load; copied when the deal was read, it never
  would;
- `kind`: a deal is an upsell when its pipeline's title (its stages' `pipeline_label`) is
  one of the source's upsell pipelines (`upsell_pipelines`, compared by `title_key`), else
  it has its own kind; so the deals of a renamed pipeline follow its new title;
- `status` (and `closed_at` with it): a deal in a live stage is won, lost or open by the
  stage's `is_won` and `is_closed` (HubSpot's), so a stage closed or reopened later moves
  its deals; a deal closed so closed at its close date, or else when it last entered its
  stage, as the pull would say. A deal of no live stage (an archived one), or closed by its
  stage with no time to have closed at, keeps the status it was pulled with;
- `campaign`: a deal keeps the campaign's id as its source gives it, and reads the name the
  source's campaign list has for that id (`name_campaigns`, the list each pull hands over),
  else the id itself; so a renamed campaign's deals show under its new name.

Other sources' deals keep their own fields, unset or not.

The columnar snapshot holds the derived values, so a commit of contacts logs the deals that
take their lead source from them as changed (`log_deals_of`), and a commit of stages that
changes a pipeline's stages logs that pipeline's deals (`log_deals_of_pipelines`); the next
load reads those deals again. Indexes of deals by contact and by pipeline find them without
a pass over every deal. A source that starts or stops deriving, or names other upsell
pipelines, drops the snapshot. A campaign list that names a campaign otherwise (renamed,
added, gone) logs that campaign's deals, found by an index of deals by campaign.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Mapping

from connectors.base import title_key
from sync.store import changes

LEAD_SOURCE = "lead_source"
KIND = "kind"
STATUS = "status"
CAMPAIGN = "campaign"
FIELDS = frozenset({LEAD_SOURCE, KIND, STATUS, CAMPAIGN})
"""The deal fields a source may leave to the store to derive."""

_DERIVED_LEAD_SOURCE = (
    "coalesce(lead_source, (SELECT c.lead_source FROM contacts AS c "
    "JOIN derived AS f ON f.source = c.source AND f.field = 'lead_source' "
    "WHERE c.source = deals.source AND c.id = deals.contact_id AND c.deleted = 0)) "
    "AS lead_source"
)
_DERIVED_CAMPAIGN = (
    "coalesce((SELECT n.name FROM campaign_names AS n "
    "JOIN derived AS f ON f.source = n.source AND f.field = 'campaign' "
    "WHERE n.source = deals.source AND n.id = deals.campaign), campaign) AS campaign"
)
# the pipelines of upsell titles, found once per load rather than once per deal
_DERIVED_KIND = (
    "CASE WHEN (deals.source, deals.pipeline_id) IN (SELECT s.source, s.pipeline_id "
    "FROM stages AS s JOIN upsell_pipelines AS u ON u.source = s.source "
    "AND u.title = title_key(s.pipeline_label) WHERE s.deleted = 0) "
    "THEN 'upsell' ELSE kind END AS kind"
)


def _in_stages(where: str) -> str:
    """Whether the deal's stage is a live one of `where`; the stages found once per load."""
    return (
        "(deals.source, deals.pipeline_id, deals.stage_id) IN (SELECT source, pipeline_id, "  # noqa: S608
        f"stage_id FROM stages WHERE deleted = 0 AND {where})"
    )


# a closed deal closed at its close date, or else when it last entered its stage: the rule
# of a HubSpot deal the pull finds closed (`connectors.hubspot.records.deal`)
_CLOSE = (
    "coalesce(closed_at, expected_close_at, (SELECT v.entered_at FROM stage_visits AS v "
    "WHERE v.source = deals.source AND v.deal_id = deals.id AND v.stage_id = deals.stage_id "
    "ORDER BY v.position DESC LIMIT 1))"
)
# the live stage's flags decide; a deal of no live stage, or closed by its stage with no
# time it closed at, keeps the status it was pulled with
_STATUS = (
    "CASE WHEN deals.source NOT IN (SELECT source FROM derived WHERE field = 'status') "  # noqa: S608
    f"THEN status WHEN {_in_stages('is_won')} AND {_CLOSE} IS NOT NULL THEN 'won' "
    f"WHEN {_in_stages('is_closed AND NOT is_won')} AND {_CLOSE} IS NOT NULL THEN 'lost' "
    f"WHEN {_in_stages('NOT is_closed')} THEN 'open' ELSE status END"
)
_DERIVED: dict[str, dict[str, str]] = {
    "deals": {
        LEAD_SOURCE: _DERIVED_LEAD_SOURCE,
        KIND: _DERIVED_KIND,
        CAMPAIGN: _DERIVED_CAMPAIGN,
        STATUS: f"{_STATUS} AS status",
        "closed_at": f"CASE WHEN {_STATUS} = 'open' THEN NULL ELSE {_CLOSE} END AS closed_at",
    }
}
_LOG_DEALS = (
    f"INSERT INTO {changes.TABLE} (kind, source, id, generation) "  # noqa: S608
    "SELECT 'deal', source, id, ? FROM deals WHERE source = ? AND lead_source IS NULL "
    "AND contact_id IN (SELECT id FROM temp.live_ids) "
    "AND source IN (SELECT source FROM derived WHERE field = 'lead_source') "
    "ON CONFLICT (kind, source, id) DO UPDATE SET generation = excluded.generation"
)

_LOG_PIPELINE_DEALS = (
    f"INSERT INTO {changes.TABLE} (kind, source, id, generation) "  # noqa: S608
    "SELECT 'deal', source, id, ? FROM deals WHERE source = ? "
    "AND pipeline_id IN (SELECT id FROM temp.live_ids) "
    "AND source IN (SELECT source FROM derived WHERE field IN ('kind', 'status')) "
    "ON CONFLICT (kind, source, id) DO UPDATE SET generation = excluded.generation"
)
_LOG_CAMPAIGN_DEALS = (
    f"INSERT INTO {changes.TABLE} (kind, source, id, generation) "  # noqa: S608
    "SELECT 'deal', source, id, ? FROM deals WHERE source = ? "
    "AND campaign IN (SELECT id FROM temp.live_ids) "
    "AND source IN (SELECT source FROM derived WHERE field = 'campaign') "
    "ON CONFLICT (kind, source, id) DO UPDATE SET generation = excluded.generation"
)
_STAGE_FACTS = (
    "SELECT pipeline_id, stage_id, pipeline_label, is_closed, is_won FROM stages "
    "WHERE source = ? AND deleted = 0"
)
StageFacts = Mapping[str, frozenset[tuple[object, ...]]]
"""What the deals of each pipeline derive from: its live stages' ids, labels and flags."""


def functions(db: sqlite3.Connection) -> None:
    """The SQL functions the derived columns call, on every connection that loads."""
    db.create_function("title_key", 1, title_key, deterministic=True)


def create(db: sqlite3.Connection) -> None:
    """The sources' declarations and the index of deals by contact (store version 4)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS derived (source TEXT NOT NULL, field TEXT NOT NULL, "
        "PRIMARY KEY (source, field)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX IF NOT EXISTS deals_by_contact ON deals (source, contact_id)")


def create_upsell_pipelines(db: sqlite3.Connection) -> None:
    """The sources' upsell pipeline titles and the index of deals by pipeline (version 5)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS upsell_pipelines (source TEXT NOT NULL, "
        "title TEXT NOT NULL, PRIMARY KEY (source, title)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX IF NOT EXISTS deals_by_pipeline ON deals (source, pipeline_id)")


def create_campaign_names(db: sqlite3.Connection) -> None:
    """The sources' campaign names by id and the index of deals by campaign (version 6)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS campaign_names (source TEXT NOT NULL, id TEXT NOT NULL, "
        "name TEXT NOT NULL, PRIMARY KEY (source, id)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX IF NOT EXISTS deals_by_campaign ON deals (source, campaign)")


def columns(table: str, names: Iterable[str]) -> str:
    """The select list of `names` of `table`, with the derived ones derived."""
    derived = _DERIVED.get(table, {})
    return ", ".join(derived.get(name, name) for name in names)


def declare(
    db: sqlite3.Connection, source: str, fields: Iterable[str], upsell: Collection[str] = ()
) -> None:
    """Within a write transaction: the fields `source` leaves to the store from now on, and
    the `title_key`s of its upsell pipelines (kept only while it derives `kind`)."""
    wanted = set(fields)
    unknown = wanted - FIELDS
    if unknown:
        raise ValueError(f"{source}: the store derives no field {', '.join(sorted(unknown))}")
    titles = {title_key(title) for title in upsell} if KIND in wanted else set()
    rows = db.execute("SELECT field FROM derived WHERE source = ?", (source,))
    stored = db.execute("SELECT title FROM upsell_pipelines WHERE source = ?", (source,))
    if {str(name) for (name,) in rows} == wanted and {str(t) for (t,) in stored} == titles:
        return
    db.execute("DELETE FROM derived WHERE source = ?", (source,))
    db.executemany("INSERT INTO derived VALUES (?, ?)", ((source, name) for name in wanted))
    db.execute("DELETE FROM upsell_pipelines WHERE source = ?", (source,))
    db.executemany("INSERT INTO upsell_pipelines VALUES (?, ?)", ((source, t) for t in titles))
    if CAMPAIGN not in wanted:
        db.execute("DELETE FROM campaign_names WHERE source = ?", (source,))
    # every deal of the source may read otherwise now
    changes.drop_snapshot(db)


def log_deals_of(db: sqlite3.Connection, source: str, contact_ids: Iterable[str]) -> None:
    """Within a commit of contacts: log the deals deriving from them as changed too."""
    if not changes.has_snapshot(db):
        return
    _log(db, _LOG_DEALS, source, set(contact_ids))


def stage_facts(db: sqlite3.Connection, source: str) -> StageFacts:
    """Within a commit of stages, before it: what each pipeline's deals derive from."""
    if not changes.has_snapshot(db):
        return {}
    facts: dict[str, set[tuple[object, ...]]] = {}
    for pipeline_id, *rest in db.execute(_STAGE_FACTS, (source,)):
        facts.setdefault(str(pipeline_id), set()).add(tuple(rest))
    return {pipeline_id: frozenset(found) for pipeline_id, found in facts.items()}


def log_deals_of_pipelines(db: sqlite3.Connection, source: str, before: StageFacts) -> None:
    """Within a commit of stages, after it: log the deals of the pipelines it changed.

    Stages are read whole on every pull, so only a pipeline whose stages now differ from
    `before` (renamed, a stage added, gone or re-flagged) has its deals read again.
    """
    if not changes.has_snapshot(db):
        return
    after = stage_facts(db, source)
    moved = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    if not moved:
        return
    _log(db, _LOG_PIPELINE_DEALS, source, moved)


def name_campaigns(db: sqlite3.Connection, source: str, names: Mapping[str, str]) -> None:
    """Within a commit: `names` is the whole campaign list of `source` now (name by id); the
    deals of every campaign it names otherwise than the stored list are logged as changed."""
    rows = db.execute("SELECT id, name FROM campaign_names WHERE source = ?", (source,))
    stored = {str(campaign_id): str(name) for campaign_id, name in rows}
    moved = {i for i in stored.keys() | names.keys() if stored.get(i) != names.get(i)}
    if not moved:
        return
    db.execute("DELETE FROM campaign_names WHERE source = ?", (source,))
    db.executemany(
        "INSERT INTO campaign_names VALUES (?, ?, ?)",
        ((source, campaign_id, name) for campaign_id, name in names.items()),
    )
    if not changes.has_snapshot(db):
        return
    _log(db, _LOG_CAMPAIGN_DEALS, source, moved)


def _log(db: sqlite3.Connection, statement: str, source: str, keys: Iterable[str]) -> None:
    """Run one of the `_LOG_*` statements for `source` over `keys` (the contacts, pipelines
    or campaigns that changed), held in `temp.live_ids` for the statement's subquery."""
    db.execute("DELETE FROM temp.live_ids")
    db.executemany("INSERT INTO temp.live_ids (id) VALUES (?)", ((key,) for key in keys))
    db.execute(statement, (changes.current(db), source))
    db.execute("DELETE FROM temp.live_ids")
