"""The Chí Linh demo: 19 endpoints with their cells and secretaries, agencies, and the demo accounts.

Names are data, generated deterministically, so every run of `meeting-hub demo` gives the same network.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.contact_details import ContactChange
from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance import services as attendance
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus, CheckInVia, LinkStatus
from meeting_hub.bulletins import links as bulletin_links
from meeting_hub.bulletins import services as bulletins
from meeting_hub.bulletins.models import Bulletin
from meeting_hub.bulletins.sample import sample_bulletin_pdf
from meeting_hub.clock import local_datetime, local_today
from meeting_hub.database import utcnow
from meeting_hub.event_log.models import BriefingEvent
from meeting_hub.extensions import db
from meeting_hub.follow_up import services as follow_up
from meeting_hub.network import services as network
from meeting_hub.network.models import Agency, Cell, CellKind, Endpoint, EndpointKind, Person, PersonRole
from meeting_hub.scheduling import holidays, lifecycle
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing, BriefingSeries
from meeting_hub.scheduling.recurrence import MonthlyRule, add_months
from meeting_hub.scheduling.services import DEFAULT_SERIES_TITLE

DEMO_PASSWORD = accounts.DEMO_PASSWORD

#: The 19 endpoints of Chí Linh as of 2022 (Resolution 623/NQ-UBTVQH14): (code, name, kind).
ENDPOINTS: list[tuple[str, str, EndpointKind]] = [
    ("sao-do", "Sao Đỏ", EndpointKind.WARD),
    ("pha-lai", "Phả Lại", EndpointKind.WARD),
    ("ben-tam", "Bến Tắm", EndpointKind.WARD),
    ("chi-minh", "Chí Minh", EndpointKind.WARD),
    ("cong-hoa", "Cộng Hòa", EndpointKind.WARD),
    ("hoang-tan", "Hoàng Tân", EndpointKind.WARD),
    ("thai-hoc", "Thái Học", EndpointKind.WARD),
    ("van-an", "Văn An", EndpointKind.WARD),
    ("dong-lac", "Đồng Lạc", EndpointKind.WARD),
    ("tan-dan", "Tân Dân", EndpointKind.WARD),
    ("an-lac", "An Lạc", EndpointKind.WARD),
    ("van-duc", "Văn Đức", EndpointKind.WARD),
    ("co-thanh", "Cổ Thành", EndpointKind.WARD),
    ("hoang-tien", "Hoàng Tiến", EndpointKind.WARD),
    ("bac-an", "Bắc An", EndpointKind.COMMUNE),
    ("hoang-hoa-tham", "Hoàng Hoa Thám", EndpointKind.COMMUNE),
    ("hung-dao", "Hưng Đạo", EndpointKind.COMMUNE),
    ("le-loi", "Lê Lợi", EndpointKind.COMMUNE),
    ("nhan-hue", "Nhân Huệ", EndpointKind.COMMUNE),
]

_PLACE_NAMES = [
    "Đông Xá",
    "Tây Sơn",
    "Hàn Giang",
    "Kiệt Thượng",
    "Kiệt Đoài",
    "Tiên Sơn",
    "Văn Giang",
    "Chi Ngại",
    "Phao Sơn",
    "Côn Sơn",
    "Kiếp Bạc",
    "Mật Sơn",
    "Đồng Tâm",
    "Trúc Thôn",
    "Thạch Thủy",
    "Ninh Chấp",
    "Ao Cá",
    "Tân Tiến",
    "Hòa Bình",
    "Thống Nhất",
    "Quyết Thắng",
    "Chiến Thắng",
    "Đoàn Kết",
    "Trại Thượng",
    "Trại Hạ",
    "Nhân Hưng",
    "Đại Bát",
    "Lục Đầu",
    "Bích Nham",
    "Dọc Bá",
    "Đồng Châu",
    "Thanh Mai",
    "Vạn Kiếp",
    "Trung Quê",
    "An Bài",
    "Hố Đá",
    "Khê Khẩu",
    "Lôi Động",
    "Mạc Động",
    "Tường Sơn",
]
_FAMILY_NAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Phan"]
_MALE_MIDDLE = ["Văn", "Đức", "Minh", "Hữu", "Quang", "Xuân", "Công"]
_FEMALE_MIDDLE = ["Thị", "Thu", "Ngọc", "Thanh", "Thị Hồng"]
_MALE_GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Khánh",
    "Long",
    "Nam",
    "Quân",
    "Sơn",
    "Thắng",
    "Tuấn",
    "Việt",
]
_FEMALE_GIVEN = ["Hạnh", "Hương", "Lan", "Mai", "Nga", "Phương", "Thảo", "Yến", "Huệ", "Loan"]

AGENCIES = [
    "Phòng Tài nguyên và Môi trường",
    "Phòng Quản lý đô thị",
    "Phòng Lao động - Thương binh và Xã hội",
    "Phòng Kinh tế",
    "Công an thành phố Chí Linh",
    "Ban Tổ chức Thành ủy",
    "UBND phường Sao Đỏ",
    "UBND xã Hoàng Hoa Thám",
]

STAFF_ACCOUNTS = [
    ("admin", "Quản trị hệ thống", Role.ADMIN),
    ("organizer", "Nguyễn Thị Thu Hà", Role.ORGANIZER),
    ("leader", "Trần Văn Hùng", Role.LEADER),
    ("responder", "Phạm Minh Tuấn", Role.RESPONDER),
]
RESPONDER_AGENCY = "Phòng Tài nguyên và Môi trường"
#: Contact details of the demo accounts, on example.vn (reserved: no mail ever reaches anyone); username -> e-mail,
#: phone, channels. Operators not listed get an address from their endpoint's code (DEMO_MAIL_DOMAIN).
DEMO_MAIL_DOMAIN = "example.vn"
STAFF_CONTACTS: dict[str, tuple[str | None, str | None, list[str]]] = {
    "admin": (f"quantri@{DEMO_MAIL_DOMAIN}", None, ["email"]),
    "organizer": (f"thuha.btg@{DEMO_MAIL_DOMAIN}", "0912 345 678", ["email", "zalo"]),
    "leader": (f"tranvanhung@{DEMO_MAIL_DOMAIN}", "0983 456 789", ["email", "sms"]),
    "responder": (f"phongtnmt@{DEMO_MAIL_DOMAIN}", None, ["email"]),
}
#: Endpoints whose cell secretaries get briefing reminders by SMS and Zalo in the demo.
SECRETARY_REMINDER_ENDPOINTS = ("sao-do", "hoang-hoa-tham")
#: One secretary of this endpoint has an office landline, which no SMS or Zalo message reaches.
LANDLINE_SECRETARY_ENDPOINT = "sao-do"
LANDLINE_PHONE = "0220 3882 123"


class DemoRefused(Exception):
    """The database holds real data; the demo will not touch it."""


def has_users() -> bool:
    """Tell whether the database has any user account."""
    return db.session.scalar(sa.select(sa.func.count(User.id))) != 0


def demo_usernames() -> set[str]:
    """Return the usernames the demo creates."""
    return {username for username, _name, _role in STAFF_ACCOUNTS} | {f"op-{code}" for code, _n, _k in ENDPOINTS}


def random_person_name(rng: random.Random) -> str:
    """Return a plausible Vietnamese full name."""
    if rng.random() < 0.7:
        return f"{rng.choice(_FAMILY_NAMES)} {rng.choice(_MALE_MIDDLE)} {rng.choice(_MALE_GIVEN)}"
    return f"{rng.choice(_FAMILY_NAMES)} {rng.choice(_FEMALE_MIDDLE)} {rng.choice(_FEMALE_GIVEN)}"


def load_demo(*, require_password_change: bool = False) -> list[str]:
    """Load (or complete) the demo; refuse a database with users the demo did not create. The caller commits.

    Demo accounts share a published password: loaded on purpose (`meeting-hub demo`) they keep it; loaded
    automatically by a setup script (`--if-empty`), each must replace it at its first sign-in.
    """
    foreign = sorted(set(db.session.scalars(sa.select(User.username))) - demo_usernames())
    if foreign:
        raise DemoRefused(
            "Cơ sở dữ liệu đã có người dùng không thuộc dữ liệu demo "
            f"({', '.join(foreign[:5])}{', ...' if len(foreign) > 5 else ''}): không ghi gì."
        )
    follow_up.seed_default_categories()  # the migration seeds them; a database made with create_all has none
    endpoints = _load_endpoints()
    cells, people = _load_cells_and_people(endpoints)
    agencies = _load_agencies(endpoints)
    users = _load_accounts(endpoints, agencies, require_password_change)
    report = [
        f"Điểm cầu: {len(endpoints)}, chi bộ: {cells}, người: {people}, cơ quan: {len(agencies)}, tài khoản: {users}.",
    ]
    seeded = holidays.seed_official_holidays(local_today().year, holidays.DEFAULT_SEED_YEARS)
    report.append(f"Ngày lễ, Tết: đã thêm {len(seeded)} ngày.")
    report.extend(_load_briefings())
    report.extend(_load_bulletin())
    report.append(f"Mật khẩu của mọi tài khoản demo: {DEMO_PASSWORD}")
    if require_password_change:
        report.append("Mỗi tài khoản demo phải đổi mật khẩu ở lần đăng nhập đầu tiên.")
    return report


def _load_endpoints() -> dict[str, Endpoint]:
    existing = {endpoint.code: endpoint for endpoint in db.session.scalars(sa.select(Endpoint))}
    for code, name, kind in ENDPOINTS:
        if code not in existing:
            channels = ["sms", "zalo"] if code in SECRETARY_REMINDER_ENDPOINTS else []
            existing[code] = network.create_endpoint(
                network.EndpointData(code=code, name=name, kind=kind, secretary_channels=channels), None
            )
    return {code: existing[code] for code, _name, _kind in ENDPOINTS}


def _load_cells_and_people(endpoints: dict[str, Endpoint]) -> tuple[int, int]:
    n_cells = n_people = 0
    for code, endpoint in endpoints.items():
        rng = random.Random(f"meeting-hub-demo-{code}")
        places = rng.sample(_PLACE_NAMES, rng.randint(8, 12))
        prefix, kind = (
            ("Khu dân cư", CellKind.RESIDENTIAL_AREA)
            if endpoint.kind == EndpointKind.WARD
            else ("Thôn", CellKind.VILLAGE)
        )
        existing_cells = {cell.name: cell for cell in endpoint.cells}
        for place in places:
            name = f"{prefix} {place}"
            cell = existing_cells.get(name) or network.create_cell(endpoint, name, kind, None)
            n_cells += 1
            roles = [PersonRole.SECRETARY] + ([PersonRole.DEPUTY] if rng.random() < 0.4 else [])
            for role in roles:
                full_name = random_person_name(rng)
                phone = f"09{rng.randint(10_000_000, 99_999_999)}"
                if code == LANDLINE_SECRETARY_ENDPOINT and place == places[0] and role == PersonRole.SECRETARY:
                    phone = LANDLINE_PHONE  # the roster page marks the secretary no text message reaches
                exists = db.session.scalar(
                    sa.select(Person.id).where(Person.cell_id == cell.id, Person.full_name == full_name)
                )
                if exists is None:
                    network.create_person(network.PersonData(cell.id, full_name, role, phone), None)
                n_people += 1
    return n_cells, n_people


def _load_agencies(endpoints: dict[str, Endpoint]) -> dict[str, Agency]:
    existing = {agency.name: agency for agency in db.session.scalars(sa.select(Agency))}
    local = {"UBND phường Sao Đỏ": endpoints["sao-do"].id, "UBND xã Hoàng Hoa Thám": endpoints["hoang-hoa-tham"].id}
    for name in AGENCIES:
        if name not in existing:
            existing[name] = network.create_agency(network.AgencyData(name=name, endpoint_id=local.get(name)), None)
    return existing


def _load_accounts(endpoints: dict[str, Endpoint], agencies: dict[str, Agency], require_password_change: bool) -> int:
    existing = set(db.session.scalars(sa.select(User.username)))
    wanted: list[accounts.UserData] = [
        accounts.UserData(
            username=username,
            display_name=display_name,
            role=role,
            agency_id=agencies[RESPONDER_AGENCY].id if role == Role.RESPONDER else None,
            password=DEMO_PASSWORD,
            must_change_password=require_password_change,
        )
        for username, display_name, role in STAFF_ACCOUNTS
    ]
    for data in wanted:
        email, phone, channels = STAFF_CONTACTS[data.username]
        data.contacts = ContactChange(email=email, phone=phone, channels=channels)
    for index, (code, endpoint) in enumerate(endpoints.items()):
        wanted.append(
            accounts.UserData(
                username=f"op-{code}",
                display_name=f"Cán bộ điểm cầu {endpoint.name}",
                role=Role.OPERATOR,
                endpoint_id=endpoint.id,
                password=DEMO_PASSWORD,
                must_change_password=require_password_change,
                contacts=_operator_contacts(code, index),
            )
        )
    for data in wanted:
        if data.username not in existing:
            accounts.create_user(data, None).demo_account = True
    return len(wanted)


def _operator_contacts(code: str, index: int) -> ContactChange:
    """Give an operator an office address; every other one a mobile number too, some of them choosing Zalo or SMS."""
    email = f"vanphong.{code.replace('-', '')}@{DEMO_MAIL_DOMAIN}"
    if index % 2:
        return ContactChange(email=email, channels=["email"])
    phone = f"09{(73_318_000 + index * 1_234_567) % 100_000_000:08d}"
    return ContactChange(email=email, phone=phone, channels=["email", "zalo" if index % 4 else "sms"])


DEMO_SERIES_RULE = MonthlyRule(weekday=1, week=2)  # the 2nd Tuesday of the month
DEMO_AGENDA = [
    ("Thông tin thời sự, chính trị nổi bật trong tháng", "Ban Tuyên giáo Thành ủy", 30),
    ("Định hướng công tác tuyên truyền tháng tới", "Trưởng Ban Tuyên giáo Thành ủy", 30),
    ("Ý kiến, kiến nghị của các điểm cầu", "Bí thư chi bộ các thôn, khu dân cư", 45),
    ("Kết luận", "Lãnh đạo Thành ủy", 15),
]


def _load_briefings(now: datetime | None = None) -> list[str]:
    """Add the monthly series with one past (ended) briefing and one upcoming, unless it exists."""
    if db.session.scalar(sa.select(BriefingSeries.id).where(BriefingSeries.title == DEFAULT_SERIES_TITLE)):
        return []
    now = now or utcnow()
    today = local_today(now)
    # Start the series in the last month whose occurrence is already past: one past, one upcoming.
    month = today.replace(day=1)
    if DEMO_SERIES_RULE.date_in(month.year, month.month) >= today:
        month = add_months(month, -1)
    organizer = db.session.scalars(sa.select(User).where(User.username == "organizer")).one()
    series = scheduling.schedule_series(
        scheduling.SeriesData(
            title=DEFAULT_SERIES_TITLE,
            rule=DEMO_SERIES_RULE,
            start_time=time(8, 0),
            duration_minutes=120,
            first_month=month,
            months=2,
            video_link="https://hop.chilinh.vn/giao-ban-tuyen-giao",
            room="Hội trường Thành ủy Chí Linh",
        ),
        organizer,
        now,
    )
    agenda = [scheduling.AgendaItemData(title, presenter, minutes) for title, presenter, minutes in DEMO_AGENDA]
    for briefing in series.briefings:
        scheduling.update_briefing(briefing, scheduling.BriefingData(agenda=agenda), organizer)
    past = series.briefings[0]
    lifecycle.open_briefing(past, organizer)
    _load_attendance(past)
    # The demo's roll-call leaves a few people unrecorded, as a real one does: the organizer confirms closing anyway.
    lifecycle.close_briefing(past, organizer, confirm_unrecorded=lifecycle.unrecorded_count(past))
    past.status_changed_at = past.ends_at
    issues = _load_issues(past, now)
    return [
        f"Chuỗi giao ban: {len(series.briefings)} buổi (một đã diễn ra, một sắp tới).",
        f"Ý kiến, kiến nghị tại buổi đã diễn ra: {issues}.",
    ]


def _load_bulletin() -> list[str]:
    """Publish the bulletin of the past briefing's month (a PDF drawn at seed time), with a few receipts and opens."""
    past = db.session.scalars(
        sa.select(Briefing)
        .join(BriefingSeries)
        .where(BriefingSeries.title == DEFAULT_SERIES_TITLE)
        .order_by(Briefing.starts_at)
        .limit(1)
    ).first()
    if past is None or db.session.scalar(sa.select(Bulletin.id).where(Bulletin.briefing_id == past.id)):
        return []
    month = (past.series_month or local_today()).replace(day=1)
    if db.session.scalar(sa.select(Bulletin.id).where(Bulletin.month == month)):
        return []
    organizer = db.session.scalars(sa.select(User).where(User.username == "organizer")).one()
    title = bulletins.default_title(month)
    content = sample_bulletin_pdf(title, month.strftime("%m/%Y"), "Ban Tuyên giáo Thành ủy Chí Linh")
    bulletin = bulletins.create_bulletin(
        month, title, bulletins.BulletinUpload("thong-tin-tuyen-giao.pdf", content), organizer, past.id
    )
    bulletins.publish(bulletin, organizer)
    # Published before the earliest demo open (opens are counted per day, from today back).
    first_day = local_today() - timedelta(days=max(len(opens) for opens in DEMO_BULLETIN_OPENS.values()))
    bulletin.published_at = local_datetime(first_day, time(9))
    for code, opens in DEMO_BULLETIN_OPENS.items():
        operator = db.session.scalars(sa.select(User).where(User.username == f"op-{code}")).one()
        bulletins.confirm_receipt(bulletin, operator)
        link = bulletin_links.link_for(bulletin, operator.endpoint_id)
        assert link is not None
        for days_ago, count in enumerate(opens):
            for _n in range(count):
                bulletin_links.count_open(
                    link, method="GET", user_agent="Mozilla/5.0 (demo)", day=local_today() - timedelta(days=days_ago)
                )
    public = bulletin_links.link_for(bulletin)
    assert public is not None
    for _n in range(4):
        bulletin_links.count_open(public, method="GET", user_agent="Mozilla/5.0 (demo)")
    return [f"Bản tin: “{title}” đã phát hành."]


#: Endpoints whose operators confirmed the demo bulletin, with the opens of their link today, yesterday, ...
DEMO_BULLETIN_OPENS: dict[str, list[int]] = {"sao-do": [5, 12, 3], "hoang-hoa-tham": [2, 6], "pha-lai": [0, 1]}


#: The issues raised at the demo's past briefing: (endpoint code, category, title, content, agency, what happened).
#: The demo's one responder answers for Phòng Tài nguyên và Môi trường, so the answered ones go there.
DEMO_ISSUES: list[tuple[str, str, str, str, str | None, str]] = [
    (
        "hoang-hoa-tham",
        "dat-dai",
        "Lấn chiếm đất nông nghiệp ở thôn Đông Xá",
        "Một số hộ san lấp ruộng để làm nhà xưởng, đề nghị kiểm tra, xử lý.",
        RESPONDER_AGENCY,
        "closed",
    ),
    (
        "sao-do",
        "moi-truong",
        "Khói bụi từ cơ sở sản xuất gạch ở khu dân cư Hàn Giang",
        "Người dân phản ánh khói bụi vào buổi tối, ảnh hưởng sức khỏe.",
        RESPONDER_AGENCY,
        "answered",
    ),
    (
        "pha-lai",
        "moi-truong",
        "Rác thải tồn đọng ven đường liên khu",
        "Rác không được thu gom hơn một tuần.",
        RESPONDER_AGENCY,
        "overdue",
    ),
    (
        "hoang-hoa-tham",
        "dat-dai",
        "Cấp giấy chứng nhận quyền sử dụng đất chậm",
        "Hồ sơ nộp từ đầu năm đến nay chưa có kết quả.",
        RESPONDER_AGENCY,
        "returned",
    ),
    (
        "bac-an",
        "chinh-sach-xa-hoi",
        "Chậm chi trả trợ cấp cho người có công",
        "",
        "Phòng Lao động - Thương binh và Xã hội",
        "assigned",
    ),
    (
        "chi-minh",
        "ha-tang-giao-thong",
        "Đường nội khu dân cư xuống cấp, nhiều ổ gà",
        "",
        "Phòng Quản lý đô thị",
        "assigned",
    ),
    ("cong-hoa", "an-ninh-trat-tu", "Trộm cắp vặt tăng ở khu dân cư", "", None, "new"),
    ("van-an", "xay-dung-dang", "Kiến nghị tài liệu sinh hoạt chi bộ hằng tháng", "", None, "withdrawn"),
]


def _load_issues(past: Briefing, now: datetime) -> int:
    """Raise the demo issues at the past briefing and take each through its steps, at plausible times."""
    users = {u.username: u for u in db.session.scalars(sa.select(User).where(User.username.in_(demo_usernames())))}
    agencies = {agency.name: agency for agency in db.session.scalars(sa.select(Agency))}
    endpoints = {endpoint.code: endpoint for endpoint in db.session.scalars(sa.select(Endpoint))}
    organizer, leader, responder = users["organizer"], users["leader"], users["responder"]
    # Every step between the briefing and now, so the next briefing's report-back lists the answers.
    assigned_at = past.ends_at + timedelta(hours=1)
    answered_at = assigned_at + (now - assigned_at) / 2
    reviewed_at = answered_at + (now - answered_at) / 2
    for n, (code, category, title, content, agency_name, outcome) in enumerate(DEMO_ISSUES, start=1):
        data = follow_up.IssueData(
            endpoint_id=endpoints[code].id,
            category=category,
            title=title,
            content=content,
            client_op_id=f"demo-{n:04d}",
        )
        issue = follow_up.raise_issue(past, data, organizer, now=past.starts_at + timedelta(minutes=40 + n)).issue
        if outcome == "withdrawn":
            follow_up.withdraw_issue(issue, "Trùng với ý kiến đã trả lời tại buổi trước.", organizer, now=assigned_at)
        if agency_name is None:
            continue
        # One overdue (due the day it was given); the others due a week from today, whenever the demo is loaded.
        due_on = local_today(assigned_at) if outcome == "overdue" else local_today(now) + timedelta(days=7)
        follow_up.assign_issue(issue, agencies[agency_name].id, due_on, leader, now=assigned_at)
        if outcome in ("answered", "closed", "returned"):
            answer = "Đã kiểm tra thực địa, lập biên bản và yêu cầu khắc phục trong tháng."
            follow_up.answer_issue(issue, answer, responder, now=answered_at)
        if outcome == "closed":
            follow_up.close_issue(issue, leader, "Đồng ý với kết quả xử lý.", now=reviewed_at)
        if outcome == "returned":
            follow_up.return_issue(issue, "Đề nghị nêu rõ thời hạn cấp giấy cho từng hộ.", leader, now=reviewed_at)
    return len(DEMO_ISSUES)


#: Why the absent were away, as operators note it.
_ABSENCE_NOTES = ["Ốm", "Đi công tác", "Việc gia đình", "Đi viện chăm người nhà", ""]
#: The link trouble of the past briefing: (endpoint code, [(status, minutes after the start)]).
DEMO_LINK_TROUBLE: list[tuple[str, list[tuple[LinkStatus, int]]]] = [
    ("hoang-hoa-tham", [(LinkStatus.DEGRADED, 12), (LinkStatus.DOWN, 20), (LinkStatus.CONNECTED, 31)]),
    ("le-loi", [(LinkStatus.DEGRADED, 47), (LinkStatus.CONNECTED, 55)]),
    ("nhan-hue", [(LinkStatus.DOWN, 95)]),
]


def _load_attendance(past: Briefing) -> None:
    """Take the past briefing's roll-call as its operators would have (at plausible times), with some link trouble.

    The roster existed before that briefing: the people's creation time is set back to before it.
    """
    users = {u.endpoint_id: u for u in db.session.scalars(sa.select(User).where(User.role == Role.OPERATOR))}
    start = past.starts_at
    db.session.execute(
        sa.update(Person).where(Person.created_at > start).values(created_at=start - timedelta(days=365))
    )
    rows = db.session.execute(
        sa.select(Person, Cell.endpoint_id).join(Person.cell).order_by(Cell.endpoint_id, Person.id)
    ).all()
    for person, endpoint_id in rows:
        rng = random.Random(f"meeting-hub-demo-attendance-{person.full_name}-{person.id}")
        roll = rng.random()
        note, substitute = "", ""
        if roll < 0.02:
            continue  # never checked in
        if roll < 0.08:
            status = AttendanceStatus.ABSENT
            note = rng.choice(_ABSENCE_NOTES[2:])
        elif roll < 0.16:
            status, note = AttendanceStatus.EXCUSED, rng.choice(_ABSENCE_NOTES[:4])
        elif roll < 0.26:
            status, note = AttendanceStatus.LATE, rng.choice(["Đường ngập", "Mất điện đầu giờ", ""])
        else:
            status = AttendanceStatus.PRESENT
            if roll > 0.97:
                substitute = random_person_name(rng)
        operator = users.get(endpoint_id)
        attendance.write_record(past, person, endpoint_id, status, note, substitute, CheckInVia.OPERATOR, operator)
    db.session.flush()
    minutes_in = {AttendanceStatus.PRESENT: 3, AttendanceStatus.LATE: 18}
    for record in db.session.scalars(sa.select(AttendanceRecord).where(AttendanceRecord.briefing_id == past.id)):
        record.recorded_at = start + timedelta(minutes=minutes_in.get(record.status, 25), seconds=record.person_id)
    endpoints = {endpoint.code: endpoint for endpoint in db.session.scalars(sa.select(Endpoint))}
    for code, changes in DEMO_LINK_TROUBLE:
        operator = users[endpoints[code].id]
        for link_status, minutes in changes:
            event = attendance.set_link_status(past, link_status, operator)
            db.session.flush()
            db.session.execute(
                sa.update(BriefingEvent)
                .where(BriefingEvent.briefing_id == past.id, BriefingEvent.seq == event["seq"])
                .values(created_at=start + timedelta(minutes=minutes))
            )
