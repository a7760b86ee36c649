"""Every page of every role, in Vietnamese and in English, passes axe-core and loads without a console error.

The pages are derived from the URL map and the access policy, with the demo's ids: a new page is walked as soon as
its route exists (a route whose arguments have no demo value fails the test until one is given below). Each walk
signs in once and reuses one browser page; axe-core runs the WCAG 2.0/2.1 A and AA rules and every critical or
serious violation fails, as does any console error, uncaught script error or subresource answered 4xx/5xx.
"""

from __future__ import annotations

import html
import itertools
import re
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from meeting_hub import create_app
from meeting_hub.accounts.models import User
from meeting_hub.accounts.policy import ROUTE_POLICY
from meeting_hub.accounts.roles import Role
from meeting_hub.bulletins.models import Bulletin, BulletinLink
from meeting_hub.follow_up.models import Issue, IssueCategory
from meeting_hub.network.models import Cell, Endpoint, Person
from meeting_hub.scheduling.models import BriefingSeries
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DIRECT,
    AxeViolation,
    DemoBriefings,
    LiveServer,
    csrf_token,
    run_axe,
    sign_in,
    watch_problems,
)

pytestmark = pytest.mark.browser

#: The demo account walked for each role; the operator is Sao Đỏ's, whose endpoint has an issue in the demo.
ACCOUNTS = {
    Role.ADMIN: "admin",
    Role.ORGANIZER: "organizer",
    Role.LEADER: "leader",
    Role.RESPONDER: "responder",
    Role.OPERATOR: "op-sao-do",
}
OPERATOR_ENDPOINT = "sao-do"

#: GET routes that are not pages a person reads, and why. The JSON API (blueprints `api_*`) is left out as a whole.
NOT_PAGES = {
    "static": "files",
    "health.healthz": "JSON for monitoring",
    "observability.metrics": "Prometheus metrics",
    "attendance.console_next": "JSON polled by the waiting page",
    "attendance.console_polls": "JSON the console reloads its polls from",
    "network.roster_template": "the roster template (CSV, XLSX)",
    "favicon.favicon": "the icon",
    "api-docs.openapi_json": "the OpenAPI document",
    "attendance.console_service_worker": "the console's service worker script",
    "calendar_feeds.personal_feed": "an iCalendar feed",
    "calendar_feeds.briefing_ics": "an iCalendar file",
    "materials.download": "the PDF itself",
    "materials.qr_svg": "an image (shown, with its text alternative, on the briefing page)",
    "materials.qr_png": "an image (shown on the print page)",
    "reports.minutes_pdf": "a PDF",
    "follow_up.attachment": "a PDF",
    "follow_up.notification_open": "marks a notification read and redirects to its page, walked on its own",
    "scheduling.series_preview": "JSON for the series form's preview",
    "bulletins.bulletin_pdf": "the PDF itself",
    "bulletins.bulletin_cover": "an image (shown, with its text alternative, on the bulletin's pages)",
    "bulletins.qr_code": "an image (shown on the bulletin's page)",
    "bulletin_infographic.chart": "an image file for print (SVG, PNG)",
    "bulletin_infographic.pdf": "a PDF",
    "bulletin_public.pdf": "the PDF itself",
    "bulletin_public.cover": "an image (shown on the public page)",
}
LANGUAGES = {"vi": "vi-VN", "en": "en-US"}
#: A path no route answers: the error page is a page too.
MISSING_PAGE = "/trang-khong-ton-tai"
#: A share link that was revoked (or mistyped): a working one downloads the PDF, this one is the page people see.
GONE_SHARE_PAGE = "/m/lien-ket-da-thu-hoi"
#: The pages that answer 404 on purpose.
NOT_FOUND_PAGES = {MISSING_PAGE, GONE_SHARE_PAGE}
LIVE_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class DemoIds:
    """The demo's ids that fill URL arguments, per argument name."""

    endpoint_id: int
    cell_id: int
    person_id: int
    agency_id: int
    user_id: int
    category_id: int
    series_id: int
    issues: list[tuple[int, int, int | None]]  # (issue id, endpoint id, agency id): one per status
    bulletin_id: int
    #: The path of the demo bulletin's public link (its public page).
    bulletin_share_path: str
    #: A draft poll of the live briefing (the poll form's edit page).
    poll_id: int


@pytest.fixture(scope="module")
def url_map_app(tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch) -> Flask:
    """An app built only for its URL map (the live server runs the same code)."""
    monkeypatch_module.setenv("MEETING_HUB_INSTANCE_PATH", str(tmp_path_factory.mktemp("url-map-instance")))
    return create_app({"TESTING": True, "SECRET_KEY": "url-map", "DATABASE_URL": "sqlite://"})


@pytest.fixture(scope="module")
def english_browser(browser: Browser) -> Iterator[Browser]:
    """The same Chromium started in English (--lang sets its own widgets' language, as on an English computer)."""
    english = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--lang=en-US"], headless=True
    )
    try:
        yield english
    finally:
        english.close()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    """A MonkeyPatch undone at the end of the module."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def demo_draft_poll(browser: Browser, live_server: LiveServer, demo_briefings: DemoBriefings) -> int:
    """Prepare a draft poll on the demo's live briefing as the organizer (the demo has none); return its id."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, live_server.url, ACCOUNTS[Role.ORGANIZER])
        response = page.request.post(
            f"{live_server.url}/api/v1/briefings/{demo_briefings.live_id}/polls",
            data={"question": "Câu hỏi thăm dò để kiểm tra trang?", "options": ["Có", "Không"], "kind": "named"},
            headers={"X-CSRFToken": csrf_token(page)},
        )
        assert response.status == 201, response.text()
        return int(response.json()["id"])
    finally:
        context.close()


@pytest.fixture(scope="module")
def demo_ids(live_server: LiveServer, demo_draft_poll: int) -> DemoIds:
    """Read the ids from the live server's database (read only, beside the server: SQLite in WAL mode)."""
    engine = sa.create_engine(live_server.env["MEETING_HUB_DATABASE_URL"])
    try:
        with Session(engine) as session:
            endpoint = session.scalars(sa.select(Endpoint).where(Endpoint.code == OPERATOR_ENDPOINT)).one()
            cell = session.scalars(sa.select(Cell).where(Cell.endpoint_id == endpoint.id).order_by(Cell.id)).first()
            person = session.scalars(sa.select(Person).join(Person.cell).where(Cell.endpoint_id == endpoint.id)).first()
            responder = session.scalars(sa.select(User).where(User.username == ACCOUNTS[Role.RESPONDER])).one()
            operator = session.scalars(sa.select(User).where(User.username == ACCOUNTS[Role.OPERATOR])).one()
            category_id = session.scalars(sa.select(IssueCategory.id).order_by(IssueCategory.id)).first()
            series_id = session.scalars(sa.select(BriefingSeries.id).order_by(BriefingSeries.id)).first()
            first_of_each_status = (
                sa.select(sa.func.min(Issue.id))
                .group_by(Issue.status)
                .union(sa.select(sa.func.min(Issue.id)).where(Issue.endpoint_id == endpoint.id))
            )
            bulletin = session.scalars(sa.select(Bulletin)).one()
            public_link = session.scalars(
                sa.select(BulletinLink).where(
                    BulletinLink.bulletin_id == bulletin.id,
                    BulletinLink.endpoint_id.is_(None),
                    BulletinLink.share_generation == bulletin.share_generation,
                )
            ).one()
            issues = session.execute(
                sa.select(Issue.id, Issue.endpoint_id, Issue.agency_id).where(Issue.id.in_(first_of_each_status))
            ).all()
            assert cell is not None and person is not None, "the demo's endpoint has no cell or no people"
            assert responder.agency_id and category_id and series_id, "the demo has no agency, category or series"
            return DemoIds(
                endpoint_id=endpoint.id,
                cell_id=cell.id,
                person_id=person.id,
                agency_id=responder.agency_id,
                user_id=operator.id,
                category_id=category_id,
                series_id=series_id,
                issues=[(row.id, row.endpoint_id, row.agency_id) for row in issues],
                bulletin_id=bulletin.id,
                bulletin_share_path=f"/b/{public_link.token}",
                poll_id=demo_draft_poll,
            )
    finally:
        engine.dispose()


def _argument_values(role: Role | None, ids: DemoIds, briefings: DemoBriefings) -> dict[str, list[int]]:
    """Return the values each URL argument takes for this role: objects the role may open."""
    if role == Role.OPERATOR:
        issues = [issue for issue, endpoint, _ in ids.issues if endpoint == ids.endpoint_id]
    elif role == Role.RESPONDER:
        issues = [issue for issue, _, agency in ids.issues if agency == ids.agency_id]
    else:
        issues = [issue for issue, _, _ in ids.issues]
    return {
        # The live briefing (console, dashboard, live controls) and the past one (minutes, issues, statistics).
        "briefing_id": [briefings.live_id, briefings.past_id],
        "endpoint_id": [ids.endpoint_id],
        "cell_id": [ids.cell_id],
        "person_id": [ids.person_id],
        "agency_id": [ids.agency_id],
        "user_id": [ids.user_id],
        "category_id": [ids.category_id],
        "series_id": [ids.series_id],
        "material_id": [briefings.material_id],
        "issue_id": issues,
        "bulletin_id": [ids.bulletin_id],
        "poll_id": [ids.poll_id],
    }


def _public_page_urls(briefings: DemoBriefings, ids: DemoIds) -> dict[str, str]:
    """The public pages whose URL carries a secret token: taken from the pages that show their links."""
    return {
        "materials.shared": GONE_SHARE_PAGE,
        "self_check_in.check_in_page": urlsplit(briefings.check_in_url).path,
        "self_check_in.self_answer_page": urlsplit(briefings.check_in_url).path + "/polls",
        "bulletin_public.shared": ids.bulletin_share_path,
    }


def _is_page(rule: Rule) -> bool:
    return "GET" in (rule.methods or set()) and rule.endpoint not in NOT_PAGES and not rule.endpoint.startswith("api_")


def _reaches(role: Role | None, endpoint: str) -> bool:
    """Tell whether the role (None: not signed in) opens this route; public pages are walked signed out only."""
    rule = ROUTE_POLICY[endpoint]
    return rule.public if role is None else (not rule.public and role in rule.roles)


def pages_for(
    app: Flask, role: Role | None, ids: DemoIds, briefings: DemoBriefings, *, every_variant: bool = True
) -> list[str]:
    """List the paths of every page this role can open, each argument filled with the demo's ids: every combination
    of them, or (every_variant=False) one path per route."""
    values = _argument_values(role, ids, briefings)
    if not every_variant:
        values = {name: choices[:1] for name, choices in values.items()}
    public_urls = _public_page_urls(briefings, ids)
    adapter = app.url_map.bind("localhost")
    paths: list[str] = []
    missing: list[str] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not _is_page(rule) or not _reaches(role, rule.endpoint):
            continue
        if rule.endpoint in public_urls:
            paths.append(public_urls[rule.endpoint])
            continue
        unknown = sorted(rule.arguments - values.keys())
        if unknown:
            missing.append(f"{rule.endpoint} {unknown}")
            continue
        names = sorted(rule.arguments)
        for combination in itertools.product(*(values[name] for name in names)):
            paths.append(adapter.build(rule.endpoint, dict(zip(names, combination, strict=True))))
    assert not missing, f"no demo value for these routes' arguments (add them to _argument_values): {missing}"
    return paths


def _set_language(page: Page, base_url: str, language: str) -> None:
    page.goto(f"{base_url}/profile")
    saved = page.request.post(
        f"{base_url}/profile/language", form={"csrf_token": csrf_token(page), "language": language}
    )
    assert saved.ok, saved.text()


def _settle(page: Page) -> str | None:
    """Wait until a live page (console, dashboard) has connected and drawn its snapshot; return what went wrong."""
    if page.locator("#connection").count() == 0:
        return None
    try:
        page.wait_for_selector("#connection[data-state=online]", timeout=LIVE_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        return f"the live page did not connect: {page.locator('#connection').inner_text()!r}"
    page.wait_for_load_state("networkidle")
    return None


@dataclass
class Findings:
    """What a walk found: axe violations grouped by rule and element (the header's links fail on every page at once,
    a list's rows fail together), and the other problems, page by page."""

    #: (rule, impact and summary, element's HTML) -> (an example selector, the pages)
    violations: dict[tuple[str, str, str], tuple[str, list[str]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add_violations(self, found: list[AxeViolation]) -> None:
        for violation in found:
            for selector, snippet in violation.nodes:
                key = (violation.rule, f"{violation.impact}: {violation.summary}", snippet)
                _, pages = self.violations.setdefault(key, (selector, []))
                if violation.page not in pages:
                    pages.append(violation.page)

    def report(self) -> str:
        """Describe every finding: rule, element, pages; then the other problems."""
        lines = [
            f"{rule} [{impact}]\n    element {html} ({selector})\n    on {len(pages)} pages: {', '.join(pages[:6])}"
            + (" ..." if len(pages) > 6 else "")
            for (rule, impact, html), (selector, pages) in sorted(self.violations.items())
        ]
        return "\n".join([*lines, *self.problems])

    def __bool__(self) -> bool:
        return bool(self.violations or self.problems)


def _walk(page: Page, base_url: str, paths: list[str], findings: Findings) -> None:
    """Visit each path, run axe and collect every problem found, each naming its page."""
    problems = watch_problems(page)
    for path in paths:
        response = page.goto(f"{base_url}{path}")
        assert response is not None
        not_settled = _settle(page)
        if not_settled:
            findings.problems.append(f"{path}: {not_settled}")
        expected_status = 404 if path in NOT_FOUND_PAGES else 200
        if response.status != expected_status:
            findings.problems.append(f"{path}: answered {response.status}, expected {expected_status}")
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/html"):
            findings.problems.append(f"{path}: {content_type} is not a page (list the route in NOT_PAGES)")
            continue
        findings.add_violations(run_axe(page, path))
        findings.problems.extend(f"{path}: {problem}" for problem in problems.take())


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("role", [None, *ACCOUNTS], ids=lambda role: role.value if role else "signed-out")
def test_every_page_is_accessible_and_clean(
    browser: Browser,
    english_browser: Browser,
    live_server: LiveServer,
    url_map_app: Flask,
    demo_ids: DemoIds,
    demo_briefings: DemoBriefings,
    role: Role | None,
    language: str,
) -> None:
    base_url = live_server.url
    # In English, one page per route: the second language checks wording and formats, not each object again.
    paths = pages_for(url_map_app, role, demo_ids, demo_briefings, every_variant=language == "vi")
    # Operators work from a phone: their pages are checked at phone size (what shows there differs from a desktop).
    phone = role == Role.OPERATOR
    context = (english_browser if language == "en" else browser).new_context(
        locale=LANGUAGES[language],
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": 360, "height": 740} if phone else {"width": 1280, "height": 900},
        is_mobile=phone,
        has_touch=phone,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        if role is None:
            # The sign-in page's own switch sets the language of the signed-out pages.
            page.goto(f"{base_url}/sign-in?lang={language}")
            paths = [*paths, MISSING_PAGE]
            # A working share link is the PDF itself, for anyone who has the link.
            shared = page.request.get(demo_briefings.share_url)
            assert shared.ok and shared.headers["content-type"] == "application/pdf", shared.headers
        else:
            sign_in(page, base_url, ACCOUNTS[role])
            if language != "vi":
                _set_language(page, base_url, language)
            paths = ["/", *[path for path in paths if path != "/"], MISSING_PAGE]
        findings = Findings()
        _walk(page, base_url, paths, findings)
        if role is None:
            _sign_in_with_errors(page, base_url, findings)
    finally:
        if role is not None and language != "vi":
            _set_language(page, base_url, "vi")  # the other browser tests sign in to a Vietnamese interface
        context.close()
    assert not findings, f"{len(paths)} pages walked, these fail:\n{findings.report()}"


def _sign_in_with_errors(page: Page, base_url: str, findings: Findings) -> None:
    """Submit the sign-in form empty: the messages of a refused form must be as readable as the form."""
    problems = watch_problems(page)
    page.goto(f"{base_url}/sign-in")
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    findings.add_violations(run_axe(page, "/sign-in (refused)"))
    findings.problems.extend(f"/sign-in (refused): {problem}" for problem in problems.take())


def _icon_of(page_html: str, page_url: str) -> str | None:
    """Return the URL of the page's icon: its <link rel="icon">, else the /favicon.ico browsers ask for; None for an
    inline (data:) icon."""
    for tag in re.findall(r"<link\b[^>]*>", page_html):
        rel = re.search(r'\brel="([^"]*)"', tag)
        href = re.search(r'\bhref="([^"]*)"', tag)
        if rel and href and "icon" in rel.group(1).split():
            target = html.unescape(href.group(1))
            return None if target.startswith("data:") else urljoin(page_url, target)
    return urljoin(page_url, "/favicon.ico")


def test_every_page_has_an_icon_that_loads(
    browser: Browser, live_server: LiveServer, url_map_app: Flask, demo_ids: DemoIds, demo_briefings: DemoBriefings
) -> None:
    """No page makes the browser ask for an icon that is not there (a 404 in every server log, on every page)."""
    base_url = live_server.url
    icons: dict[str, list[str]] = {}
    for role in [None, *ACCOUNTS]:
        context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
        try:
            page = context.new_page()
            if role is not None:
                sign_in(page, base_url, ACCOUNTS[role])
            for path in pages_for(url_map_app, role, demo_ids, demo_briefings, every_variant=False):
                response = page.request.get(f"{base_url}{path}")
                if response.headers.get("content-type", "").startswith("text/html"):
                    icon = _icon_of(response.text(), response.url)
                    if icon and path not in icons.setdefault(icon, []):
                        icons[icon].append(path)
        finally:
            context.close()
    missing = []
    for icon, paths in sorted(icons.items()):
        try:
            with DIRECT.open(icon, timeout=10) as answer:  # icons are public: browsers ask without the session
                kind = answer.headers.get("Content-Type", "")
                status = answer.status
        except urllib.error.HTTPError as error:
            kind, status = error.headers.get("Content-Type", ""), error.code
        if status != 200 or not kind.startswith("image/"):
            missing.append(f"{icon}: {status} {kind}, asked by {len(paths)} pages, e.g. {paths[:4]}")
    assert not missing, "icons that do not load:\n" + "\n".join(missing)


def test_the_gate_sees_a_violation_a_console_error_a_script_error_and_a_missing_file(
    browser: Browser, live_server: LiveServer
) -> None:
    """The walk's own instruments: each kind of problem it must report is reported."""
    context = browser.new_context(locale="vi-VN")
    try:
        page = context.new_page()
        problems = watch_problems(page)
        page.goto(f"{live_server.url}/sign-in")
        page.evaluate(
            """() => {
                const faint = document.createElement("p");
                faint.textContent = "Chữ mờ khó đọc";
                faint.style.color = "#bbbbbb";
                document.querySelector("main").append(faint);
                const image = document.createElement("img");
                image.src = "/static/khong-co-tep-nay.png";
                image.alt = "";
                document.body.append(image);
                console.error("lỗi thử");
                setTimeout(() => { throw new Error("lỗi kịch bản thử"); });
            }"""
        )
        page.wait_for_load_state("networkidle")
        assert [violation.rule for violation in run_axe(page)] == ["color-contrast"]
        found = "\n".join(problems.take())
        assert "console error: lỗi thử" in found
        assert "uncaught error: lỗi kịch bản thử" in found
        assert "404 on image" in found and "khong-co-tep-nay.png" in found
    finally:
        context.close()
