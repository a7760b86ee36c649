"""Benchmark the issue list at scale: fill a fresh database with N raised issues, then time the server.

    .venv/bin/python bench/issues.py --count 100000
    .venv/bin/python bench/issues.py --count 100000 --database-url postgresql://postgres@127.0.0.1:5432/bench_issues

The database is the demo (19 endpoints, their cells and secretaries, agencies, accounts) plus 60 monthly briefings and
N issues spread over them, written with bulk INSERTs. Each request is timed in-process through the Flask test client
(a signed-in leader's session, the whole request: routing, access policy, queries, JSON or HTML), after one warm-up,
and the median and slowest of the runs are printed. A PostgreSQL database must be empty (or pass --reset).
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TITLES = [
    "Tranh chấp {land} giữa các hộ ở {place}",
    "Lấn chiếm {land} tại {place}",
    "Chậm cấp giấy chứng nhận quyền sử dụng {land}",
    "Đường liên thôn {place} xuống cấp",
    "Cống thoát nước ở {place} bị tắc",
    "Rác thải tồn đọng ven đường {place}",
    "Ô nhiễm nguồn nước tại {place}",
    "Chậm chi trả trợ cấp cho người có công ở {place}",
    "Hộ nghèo {place} chưa được hỗ trợ nhà ở",
    "Trộm cắp vặt gia tăng tại {place}",
    "Đề nghị lắp đèn chiếu sáng đường {place}",
    "Sinh hoạt chi bộ {place} cần tài liệu mới",
]
PHRASES = [
    "Người dân phản ánh nhiều lần nhưng chưa được giải quyết.",
    "Đề nghị các cơ quan chức năng sớm kiểm tra, xử lý dứt điểm.",
    "Bí thư chi bộ đã báo cáo đảng ủy và ủy ban nhân dân.",
    "Tình trạng kéo dài từ đầu năm, ảnh hưởng đến sản xuất và đời sống.",
    "Một số hộ đã làm đơn kiến nghị gửi phường.",
    "Cần có phương án hỗ trợ kinh phí từ ngân sách thành phố.",
    "Đề nghị công khai kết quả xử lý tại buổi giao ban tới.",
    "Việc này gây bức xúc trong nhân dân, cần giải thích rõ chính sách.",
]
LANDS = ["đất đai", "đất nông nghiệp", "đất ở", "đất công"]
STATUS_WEIGHTS = {"new": 10, "assigned": 30, "answered": 20, "closed": 35, "withdrawn": 5}


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="how many issues to generate")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per request (after one warm-up)")
    parser.add_argument("--reset", action="store_true", help="drop the tables of a non-empty database first")
    parser.add_argument("--seed", type=int, default=20260315)
    return parser.parse_args()


@functools.cache
def _folded(text: str) -> str:
    from meeting_hub.vietnamese import fold

    return fold(text)


def _issue_rows(count: int, rng: random.Random, context: dict[str, Any]) -> list[dict[str, Any]]:
    """Build the rows of `count` issues, folded search text included (what raise_issue would have stored).

    Titles, contents and names repeat, so their folded forms are cached: folding is what would otherwise take longest.
    """

    now = datetime.now(UTC)
    briefings: list[tuple[int, datetime]] = context["briefings"]
    people_by_endpoint: dict[int, list[tuple[int, int, str, str]]] = context["people"]
    endpoint_ids = sorted(people_by_endpoint)
    endpoint_names: dict[int, str] = context["endpoints"]
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    rows = []
    for _ in range(count):
        briefing_id, starts_at = rng.choice(briefings)
        endpoint_id = rng.choice(endpoint_ids)
        person = rng.choice(people_by_endpoint[endpoint_id]) if rng.random() < 0.7 else None
        place = person[2] if person else rng.choice(context["places"])
        title = rng.choice(TITLES).format(land=rng.choice(LANDS), place=place)
        category_id, category_name = rng.choice(context["categories"])
        content = " ".join(rng.sample(PHRASES, rng.randint(1, 4)))
        status = rng.choices(statuses, weights)[0]
        raised_at = starts_at + timedelta(minutes=rng.randint(20, 110))
        row: dict[str, Any] = {
            "briefing_id": briefing_id,
            "endpoint_id": endpoint_id,
            "cell_id": person[1] if person else None,
            "person_id": person[0] if person else None,
            "category_id": category_id,
            "title": title,
            "content": content,
            "priority": rng.choices(["normal", "high", "urgent"], [85, 12, 3])[0],
            "status": status,
            "agency_id": None,
            "due_on": None,
            "raised_by_id": context["organizer_id"],
            "raised_at": raised_at,
            "assigned_at": None,
            "answered_at": None,
            "closed_at": None,
            "days_to_answer": None,
            "answered_on_time": None,
            "answer": "",
            "search_text": " ".join(
                _folded(part)
                for part in (
                    title,
                    content,
                    endpoint_names[endpoint_id],
                    category_name,
                    place,
                    person[3] if person else "",
                )
                if part
            ),
            "updated_at": raised_at,
        }
        if status in ("assigned", "answered", "closed"):
            assigned_at = raised_at + timedelta(days=rng.randint(0, 5))
            row.update(
                agency_id=rng.choice(context["agencies"]),
                assigned_at=assigned_at,
                due_on=(assigned_at + timedelta(days=15)).date(),
            )
            if status in ("answered", "closed"):
                answered_at = min(assigned_at + timedelta(days=rng.randint(1, 30)), now)
                row.update(
                    answered_at=answered_at,
                    answer="Đã kiểm tra, xử lý và trả lời công dân.",
                    days_to_answer=(answered_at - assigned_at).days,
                    answered_on_time=answered_at.date() <= row["due_on"],
                )
                if status == "closed":
                    row["closed_at"] = min(answered_at + timedelta(days=rng.randint(0, 7)), now)
        if status == "withdrawn":
            row["closed_at"] = raised_at + timedelta(days=1)
        rows.append(row)
    return rows


def _fill(app: Any, count: int, rng: random.Random) -> float:
    """Load the demo, add 60 monthly briefings and `count` issues; return the seconds the issues took."""
    import sqlalchemy as sa

    from meeting_hub.accounts import services as accounts
    from meeting_hub.demo import load_demo
    from meeting_hub.extensions import db
    from meeting_hub.follow_up.models import Issue, IssueCategory
    from meeting_hub.network.models import Agency, Cell, Endpoint, Person
    from meeting_hub.scheduling import services as scheduling
    from meeting_hub.scheduling.models import BriefingStatus

    with app.app_context():
        load_demo()
        organizer = accounts.find_user("organizer")
        first = datetime(2021, 1, 12, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
        briefings = []
        for month in range(60):
            starts_at = first + timedelta(days=30 * month)
            briefing = scheduling.create_briefing(
                scheduling.BriefingData(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2)), organizer
            )
            briefing.status = BriefingStatus.ENDED
            briefings.append(briefing)
        db.session.flush()
        people: dict[int, list[tuple[int, int, str, str]]] = {}
        for person_id, cell_id, cell_name, full_name, endpoint_id in db.session.execute(
            sa.select(Person.id, Cell.id, Cell.name, Person.full_name, Cell.endpoint_id).join(Person.cell)
        ):
            people.setdefault(endpoint_id, []).append((person_id, cell_id, cell_name, full_name))
        context = {
            "briefings": [(b.id, b.starts_at) for b in briefings],
            "people": people,
            "places": sorted({cell_name for rows in people.values() for _p, _c, cell_name, _n in rows}),
            "categories": [tuple(row) for row in db.session.execute(sa.select(IssueCategory.id, IssueCategory.name))],
            "endpoints": {row[0]: row[1] for row in db.session.execute(sa.select(Endpoint.id, Endpoint.name))},
            "agencies": list(db.session.scalars(sa.select(Agency.id))),
            "organizer_id": organizer.id,
        }
        db.session.commit()

        started = time.perf_counter()
        batch = 10_000
        for offset in range(0, count, batch):
            # Core executemany: the ORM's bulk path costs more than the database here.
            db.session.connection().execute(
                Issue.__table__.insert(), _issue_rows(min(batch, count - offset), rng, context)
            )
            db.session.commit()
        db.session.execute(sa.text("ANALYZE"))  # fresh statistics for the planner, as after a day of use
        db.session.commit()
        return time.perf_counter() - started


def _time(client: Any, url: str, runs: int) -> tuple[float, float, Any]:
    """Return the median and the slowest of `runs` requests (ms), after one warm-up, and the last response."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:500])
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(timings), max(timings), response


def main() -> int:
    """Fill the database, time the requests, print the figures; the temporary folder goes away afterwards."""
    args = _parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-issues-") as folder:
        return _run(args, Path(folder))


def _run(args: argparse.Namespace, workdir: Path) -> int:
    url = args.database_url or f"sqlite:///{workdir / 'issues.db'}"

    os.environ["MEETING_HUB_INSTANCE_PATH"] = str(workdir / "instance")
    import sqlalchemy as sa

    from meeting_hub import create_app
    from meeting_hub.extensions import db

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "localhost",
            "LIVE_COALESCE_MS": 0,
        }
    )
    with app.app_context():
        tables = sa.inspect(db.engine).get_table_names()
        if tables and not args.reset:
            print(f"The database {url} is not empty; pass --reset to drop its tables.", file=sys.stderr)
            return 2
        db.drop_all()
        db.create_all()
        dialect = db.engine.dialect.name
        version_query = "SELECT sqlite_version()" if dialect == "sqlite" else "SHOW server_version"
        version = db.session.scalar(sa.text(version_query))

    from argon2 import PasswordHasher

    from meeting_hub.accounts import services as accounts

    # The demo's 23 accounts: cheap hashing, the benchmark is about issues (the tests do the same).
    accounts._password_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    fill_seconds = _fill(app, args.count, rng)
    setup_seconds = time.perf_counter() - started - fill_seconds

    client = app.test_client()
    response = client.post("/sign-in", data={"username": "leader", "password": "demo12345"})
    assert response.status_code == 302, "sign-in failed"
    with app.app_context():
        from meeting_hub.network.models import Endpoint

        sao_do = db.session.scalar(sa.select(Endpoint.id).where(Endpoint.code == "sao-do"))

    requests = [
        ("API, first page, no filter", "/api/v1/issues"),
        ("API, filtered first page (status + endpoint)", f"/api/v1/issues?status=assigned&endpoint_id={sao_do}"),
        ("API, filtered first page (overdue, due date order)", "/api/v1/issues?overdue=true&sort=due_on"),
        ("API, search 'dat dai hoang hoa tham'", "/api/v1/issues?q=dat+dai+hoang+hoa+tham"),
        ("API, search + filter", f"/api/v1/issues?q=duong+lien+thon&status=closed&endpoint_id={sao_do}"),
        ("API, search matching nothing", "/api/v1/issues?q=xyzw"),
        ("API, broad search 'dat' (a third of all issues)", "/api/v1/issues?q=dat"),
        ("API, page 100 of the unfiltered list", "/api/v1/issues?page=100"),
        ("page /issues, search", "/issues?q=dat+dai+hoang+hoa+tham"),
        ("API, summary per endpoint and agency (all issues)", "/api/v1/issues/summary"),
    ]
    print(f"Meeting Hub issue benchmark: {args.count:,} issues on {dialect} {version}")
    print(
        f"demo network in {setup_seconds:.1f} s; {args.count:,} issues generated and inserted in {fill_seconds:.1f} s"
    )
    print(f"{args.runs} timed runs per request after one warm-up (server time, in-process)")
    print(f"{'request':58} {'median':>9} {'slowest':>9}  matches")
    for label, path in requests:
        median, slowest, response = _time(client, path, args.runs)
        total = response.json.get("total", "") if response.is_json and isinstance(response.json, dict) else ""
        print(f"{label:58} {median:7.1f}ms {slowest:7.1f}ms  {total}")
    with app.app_context():
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
