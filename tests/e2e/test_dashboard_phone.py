"""The dashboard's pages at a phone's width (390 px) in real Chromium, measured by their boxes."""
import pytest

from tests.e2e.conftest import login
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def dashboard(request, live_server, browser):
    """The owner of a site with a long name, logged in, on a phone (or in the window the test asks for)."""
    viewport = getattr(request, "param", PHONE)
    site = SiteFactory(owner=UserFactory(username="owner"), name="Tea & Leaf shop with a name that goes on " * 3)
    context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE, has_touch=viewport is PHONE)
    try:
        page = context.new_page()
        login(page, live_server, "owner")
        yield page, site
    finally:
        context.close()


def test_a_long_site_name_leaves_the_sites_link_whole_in_the_top_bar(dashboard, live_server):
    """The site's name took the top bar's room and cut "Sites", the way back to the other sites, to "S"."""
    page, site = dashboard
    page.goto(f"{live_server.url}/sites/{site.pk}/")

    links = page.locator(".topnav a")
    sites, name = links.nth(0), links.nth(1)
    assert sites.evaluate("a => a.scrollWidth <= a.clientWidth"), "the Sites link is cut short"
    assert sites.inner_text() == "Sites"
    assert name.evaluate("a => a.scrollWidth > a.clientWidth")  # the name is the one cut, with an ellipsis
    logout = page.get_by_role("button", name="Log out").bounding_box()
    assert logout["x"] + logout["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_site_named_by_one_long_word_fits_a_phone_on_every_page(dashboard, live_server):
    """A name without spaces (a site named by its domain) widened the site list, the install page's heading
    and each page's "<name> · site id" line to 1,300-2,300 px: the whole page scrolled sideways."""
    page, site = dashboard
    site.name = "shop.our-" + "verylongbrandnameforthecompanystore" * 2 + ".example.co.uk"
    site.save(update_fields=["name"])
    pages = ["", "overview/", "install/", "heatmaps/", "settings/", "team/", "privacy/", "audit/"]
    for path in ["/sites/"] + [f"/sites/{site.pk}/{path}" for path in pages] + [f"/exclude/{site.pk}"]:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path


def test_the_current_tab_of_a_site_is_in_sight_on_a_phone(dashboard, live_server):
    """The tabs' row scrolls sideways on a phone; on Settings, Team, Privacy or Audit the row showed Overview to
    Install, and nothing said which page this was."""
    page, site = dashboard
    for path in ("audit/", "privacy/", "team/", "settings/", ""):
        page.goto(f"{live_server.url}/sites/{site.pk}/{path}")
        page.wait_for_load_state("load")
        box = page.locator("nav.tabs [aria-current=page]").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (path, box)
        assert page.evaluate("window.scrollY") == 0  # the page itself stays where it was


# The focus ring of a tab (an outline, or a box shadow), and whether all of it lies within the row that scrolls
# sideways and so clips what is drawn beyond it.
RING_IN_ROW = """(tab) => {
    const row = tab.parentElement, r = tab.getBoundingClientRect(), n = row.getBoundingClientRect();
    const style = getComputedStyle(tab), shadow = style.boxShadow;
    const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const outline = outlined ? parseFloat(style.outlineWidth) + parseFloat(style.outlineOffset) : 0;
    const spread = shadow === 'none' || shadow.includes('inset') ? 0 : parseFloat(shadow.match(/(-?[\\d.]+)px(?!.*px)/)[1]);
    const out = Math.max(0, outline, spread), top = n.top + row.clientTop, left = n.left + row.clientLeft;
    const inside = r.left - out >= left - 0.5 && r.right + out <= left + row.clientWidth + 0.5
                   && r.top - out >= top - 0.5 && r.bottom + out <= top + row.clientHeight + 0.5;
    return {ring: outlined || shadow !== 'none', inside};
}"""


def test_each_tab_reached_with_the_keyboard_shows_whole_with_its_focus_ring(dashboard, live_server):
    """The row of tabs clipped the focus ring drawn around a tab to two thin lines, and left Install and Privacy
    with their right edge out of sight when tabbed to."""
    page, site = dashboard
    page.goto(f"{live_server.url}/sites/{site.pk}/")
    tabs = page.locator("nav.tabs a")
    assert tabs.count() == 8

    page.get_by_role("button", name="Log out").focus()
    for n in range(tabs.count()):
        page.keyboard.press("Tab")
        tab = tabs.nth(n)
        assert tab.evaluate("a => a === document.activeElement")
        assert tab.evaluate(RING_IN_ROW) == {"ring": True, "inside": True}, tab.inner_text()


OVERLAPS = """(button) => {
    const pre = button.parentElement.querySelector('pre');
    const range = document.createRange();
    range.selectNodeContents(pre);
    const b = button.getBoundingClientRect(), p = pre.getBoundingClientRect();
    return [...range.getClientRects()].filter((r) => r.width && r.right > p.left && r.left < p.right)
      .some((r) => Math.min(r.right, p.right) > b.left && Math.max(r.left, p.left) < b.right
                   && r.bottom > b.top && r.top < b.bottom);
}"""


@pytest.mark.parametrize("dashboard", [PHONE, DESKTOP], ids=["phone", "desktop"], indirect=True)
def test_the_copy_buttons_of_the_install_page_hide_none_of_the_snippet(dashboard, live_server):
    """On a phone the Copy button sat over the snippet's first line, `<script type="text/javascript">`."""
    page, site = dashboard
    page.goto(f"{live_server.url}/sites/{site.pk}/install/")
    page.locator(".snippet-alternative summary").click()
    buttons = page.locator(".snippet button")
    assert buttons.count() == 2
    for n in range(2):
        assert not buttons.nth(n).evaluate(OVERLAPS), f"Copy button {n} covers text of its snippet"


def test_the_install_pages_code_can_be_scrolled_by_keyboard_and_each_copy_button_says_what_it_copies(
        dashboard, live_server):
    """On a phone the identify/tag example ran past its box, and the keyboard could not reach it to scroll it;
    a screen reader listed two buttons both named "Copy"."""
    page, site = dashboard
    page.goto(f"{live_server.url}/sites/{site.pk}/install/")
    page.locator(".snippet-alternative summary").click()

    unreachable = page.locator("pre").evaluate_all(
        "pres => pres.filter(p => p.scrollWidth > p.clientWidth && p.tabIndex < 0).map(p => p.textContent.slice(0, 30))")
    assert unreachable == []
    for name in ("Copy the snippet", "Copy the two tags"):
        assert page.get_by_role("button", name=name, exact=True).count() == 1, name


CORNER_OUTSIDE = """(chip) => {
    const b = chip.getBoundingClientRect(), s = getComputedStyle(chip);
    const r = Math.min(parseFloat(s.borderTopLeftRadius), b.height / 2, b.width / 2);
    const range = document.createRange();
    range.selectNodeContents(chip.firstChild);
    const first = range.getClientRects()[0];
    const dx = b.left + r - first.left, dy = b.top + r - first.top;
    return dx > 0 && dy > 0 && Math.hypot(dx, dy) > r;
}"""


def test_a_long_filter_chip_keeps_its_words_inside_it(dashboard, live_server):
    """An overview page's link filters on a whole address: its chip ran over twelve lines, round as a pill, and
    its first word stood outside the chip's curve."""
    page, site = dashboard
    url = "https://shop.example.com/products/" + "very-long-slug-" * 30
    page.goto(f"{live_server.url}/sites/{site.pk}/?page_url={url}")
    chip = page.locator(".chip")
    line = chip.evaluate("c => parseFloat(getComputedStyle(c).lineHeight)")
    assert chip.bounding_box()["height"] <= 5 * line
    assert not chip.evaluate(CORNER_OUTSIDE), "the chip's first word is outside its rounded corner"
    assert chip.get_attribute("aria-label") == f"Remove filter: Visited {url}"  # whole for a screen reader


def test_the_team_fits_a_phone_with_each_members_controls_in_sight(dashboard, live_server):
    """The team's table ran past a phone's width: each member's Remove button (and the date they joined)
    stood out of sight, to be found by scrolling the table sideways."""
    from sites.models import Membership

    page, site = dashboard
    Membership.objects.create(site=site, user=UserFactory(username="a.very.long.username.for.a.viewer"),
                              role=Membership.VIEWER)
    page.goto(f"{live_server.url}/sites/{site.pk}/team/")

    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the table scrolls sideways"
    row = page.locator("tr[data-member='a.very.long.username.for.a.viewer']")
    for control in (row.get_by_role("button", name="Remove"), row.get_by_role("combobox"),
                    row.get_by_role("button", name="Change")):
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


@pytest.mark.parametrize("dashboard", [PHONE, DESKTOP], ids=["phone", "desktop"], indirect=True)
def test_a_member_with_a_long_username_and_email_leaves_the_teams_controls_in_sight(dashboard, live_server):
    """On a desktop a 150-character username (Django's longest) pushed Role, Since and Remove out of the table's
    sight, to be found by scrolling it sideways."""
    from sites.models import Membership

    page, site = dashboard
    user = UserFactory(username="firstname.lastname." * 7 + "x", email="a" * 60 + "@" + "example-" * 8 + "co.uk")
    Membership.objects.create(site=site, user=user, role=Membership.ADMIN)
    page.goto(f"{live_server.url}/sites/{site.pk}/team/")

    assert page.locator(".table-wrap").evaluate("w => w.scrollWidth <= w.clientWidth")
    remove = page.locator(f"tr[data-member='{user.username}']").get_by_role("button", name="Remove").bounding_box()
    assert remove["x"] + remove["width"] <= page.viewport_size["width"]


def test_removing_a_member_asks_first(dashboard, live_server):
    """One press of Remove took a member off the team (an admin's own row too, and their access with it)."""
    from sites.models import Membership

    page, site = dashboard
    Membership.objects.create(site=site, user=UserFactory(username="bob"), role=Membership.ADMIN)
    page.goto(f"{live_server.url}/sites/{site.pk}/team/")
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.get_by_role("button", name="Remove bob").click()
    assert asked == [f"Remove bob from {site.name}?"]
    assert Membership.objects.filter(site=site, user__username="bob").exists()

    page.once("dialog", lambda dialog: answer(dialog, True))
    with page.expect_navigation():
        page.get_by_role("button", name="Remove bob").click()
    assert not Membership.objects.filter(site=site, user__username="bob").exists()
    assert page.locator("tr[data-member=bob]").count() == 0


def test_regenerating_or_revoking_the_api_token_asks_first(dashboard, live_server):
    """One press of Regenerate or Revoke replaced or deleted the token, and every script using it stopped."""
    from rest_framework.authtoken.models import Token

    page, site = dashboard
    key = Token.objects.create(user=site.owner).key
    page.goto(f"{live_server.url}/sites/{site.pk}/team/")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    for button in ("Regenerate token", "Revoke token"):
        page.once("dialog", dismiss)
        page.get_by_role("button", name=button).click()
    assert asked == ["Replace your API token? Scripts that use the current one stop working at once.",
                     "Revoke your API token? Scripts that use it stop working at once."]
    assert Token.objects.get(user=site.owner).key == key

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Revoke token").click()
    assert not Token.objects.filter(user=site.owner).exists()
    # With no token there is nothing to lose: creating one does not ask.
    with page.expect_navigation():
        page.get_by_role("button", name="Create a token").click()
    assert Token.objects.filter(user=site.owner).exists()


@pytest.mark.parametrize("dashboard", [PHONE, DESKTOP], ids=["phone", "desktop"], indirect=True)
def test_the_token_buttons_stand_level_side_by_side(dashboard, live_server):
    """Revoke token stood 16 px below Regenerate token: the rule that spaces a lone danger button applied to it."""
    from rest_framework.authtoken.models import Token

    page, site = dashboard
    Token.objects.create(user=site.owner)
    page.goto(f"{live_server.url}/sites/{site.pk}/team/")

    regenerate, revoke = (page.get_by_role("button", name=n).bounding_box() for n in ("Regenerate token", "Revoke token"))
    assert revoke["y"] == regenerate["y"] and revoke["x"] > regenerate["x"]


def test_the_audit_log_fits_a_phone(dashboard, live_server):
    """The log's table ran past a phone's width: each entry's target and detail stood out of sight."""
    from privacy.audit import audit_record

    page, site = dashboard
    owner = site.owner
    audit_record(user=owner, site=site, action="settings.update", target=str(site.pk),
                 detail={"changes": {"mask_selectors": {"old": "", "new": ".account-number\n.card-holder-name"}}})
    audit_record(user=owner, site=site, action="visitor.export", target="a-visitor-with-a-long-id-" * 4)
    page.goto(f"{live_server.url}/sites/{site.pk}/audit/")

    assert page.locator(".table-wrap").evaluate("w => w.scrollWidth <= w.clientWidth"), "the log scrolls sideways"
    for cell in page.locator("table.audit td").all():
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (cell.inner_text(), box)
