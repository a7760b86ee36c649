"""Finding issues: the filters of the review list, the API and the exports, diacritics-free search, sorting, pages.

Search folds the query like the stored text (meeting_hub.vietnamese.fold) and needs every word to appear in the issue's
search text (title, content, endpoint, category, cell and person names), so "dat dai hoang hoa tham" finds an issue
about "đất đai" raised at Hoàng Hoa Thám. Plain LIKE on folded text, the same on SQLite and PostgreSQL; an index makes
it quick on each (trigrams on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from meeting_hub.accounts.models import User
from meeting_hub.clock import local_day_bounds, local_today
from meeting_hub.extensions import db
from meeting_hub.follow_up.models import Issue, IssueCategory, IssueStatus
from meeting_hub.follow_up.services import visibility_clause
from meeting_hub.follow_up.workflow import DUE_STATUSES
from meeting_hub.network.models import Endpoint
from meeting_hub.vietnamese import search_terms

#: How the list may be ordered: name -> ORDER BY terms (the id breaks ties, so pages never overlap).
SORTS: dict[str, list[Any]] = {
    "-raised_at": [Issue.raised_at.desc(), Issue.id.desc()],
    "raised_at": [Issue.raised_at.asc(), Issue.id.asc()],
    "due_on": [Issue.due_on.asc().nulls_last(), Issue.id.asc()],
    "-due_on": [Issue.due_on.desc().nulls_last(), Issue.id.desc()],
    "status": [Issue.status.asc(), Issue.raised_at.desc(), Issue.id.desc()],
    "endpoint": [Endpoint.name.asc(), Issue.raised_at.desc(), Issue.id.desc()],
}
DEFAULT_SORT = "-raised_at"
MAX_SEARCH_TERMS = 10
#: A search matching at most this many issues has its ids collected and ordered (see list_issues).
SPARSE_SEARCH = 2000


@dataclass
class IssueFilters:
    """What the list is narrowed to; None (or empty) means "any"."""

    status: IssueStatus | None = None
    endpoint_id: int | None = None
    category: str | None = None
    agency_id: int | None = None
    briefing_id: int | None = None
    overdue: bool | None = None
    q: str = ""
    raised_from: date | None = None
    raised_to: date | None = None
    #: Only these ids (bulk actions on a selection).
    ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class IssuePage:
    """One page of the filtered list, with the number of matching issues."""

    items: list[Issue]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Return how many pages the list has (at least one)."""
        return max(1, -(-self.total // self.per_page))


def overdue_clause(today: date) -> sa.ColumnElement[bool]:
    """Return the condition "past its due date and not closed or withdrawn" for a local calendar day."""
    return sa.and_(Issue.status.in_(DUE_STATUSES), Issue.due_on < today)


def _term_clause(term: str) -> sa.ColumnElement[bool]:
    """Match one folded word anywhere in the issue's search text (which holds its endpoint and category names)."""
    return Issue.search_text.contains(term, autoescape=True)


def _ordered_terms(query: str) -> list[str]:
    """Return the query's distinct folded words, longest first: a longer word is usually rarer, so the rows that
    cannot match are dropped after fewer tests (the database evaluates the AND in this order)."""
    terms = list(dict.fromkeys(search_terms(query)))[:MAX_SEARCH_TERMS]
    return sorted(terms, key=len, reverse=True)


def conditions(viewer: User, filters: IssueFilters, today: date) -> list[sa.ColumnElement[bool]]:
    """Return the WHERE conditions of the filters, within what the viewer may see."""
    where: list[sa.ColumnElement[bool]] = [visibility_clause(viewer)]
    if filters.status is not None:
        where.append(Issue.status == filters.status)
    if filters.endpoint_id is not None:
        where.append(Issue.endpoint_id == filters.endpoint_id)
    if filters.category:
        where.append(
            Issue.category_id
            == sa.select(IssueCategory.id).where(IssueCategory.code == filters.category).scalar_subquery()
        )
    if filters.agency_id is not None:
        where.append(Issue.agency_id == filters.agency_id)
    if filters.briefing_id is not None:
        where.append(Issue.briefing_id == filters.briefing_id)
    if filters.overdue is True:
        where.append(overdue_clause(today))
    elif filters.overdue is False:
        where.append(sa.not_(overdue_clause(today)) | Issue.due_on.is_(None))
    if filters.raised_from is not None or filters.raised_to is not None:
        start, end = local_day_bounds(filters.raised_from or date(2000, 1, 1), filters.raised_to or date(2100, 12, 31))
        where.append(Issue.raised_at >= start)
        where.append(Issue.raised_at < end)
    if filters.ids:
        where.append(Issue.id.in_(filters.ids))
    where.extend(_term_clause(term) for term in _ordered_terms(filters.q))
    return where


def _eager(statement: sa.Select[Any]) -> sa.Select[Any]:
    """Load what a list row shows in the same query: no query per row."""
    return statement.options(
        joinedload(Issue.endpoint),
        joinedload(Issue.category),
        joinedload(Issue.agency),
        joinedload(Issue.cell),
        joinedload(Issue.person),
        joinedload(Issue.raised_by),
    )


def _ordered(statement: sa.Select[Any], sort: str) -> sa.Select[Any]:
    if sort == "endpoint":
        statement = statement.join(Endpoint, Endpoint.id == Issue.endpoint_id)
    return statement.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def list_issues(
    viewer: User,
    filters: IssueFilters,
    *,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> IssuePage:
    """Return one page of the issues the viewer may see that match the filters, and how many match in all.

    A few queries whatever the page shows: the count, the page's ids found on the narrow index of the order (an OFFSET
    over joined rows would carry every column of every skipped row), then the page's rows with what they show.

    A search that matches few issues is found differently: walking the order's index until a page of matches turns up
    would read most of the table, so the matching ids are collected first (one pass over the search index, which
    also gives the count) and only they are ordered.
    """
    where = conditions(viewer, filters, local_today(now))
    page = max(1, page)
    found: list[int] | None = None
    if search_terms(filters.q):
        found = list(db.session.scalars(sa.select(Issue.id).where(*where).limit(SPARSE_SEARCH + 1)))
    if found is not None and len(found) <= SPARSE_SEARCH:
        total = len(found)
        where = [Issue.id.in_(found)] if found else [sa.false()]
    else:
        total = _count(where)
    ids = list(
        db.session.scalars(
            _ordered(sa.select(Issue.id).where(*where), sort).limit(per_page).offset((page - 1) * per_page)
        )
    )
    return IssuePage(_load(ids), total, page, per_page)


def _load(ids: list[int], *options: Any) -> list[Issue]:
    """Return the issues with these ids, in this order, with what a row shows (and the given loader options)."""
    if not ids:
        return []
    statement = _eager(sa.select(Issue).where(Issue.id.in_(ids))).options(*options)
    loaded = {issue.id: issue for issue in db.session.scalars(statement)}
    return [loaded[issue_id] for issue_id in ids if issue_id in loaded]


def count_issues(viewer: User, filters: IssueFilters, now: datetime | None = None) -> int:
    """Return how many issues the viewer may see match the filters."""
    return _count(conditions(viewer, filters, local_today(now)))


def _count(where: list[sa.ColumnElement[bool]]) -> int:
    return db.session.scalar(sa.select(sa.func.count(Issue.id)).where(*where)) or 0


def iter_issues(
    viewer: User, filters: IssueFilters, *, sort: str = DEFAULT_SORT, now: datetime | None = None, batch: int = 500
) -> Iterator[Issue]:
    """Yield every matching issue in order, a batch at a time with its rows' relations and briefing (for exports)."""
    where = conditions(viewer, filters, local_today(now))
    ids = list(db.session.scalars(_ordered(sa.select(Issue.id).where(*where), sort)))
    for start in range(0, len(ids), batch):
        yield from _load(ids[start : start + batch], selectinload(Issue.briefing))
