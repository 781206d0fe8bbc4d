"""End-to-end browser tests: headless Chromium (Debian's, via Playwright's sync API) against a live server.

One browser per module, owned by a worker thread (see :class:`BrowserThread` for why); every test
gets a fresh browser context, so no cookies carry over. Seed data is created on pytest-asyncio's
loop before the test body starts: users with the account service, cases, people and steps with the
HTTP API of ``live_server``. Each test then submits a scenario ``f(page, seed)`` to the browser thread.
Screenshots go to ``/tmp/shots`` (``failure-<scenario>.png`` when a scenario fails).
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Playwright, expect, sync_playwright

from helpers import OTHER_PROCURATORATE, PASSWORD, PROSECUTORATE, auth, make_user, resident_id
from juvenile_justice.domain.accounts import service as accounts
from juvenile_justice.lib.clock import today_china

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
SHOTS = Path("/tmp/shots")  # noqa: S108 - screenshots for people to look at, nothing secret
T = TypeVar("T")
CALL_TIMEOUT_S = 180
"""Upper bound for one scenario on the browser thread (Playwright's own timeouts are 5-10 s)."""
Browse = Callable[..., None]
"""``browse(scenario, *args)``: run ``scenario(page, *args)`` in a fresh context on the browser thread."""

THEFT = {
    "case_type": "juvenile_suspect",
    "title": "张某某盗窃案",
    "offense_date": "2021-03-02",
    "received_on": "2021-03-10",
    "charges": [{"name": "盗窃罪", "article": "264"}],
}
ROBBERY = {
    "case_type": "juvenile_victim",
    "title": "李某某抢劫案",
    "offense_date": "2021-04-01",
    "received_on": "2021-04-08",
    "charges": [{"name": "抢劫罪", "article": "263"}],
}
SUSPECT_NAME = "欧阳娜娜"
SUSPECT_ID = resident_id(date(2005, 6, 1), male=False)  # 15 at the offence


@dataclass(frozen=True)
class Seed:
    """What the ``seed`` fixture created."""

    theft: dict
    robbery: dict
    other_unit_case: dict


class BrowserThread:
    """Playwright's sync API on a thread of its own.

    Between sync calls Playwright marks its private event loop as *running* on the calling thread
    (playwright/_impl/_greenlets.py), and pytest-asyncio then refuses to run any async fixture on
    that thread ("Runner.run() cannot be called from a running event loop"). So Playwright lives on
    one worker thread for the module, and each test's browser steps are submitted to that thread.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the Playwright thread; its exceptions are re-raised here."""
        return self._pool.submit(fn, *args).result(timeout=CALL_TIMEOUT_S)

    def start(self) -> None:
        def launch() -> None:
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        self.call(launch)

    def stop(self) -> None:
        def close() -> None:
            if self._browser is not None:
                self._browser.close()
            if self._playwright is not None:
                self._playwright.stop()

        try:
            self.call(close)
        finally:
            self._pool.shutdown(wait=True)

    def in_new_page(self, base_url: str, scenario: Callable[..., None], *args: Any) -> None:
        """Run ``scenario(page, *args)`` in a fresh context (no cookies) on the Playwright thread.

        Console errors and uncaught page errors fail the test; on failure a screenshot is saved
        to /tmp/shots/failure-<scenario>.png.
        """

        def run() -> None:
            assert self._browser is not None
            context = self._browser.new_context(
                base_url=base_url, locale="zh-CN", viewport={"width": 1200, "height": 800}
            )
            context.set_default_timeout(10_000)
            page = context.new_page()
            problems: list[str] = []

            def on_console(msg: ConsoleMessage) -> None:
                if msg.type == "error" and not _expected_status_error(msg):
                    problems.append(f"console error: {msg.text} ({msg.location.get('url')})")

            page.on("console", on_console)
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            try:
                scenario(page, *args)
            except BaseException:
                with contextlib.suppress(Exception):
                    shot(page, f"failure-{scenario.__name__}")
                raise
            finally:
                context.close()
            assert problems == [], problems

        self.call(run)


def _expected_status_error(msg: ConsoleMessage) -> bool:
    """Chromium logs every 4xx document as a console error; the tests check those statuses themselves."""
    return msg.text.startswith("Failed to load resource: the server responded with a status of 4")


@pytest.fixture(scope="module")
def browser_thread() -> Iterator[BrowserThread]:
    """One headless Chromium for the whole module, owned by its own thread."""
    bt = BrowserThread()
    bt.start()
    try:
        yield bt
    finally:
        bt.stop()


@pytest.fixture
def browse(browser_thread: BrowserThread, live_server: str) -> Browse:
    """``browse(scenario, *args)`` runs ``scenario(page, *args)`` in a fresh browser context."""
    return functools.partial(browser_thread.in_new_page, live_server)


@pytest.fixture
async def seed(clean_tables: None, live_server: str) -> Seed:
    """Users pro1, pro2 (任城区), pro_qf (曲阜); three cases, the theft case with a suspect and a step."""
    await make_user("pro1", "prosecutor")
    await make_user("pro2", "prosecutor")
    await make_user("pro_qf", "prosecutor", OTHER_PROCURATORATE)
    await make_user("aud1", "auditor")
    await accounts.set_unit(PROSECUTORATE, doc_prefix="任检未")
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as c:
        pro1, pro_qf = await auth(c, "pro1"), await auth(c, "pro_qf")

        async def post(path: str, body: dict, headers: dict[str, str]) -> dict:
            r = await c.post(path, json=body, headers=headers)
            assert r.status_code == 201, r.text
            return r.json()

        theft = await post("/api/cases", THEFT, pro1)
        robbery = await post("/api/cases", ROBBERY, pro1)
        other = await post("/api/cases", {**THEFT, "title": "孔某某盗窃案"}, pro_qf)
        await post(
            f"/api/cases/{theft['id']}/persons",
            {"role": "suspect", "name": SUSPECT_NAME, "gender": "female", "id_number": SUSPECT_ID},
            pro1,
        )
        await post(
            f"/api/cases/{theft['id']}/steps",
            {"kind": "受理", "occurred_on": "2021-03-10", "summary": "公安机关移送审查逮捕"},
            pro1,
        )
        found = await c.post("/api/persons/lookup", json={"id_number": SUSPECT_ID}, headers=pro1)
        assert found.status_code == 200, found.text
    return Seed(theft=theft, robbery=robbery, other_unit_case=other)


def shot(page: Page, name: str) -> None:
    """A full-page screenshot to /tmp/shots/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Use the real log-in form."""
    page.goto("/login")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


def field_error(page: Page, field: str) -> Locator:
    """The error shown for ``field`` (ids may contain dots, so match the attribute)."""
    return page.locator(f'[id="error-{field}"]')


def case_rows(page: Page) -> Locator:
    """The case list's data rows (links to cases)."""
    return page.locator("table.list tbody tr").filter(has=page.locator("a.case-link"))


def prosecutor_works_a_case(page: Page, seed: Seed) -> None:
    """Log in, filter the list, open a case, add a step (invalid twice, then valid)."""
    theft, robbery = seed.theft, seed.robbery
    log_in(page, "pro1")
    expect(page).to_have_url(re.compile(r"/cases$"))
    expect(page.get_by_role("heading", name="案件列表")).to_be_visible()
    expect(page.locator("header .who")).to_have_text(f"{PROSECUTORATE} · pro1")
    expect(case_rows(page)).to_have_count(2)  # the other unit's case is not listed
    expect(case_rows(page).first).to_contain_text("任检未受〔2021〕2号")  # newest first
    expect(page.get_by_text("孔某某盗窃案")).to_have_count(0)
    shot(page, "case_list")

    # filter by charge, then by case type
    page.get_by_label("罪名", exact=True).fill("抢劫罪")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"charge=%E6%8A%A2%E5%8A%AB%E7%BD%AA"))
    expect(case_rows(page)).to_have_count(1)
    expect(case_rows(page).first).to_contain_text(robbery["case_number"])
    expect(case_rows(page).first).to_contain_text("侵害未成年人犯罪")
    expect(page.get_by_label("罪名", exact=True)).to_have_value("抢劫罪")  # the filter is kept
    page.get_by_label("罪名", exact=True).fill("")
    page.get_by_label("案件类型").select_option("juvenile_suspect")
    page.get_by_role("button", name="筛选").click()
    expect(case_rows(page)).to_have_count(1)
    expect(page.get_by_label("案件类型")).to_have_value("juvenile_suspect")
    row = case_rows(page).first
    expect(row).to_contain_text("张某某盗窃案")
    expect(row).to_contain_text("盗窃罪")
    page.get_by_label("案件名称或案号").fill("没有这个案件")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_text("没有符合条件的案件。")).to_be_visible()
    page.get_by_label("案件名称或案号").fill("盗窃")
    page.get_by_role("button", name="筛选").click()

    # the detail page: case facts, the suspect in full (case prosecutor), the timeline
    page.get_by_role("link", name=theft["case_number"]).click()
    expect(page).to_have_url(re.compile(rf"/cases/{theft['id']}$"))
    expect(page.locator("#case-title")).to_have_text("张某某盗窃案")
    expect(page.locator("#case-number")).to_have_text(theft["case_number"])
    expect(page.locator("dl.facts")).to_contain_text("盗窃罪（刑法第264条")
    expect(page.locator("dl.facts")).to_contain_text("2021-03-02")
    persons = page.locator("#persons tbody tr")
    expect(persons).to_have_count(1)
    expect(persons.first).to_contain_text("犯罪嫌疑人")
    expect(persons.first).to_contain_text(SUSPECT_NAME)
    expect(persons.first).to_contain_text(SUSPECT_ID)
    expect(persons.first).to_contain_text("2005-06-01")
    expect(persons.first.locator("td").nth(4)).to_have_text("15")
    timeline = page.locator("#timeline li")
    expect(timeline).to_have_count(1)
    expect(timeline.first).to_contain_text("公安机关移送审查逮捕")
    shot(page, "case_detail")

    # add a step: blank summary first
    page.get_by_role("link", name="添加步骤").click()
    expect(page).to_have_url(re.compile(rf"/cases/{theft['id']}/steps/new$"))
    # defaults to today; pages.py uses date.today() (server zone), the service today_china(): accept both
    today = re.compile(f"^({today_china().isoformat()}|{date.today().isoformat()})$")
    expect(page.get_by_label("日期")).to_have_value(today)
    page.get_by_label("步骤").fill("讯问")
    page.get_by_label("日期").fill("2021-03-12")
    page.get_by_role("button", name="保存").click()
    err = field_error(page, "summary")
    expect(err).to_be_visible()
    expect(page.locator("#summary + .field-error")).to_have_id("error-summary")  # right after the field
    expect(page.get_by_label("步骤")).to_have_value("讯问")  # typed values are kept
    expect(page.get_by_label("日期")).to_have_value("2021-03-12")

    # then a date before the offence
    page.get_by_label("摘要", exact=False).fill("第一次讯问，法定代理人到场")
    page.get_by_label("日期").fill("2021-02-01")
    page.get_by_role("button", name="保存").click()
    expect(field_error(page, "occurred_on")).to_be_visible()
    expect(page.locator("#occurred_on + .field-error")).to_have_id("error-occurred_on")
    expect(field_error(page, "summary")).to_have_count(0)
    expect(page.get_by_label("摘要", exact=False)).to_have_value("第一次讯问，法定代理人到场")
    shot(page, "step_error")

    # and a valid step
    page.get_by_label("日期").fill("2021-03-12")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(rf"/cases/{theft['id']}\?saved=step$"))
    expect(page.locator("#notice")).to_have_text("办案步骤已添加。")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(1)).to_contain_text("2021-03-12")
    expect(timeline.nth(1)).to_contain_text("讯问")
    expect(timeline.nth(1)).to_contain_text("第一次讯问，法定代理人到场")
    shot(page, "case_detail_after_step")


def new_case_with_a_bad_charge_keeps_the_values(page: Page, seed: Seed) -> None:
    """A charge the Criminal Law table does not know: error on that charge row, values kept; then fixed."""
    log_in(page, "pro1")
    page.get_by_role("link", name="新建案件").click()
    expect(page).to_have_url(re.compile(r"/cases/new$"))
    page.get_by_label("案件类型").select_option("juvenile_suspect")
    page.get_by_label("案件名称", exact=False).fill("王某某故意伤害案")
    page.get_by_label("案发日期").fill("2022-05-03")
    page.get_by_label("受理日期", exact=False).fill("2022-05-20")
    page.locator("#charge_name_0").fill("故意伤害罪")
    page.locator("#charge_article_0").fill("234")
    page.locator("#charge_name_1").fill("盗窃罪")
    page.locator("#charge_article_1").fill("999")
    page.get_by_role("button", name="保存").click()

    err = field_error(page, "charges.1")
    expect(err).to_be_visible()
    expect(err).to_contain_text("999")
    row = page.locator("fieldset .row").filter(has=page.locator("#charge_article_1"))
    expect(row.locator(".field-error")).to_have_count(1)  # next to the bad row, not elsewhere
    expect(page.locator(".field-error")).to_have_count(1)
    for selector, value in [
        ("#title", "王某某故意伤害案"),
        ("#offense_date", "2022-05-03"),
        ("#received_on", "2022-05-20"),
        ("#charge_name_0", "故意伤害罪"),
        ("#charge_article_0", "234"),
        ("#charge_name_1", "盗窃罪"),
        ("#charge_article_1", "999"),
        ("#case_type", "juvenile_suspect"),
    ]:
        expect(page.locator(selector)).to_have_value(value)
    shot(page, "case_new_error")

    page.locator("#charge_article_1").fill("264")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+\?saved=case$"))
    expect(page.locator("#notice")).to_have_text("案件已创建。")
    expect(page.locator("#case-title")).to_have_text("王某某故意伤害案")
    expect(page.locator("dl.facts")).to_contain_text("故意伤害罪（刑法第234条")
    expect(page.locator("dl.facts")).to_contain_text("盗窃罪（刑法第264条")


def log_out_ends_the_session(page: Page, seed: Seed) -> None:
    """退出 returns to /login; the case list then redirects to /login."""
    log_in(page, "pro1")
    expect(page).to_have_url(re.compile(r"/cases$"))
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login(\?next=[^&]*)?$"))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    response = page.goto("/cases")
    assert response is not None
    expect(page).to_have_url(re.compile(r"/login(\?next=[^&]*)?$"))
    page.goto(f"/cases/{seed.theft['id']}")
    expect(page).to_have_url(re.compile(r"/login(\?next=[^&]*)?$"))
    assert not [c for c in page.context.cookies() if c["name"] == "jj_session" and c["value"]]


def wrong_password_shows_the_error(page: Page, seed: Seed) -> None:
    """The message is shown on the form, the user name is kept, no session is started."""
    log_in(page, "pro1", "not-the-password")
    expect(page).to_have_url(re.compile(r"/login(\?next=[^&]*)?$"))
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")
    expect(page.get_by_label("用户名", exact=True)).to_have_value("pro1")
    expect(page.get_by_label("密码", exact=True)).to_have_value("")
    shot(page, "login_error")
    page.goto("/cases")
    expect(page).to_have_url(re.compile(r"/login(\?next=[^&]*)?$"))


def colleague_sees_masked_names_and_other_units_case_is_404(page: Page, seed: Seed) -> None:
    """A same-unit prosecutor not on the case: masked name, no ID, no edits. Another unit's case: 404."""
    log_in(page, "pro2")
    page.get_by_role("link", name=seed.theft["case_number"]).click()
    persons = page.locator("#persons tbody tr")
    expect(persons.first).to_contain_text("欧阳某某")
    expect(page.locator("#persons")).not_to_contain_text(SUSPECT_NAME)
    expect(page.locator("#persons")).not_to_contain_text(SUSPECT_ID)
    expect(page.get_by_role("link", name="添加步骤")).to_have_count(0)
    expect(page.get_by_role("link", name="添加人员")).to_have_count(0)
    page.get_by_role("link", name="案件列表").click()
    page.get_by_label("我承办的").check()
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"mine=1"))
    expect(page.get_by_text("没有符合条件的案件。")).to_be_visible()
    expect(page.get_by_label("我承办的")).to_be_checked()
    # typing the form's URL does not let a colleague add a step: the form itself is refused
    response = page.goto(f"/cases/{seed.theft['id']}/steps/new")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("403 · 无权访问")
    shot(page, "forbidden")
    page.goto(f"/cases/{seed.theft['id']}")
    expect(page.locator("#timeline li")).to_have_count(1)

    response = page.goto(f"/cases/{seed.other_unit_case['id']}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("404 · 未找到")
    expect(page.get_by_text("孔某某盗窃案")).to_have_count(0)
    expect(page.get_by_role("link", name="返回首页")).to_be_visible()
    shot(page, "not_found")


def colleague_cannot_open_the_step_form(page: Page, seed: Seed) -> None:
    """The add-step form itself should be refused to a prosecutor who may not change the case."""
    log_in(page, "pro2")
    response = page.goto(f"/cases/{seed.theft['id']}/steps/new")
    assert response is not None and response.status == 403


def back_after_log_out_shows_no_personal_data(page: Page, seed: Seed) -> None:
    """After 退出, the browser's Back button must not bring the suspect's name and ID number back."""
    log_in(page, "pro1")
    page.goto(f"/cases/{seed.theft['id']}")
    expect(page.locator("#persons")).to_contain_text(SUSPECT_ID)
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login(\?next=[^&]*)?$"))
    page.go_back()
    page.wait_for_load_state()
    expect(page.locator("body")).not_to_contain_text(SUSPECT_ID, timeout=1_000)
    expect(page.locator("body")).not_to_contain_text(SUSPECT_NAME, timeout=1_000)


@dataclass(frozen=True)
class Audited:
    """A prosecutor of a name used nowhere else, who added a person and looked the number up."""

    username: str
    id_number: str


@pytest.fixture
async def audited(seed: Seed, live_server: str) -> Audited:
    import secrets

    username = f"pro_{secrets.token_hex(4)}"
    id_number = resident_id(date(2006, 1, 2), seq=secrets.randbelow(90) + 10, region="370811")
    await make_user(username, "prosecutor")
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as c:
        h = await auth(c, username)
        case = (await c.post("/api/cases", json=THEFT, headers=h)).json()
        person = {"role": "suspect", "name": "端木晨曦", "gender": "male", "id_number": id_number}
        r = await c.post(f"/api/cases/{case['id']}/persons", json=person, headers=h)
        assert r.status_code == 201, r.text
        assert (await c.post("/api/persons/lookup", json={"id_number": id_number}, headers=h)).status_code == 200
    return Audited(username, id_number)


def auditor_reviews_the_access_log(page: Page, audited: Audited) -> None:
    """The auditor's workspace: the log of the unit, filters, one entry, the chain check, the search by
    ID number through its keyed hash (typed into a form, never in the URL), and the CSV export."""
    log_in(page, "aud1")
    expect(page).to_have_url(re.compile(r"/audit$"))
    expect(page.get_by_role("heading", name="访问日志")).to_be_visible()
    rows = page.locator("#entries tbody tr").filter(has=page.locator("a.entry-link"))
    expect(rows.first).to_be_visible()
    shot(page, "audit_log")

    page.get_by_label("操作人").fill(audited.username)
    page.get_by_label("操作", exact=True).select_option("person.create")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(rf"actor={audited.username}.*action=person.create"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("添加人员")
    expect(rows.first).to_contain_text(audited.username)
    expect(page.get_by_label("操作人")).to_have_value(audited.username)  # the filter is kept

    rows.first.locator("a.entry-link").click()
    expect(page).to_have_url(re.compile(r"/audit/entries/\d+$"))
    expect(page.locator("#hash-check")).to_have_text("哈希值与内容一致")
    expect(page.locator("#entry")).to_contain_text("person:")
    shot(page, "audit_entry")

    page.goto("/audit/verify")
    expect(page.locator("#verify-result")).to_contain_text("日志链完整")

    page.goto("/audit")
    page.get_by_role("link", name="按身份号码查找").click()
    page.get_by_label("类型").select_option("id_number")
    page.get_by_label("内容").fill(audited.id_number)
    page.get_by_role("button", name="计算并查找").click()
    expect(page).to_have_url(re.compile(r"/audit/hash$"))  # posted: the ID number is in no URL
    expect(page.locator("#targets a")).to_have_count(3)  # the number's hash, the person, the case
    page.locator("#targets a").first.click()
    expect(page).to_have_url(re.compile(r"/audit\?target=id_number"))
    expect(rows.filter(has_text="按身份号码查询人员")).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text(audited.id_number)
    expect(page.locator("body")).not_to_contain_text("端木晨曦")
    shot(page, "audit_hash")

    with page.expect_download() as download:
        page.get_by_role("link", name="导出CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("seq,at,actor,role,unit,action,target,purpose,outcome")
    assert "person.lookup" in text and audited.id_number not in text


def auditor_pages_are_refused_to_prosecutors(page: Page, seed: Seed) -> None:
    log_in(page, "pro1")
    response = page.goto("/audit")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("403 · 无权访问")


def prosecutor_issues_and_verifies_a_case_summary(page: Page, seed: Seed) -> None:
    """Issue a case summary from the case page, open its PDF, check its code on the public page (logged
    out), reissue it; the old code then reads as not valid."""
    theft = seed.theft
    log_in(page, "pro1")
    page.goto(f"/cases/{theft['id']}")
    expect(page).to_have_title(theft["case_number"])
    page.get_by_role("button", name="出具案件摘要").click()
    expect(page.locator("#notice")).to_have_text("文书已出具。")
    rows = page.locator("#document-list tbody tr")
    year = today_china().year
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"任检未摘〔{year}〕1号")
    expect(rows.first).to_contain_text("有效")
    code = rows.first.locator("td.mono").inner_text().strip()
    href = rows.first.locator("a.pdf-link").get_attribute("href")
    assert href is not None
    pdf = page.request.get(href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    shot(page, "case_documents")

    rows.first.get_by_placeholder("重新出具理由").fill("补充办案经过")
    rows.first.get_by_role("button", name="重新出具").click()
    expect(page.locator("#notice")).to_have_text("文书已重新出具，原文书作废。")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(f"任检未摘〔{year}〕2号")
    expect(rows.nth(1)).to_contain_text("已重新出具")
    new_code = rows.first.locator("td.mono").inner_text().strip()

    page.context.clear_cookies()  # the public check needs no log-in
    page.goto("/verify")
    page.get_by_label("验证码").fill(new_code.lower())
    page.get_by_role("button", name="核验").click()
    expect(page.locator("#verify-result")).to_contain_text(f"有效：本文书由{PROSECUTORATE}于{year}年")
    expect(page.locator("body")).not_to_contain_text(SUSPECT_NAME)
    shot(page, "verify_valid")
    page.goto(f"/verify/{code}")
    expect(page.locator("#verify-result")).to_contain_text("无效")


def auditor_issues_a_report(page: Page, seed: Seed) -> None:
    """The auditor issues a signed access-log report for today and opens its PDF; a bad period is refused
    next to its field."""
    log_in(page, "aud1")
    page.get_by_role("link", name="审计报告").click()
    expect(page.get_by_role("heading", name="访问日志审计报告")).to_be_visible()
    page.get_by_label("自").fill("2026-13-01")
    page.get_by_role("button", name="出具报告").click()
    expect(page.locator("#report-errors")).to_contain_text("from")
    today = today_china().isoformat()
    page.get_by_label("自").fill(today)
    page.get_by_label("至").fill(today)
    # the whole session's log is verified and a ~20-page PDF rendered: seconds on a loaded machine
    page.get_by_role("button", name="出具报告").click(timeout=90_000)
    expect(page.locator("#notice")).to_have_text("报告已出具。", timeout=90_000)
    row = page.locator("#reports tbody tr").first
    expect(row).to_contain_text(f"任检未审计〔{today_china().year}〕1号")
    expect(row).to_contain_text("有效")
    href = row.locator("a.pdf-link").get_attribute("href")
    assert href is not None
    pdf = page.request.get(href)
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
    shot(page, "audit_reports")


# The tests: pytest (and pytest-asyncio's seed fixture) on the main thread, the browser on its own.


def test_prosecutor_works_a_case(browse: Browse, seed: Seed) -> None:
    browse(prosecutor_works_a_case, seed)


def test_new_case_with_a_bad_charge_keeps_the_values(browse: Browse, seed: Seed) -> None:
    browse(new_case_with_a_bad_charge_keeps_the_values, seed)


def test_log_out_ends_the_session(browse: Browse, seed: Seed) -> None:
    browse(log_out_ends_the_session, seed)


def test_wrong_password_shows_the_error(browse: Browse, seed: Seed) -> None:
    browse(wrong_password_shows_the_error, seed)


def test_colleague_sees_masked_names_and_other_units_case_is_404(browse: Browse, seed: Seed) -> None:
    browse(colleague_sees_masked_names_and_other_units_case_is_404, seed)


def test_colleague_cannot_open_the_step_form(browse: Browse, seed: Seed) -> None:
    browse(colleague_cannot_open_the_step_form, seed)


def test_back_after_log_out_shows_no_personal_data(browse: Browse, seed: Seed) -> None:
    browse(back_after_log_out_shows_no_personal_data, seed)


def test_auditor_reviews_the_access_log(browse: Browse, audited: Audited) -> None:
    browse(auditor_reviews_the_access_log, audited)


def test_auditor_pages_are_refused_to_prosecutors(browse: Browse, seed: Seed) -> None:
    browse(auditor_pages_are_refused_to_prosecutors, seed)


def test_prosecutor_issues_and_verifies_a_case_summary(browse: Browse, seed: Seed) -> None:
    browse(prosecutor_issues_and_verifies_a_case_summary, seed)


def test_auditor_issues_a_report(browse: Browse, seed: Seed) -> None:
    browse(auditor_issues_a_report, seed)


@pytest.fixture
async def to_seal(seed: Seed, live_server: str) -> Seed:
    """The seed, with a judge (judge1) and a 24-month judgment against the theft suspect (a sealing task)."""
    await make_user("judge1", "judge")
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as c:
        pro1 = await auth(c, "pro1")
        persons = (await c.get(f"/api/cases/{seed.theft['id']}/persons", headers=pro1)).json()["items"]
        body = {"person_id": persons[0]["id"], "kind": "judgment", "decision_date": "2021-09-01",
                "effective_date": "2021-09-12", "document_number": "(2021)鲁0811刑初88号",
                "sentence_kind": "fixed_term", "sentence_months": 24}  # fmt: skip
        r = await c.post(f"/api/cases/{seed.theft['id']}/decisions", json=body, headers=pro1)
        assert r.status_code == 201 and r.json()["sealing"]["task_id"], r.text
    return seed


def sealing_from_task_to_a_lawful_read(page: Page, seed: Seed) -> None:
    """The prosecutor seals from the task list; the case leaves the list; the judge checks the status,
    applies to read; another prosecutor approves; the judge reads the record under the grant."""
    log_in(page, "pro1")
    page.goto(f"/cases/{seed.theft['id']}")
    expect(page.locator("#decisions td.sealing")).to_contain_text("应当封存")
    page.locator("#nav-sealing").click()
    task = page.locator("#open-tasks tr.task")
    expect(task).to_have_count(1)
    expect(task).to_contain_text("欧阳某某")
    expect(task).to_contain_text("已逾期")
    task.get_by_label("已告知本人及法定代理人的日期").fill("2021-09-12")
    shot(page, "sealing_tasks")
    task.get_by_role("button", name="封存").click()
    expect(page.locator("#notice")).to_contain_text("已封存")
    expect(page.locator("#open-tasks tr.task")).to_have_count(0)
    expect(page.locator("#done-tasks tbody tr")).to_have_count(1)
    page.goto("/cases")
    expect(page.locator("main")).not_to_contain_text(seed.theft["title"])
    page.goto(f"/cases/{seed.theft['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("403 · 无权访问")

    page.context.clear_cookies()
    log_in(page, "judge1")
    expect(page).to_have_url(re.compile(r"/sealed-status$"))
    page.get_by_label("公民身份号码").fill(SUSPECT_ID)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#status-result")).to_have_attribute("data-sealed", "true")
    expect(page.locator("#status-records")).to_contain_text(PROSECUTORATE)
    expect(page.locator("main")).not_to_contain_text(SUSPECT_NAME)
    shot(page, "sealed_status")
    page.get_by_role("link", name="申请依法查询").click()
    page.get_by_label("查询用途").fill("审理另案需核实前科")
    page.get_by_label("法律依据").fill("《中华人民共和国刑事诉讼法》第二百八十六条")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#notice")).to_have_text("查询申请已提交，等待封存单位决定。")
    expect(page.locator("#my-queries tbody tr").first).to_have_attribute("data-status", "pending")

    page.context.clear_cookies()
    log_in(page, "pro2")
    page.goto("/sealing")
    query = page.locator("#queries tr.query")
    expect(query).to_have_count(1)
    query.get_by_placeholder("理由").fill("审判需要，依法许可")
    query.get_by_role("button", name="决定").click()
    expect(page.locator("#notice")).to_contain_text("已作出决定")

    page.context.clear_cookies()
    log_in(page, "judge1")
    page.goto("/query-requests")
    row = page.locator("#my-queries tbody tr").first
    expect(row).to_have_attribute("data-status", "approved")
    row.get_by_role("link", name="查阅").click()
    expect(page.locator("#sealed-person")).to_contain_text(SUSPECT_NAME)
    expect(page.locator("#confidential")).to_contain_text("保密")
    shot(page, "sealed_record_read")


def test_sealing_from_task_to_a_lawful_read(browse: Browse, to_seal: Seed) -> None:
    browse(sealing_from_task_to_a_lawful_read, to_seal)
