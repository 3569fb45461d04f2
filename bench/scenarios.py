"""Scripted visits that behave like a person. Each takes a Human (bench/harness.py)
and a deadline (time.monotonic()) and keeps the visitor busy until then."""
import time


def _left(end: float) -> float:
    return end - time.monotonic()


def _idle_until(h, end: float):
    """Still on the page: small mouse drifts and pauses until the deadline."""
    while _left(end) > 1.5:
        if h.rnd.random() < 0.5:
            h.jiggle(1)
        h.wait(min(_left(end) - 1, 1000 * h.rnd.uniform(1.5, 6)) or 0)


# ---- article: a reader --------------------------------------------------------------


def article(h, end: float):
    page = h.page
    total = _left(end)
    comment_reserve = min(55.0, 0.35 * total)
    reading_end = end - comment_reserve
    h.think(1.5, 3)
    h.move(420, 260)  # eyes on the headline
    h.think(2, 4)
    form_top = page.evaluate("document.getElementById('reply').getBoundingClientRect().top + scrollY")
    jumped = False
    while _left(reading_end) > 2:
        pause = h.rnd.uniform(2.0, 6.5)
        y = page.evaluate("scrollY")
        # Pace the scrolling so that the end of the text arrives with the reading time.
        remaining_px = max(0, form_top - 500 - y)
        step = remaining_px / max(1.0, _left(reading_end)) * (pause + 0.6)
        if remaining_px <= 0:
            # Read to the end: wander back up to something interesting, then down.
            step = -h.rnd.uniform(300, 900) if h.rnd.random() < 0.4 else 0
        step = max(-900, min(700, step))
        if abs(step) >= 100:
            h.wheel(step)
        r = h.rnd.random()
        if r < 0.25:
            h.jiggle(h.rnd.randint(1, 3))
        elif r < 0.33:
            _select_sentence(h)
        elif r < 0.36 and not jumped and _left(reading_end) > 40:
            # The table of contents in the sidebar: jump back to a section (hash navigation).
            jumped = True
            h.click("aside a[href='#lens']")
            h.think(2, 4)
        h.wait(min(1000 * pause * h.speed, max(0, _left(reading_end) * 1000)))
    # The comment form.
    for _ in range(30):
        top = page.evaluate("document.getElementById('c-name').getBoundingClientRect().top")
        if 150 < top < 500:
            break
        h.wheel(300 if top > 500 else -300)
        h.wait(150)
    h.think(1, 2)
    h.click("#c-name")
    h.type("Pieter")
    h.key("Tab")
    h.type("pieter.vos@example.org", fast=True)
    h.think(0.5, 1.5)
    h.click("#c-text")
    h.type("Lovely piece. My family spent summers near a station with a diaphone, "
           "and the description of its grunt at the end is exactly right. "
           "Do you know which lenses are still turning?")
    h.think(1, 3)
    h.click("form.reply button")
    h.think(1, 2)
    _idle_until(h, end)


def _select_sentence(h):
    """Drag across part of a visible paragraph, as people do while reading."""
    boxes = h.page.evaluate(
        """() => Array.from(document.querySelectorAll('article p')).map(p => p.getBoundingClientRect())
            .filter(r => r.top > 90 && r.bottom < innerHeight - 20 && r.height > 50)
            .map(r => ({x: r.left, y: r.top, w: r.width, h: r.height}))"""
    )
    if not boxes:
        return
    b = h.rnd.choice(boxes)
    y = b["y"] + 12 + h.rnd.randint(0, max(0, int(b["h"] / 30) - 2)) * 29
    h.move(b["x"] + h.rnd.uniform(5, 60), y)
    h.page.mouse.down()
    h.move(b["x"] + h.rnd.uniform(0.4, 0.95) * b["w"], y + 29 * h.rnd.randint(0, 1), ms=h.rnd.uniform(500, 1100))
    h.page.mouse.up()
    h.think(1.5, 4)
    # Click away to clear the selection.
    h.move(b["x"] + b["w"] + 20, y + 40)
    h.page.mouse.down()
    h.page.mouse.up()


# ---- checkout: a buyer --------------------------------------------------------------


def checkout(h, end: float):
    page = h.page
    h.think(2, 4)
    # Look over the order and lower a quantity.
    h.move_to("#l1")
    h.think(1, 2)
    h.click("#q2")
    h.key("Control+a")
    h.type("1")
    h.think(1, 2)
    # Contact, with a typo that gets fixed.
    h.click("#email")
    h.type("jordan.miles@gmial")
    h.think(0.4, 1)
    h.key("Backspace", 4)
    h.type("ail.com")
    h.key("Tab")
    h.type("(503) 555-0142", fast=True)
    h.think(1, 3)
    # Shipping address, tabbing from field to field.
    h.click("#s-first")
    h.type("Jordan")
    h.key("Tab")
    h.type("Miles")
    h.key("Tab")
    h.type("1428 Alder Street")
    h.key("Tab")
    h.type("Apt 3B")
    h.key("Tab")
    h.type("Portland")
    h.key("Tab")
    h.type("OR")  # typing selects in a focused <select>
    h.key("Tab")
    h.type("9721")  # one digit short: the message appears on leaving the field
    h.key("Tab")
    h.think(1, 2)
    h.key("Shift+Tab")
    h.key("End")
    h.type("4")  # and disappears as the field becomes valid
    h.think(1, 3)
    # Shipping method: considers express, goes back to standard.
    h.click("#ship-methods label:nth-child(2)")
    h.think(2, 4)
    h.click("#ship-methods label:nth-child(1)")
    h.think(1, 2)
    # Billing: unticks "same as shipping", starts typing, changes their mind.
    h.click("#same")
    h.think(1, 2)
    h.click("#b-first")
    h.type("Jor")
    h.think(1, 2)
    h.click("#same")
    h.think(1, 2)
    # Coupon: a wrong code, then the right one.
    h.click("#coupon")
    h.type("TRAIL15")
    h.click("#apply")
    h.think(2, 3)
    h.click("#coupon")
    h.key("Control+a")
    h.type("TRAIL10")
    h.click("#apply")
    h.think(2, 4)
    # Payment.
    h.click("#cc-name")
    h.type("Jordan Miles")
    h.key("Tab")
    h.type("4111111111111111", fast=True)
    h.key("Tab")
    h.type("0929", fast=True)
    h.key("Tab")
    h.type("73", fast=True)  # too short
    h.think(2, 5)
    h.click("#pay")  # the banner and the field's message appear
    h.think(2, 4)
    h.key("End")
    h.type("7")
    h.think(1, 2)
    h.click("#pay")
    h.think(3, 5)
    h.wheel(-600)
    _idle_until(h, end)


# ---- spa: a dashboard user ----------------------------------------------------------


def spa(h, end: float):
    page = h.page
    h.think(1, 2)
    while _left(end) > 3:
        route = page.evaluate("location.pathname.split('/').pop()")
        r = h.rnd.random()
        if route == "dashboard":
            if r < 0.55:
                _hover_rows(h, "tbody tr", h.rnd.randint(4, 10), end)
            elif r < 0.7:
                h.wheel(h.rnd.choice([300, 500, -400, -600]))
                h.think(1, 3)
            elif r < 0.78:
                h.move_to(".chart")
                h.think(1, 3)
            else:
                h.click("#nav a[data-route=%s]" % h.rnd.choice(["orders", "settings"]))
                h.think(1, 2)
        elif route == "orders":
            if r < 0.45:
                _hover_rows(h, "tbody tr", h.rnd.randint(3, 7), end)
            elif r < 0.7:
                rows = page.locator("tbody tr").count()
                h.click("tbody tr:nth-child(%d)" % h.rnd.randint(1, max(1, rows)))
                h.think(1, 3)
            elif r < 0.8:
                page.evaluate("history.back()")  # the browser's back button
                h.think(1, 2)
            else:
                h.click("#nav a[data-route=dashboard]")
                h.think(1, 2)
        else:  # settings
            if r < 0.35:
                h.click("#s-name")
                h.key("End")
                h.key("Backspace", h.rnd.randint(2, 5))
                h.type(h.rnd.choice(["desk", "team", "ops"]))
                h.think(0.5, 1.5)
            elif r < 0.55:
                h.click("#s-push")
                h.think(0.5, 1.5)
            elif r < 0.7:
                h.click("#s-save")
                h.think(1, 2)
            else:
                h.click("#nav a[data-route=dashboard]")
                h.think(1, 2)
        if _left(end) > 3 and h.rnd.random() < 0.3:
            h.jiggle(1)


def _hover_rows(h, selector: str, n: int, end: float):
    """Run the pointer down a table, pausing on rows as if reading them."""
    boxes = h.page.evaluate(
        """(sel) => Array.from(document.querySelectorAll(sel)).map(e => e.getBoundingClientRect())
            .filter(r => r.top > 120 && r.bottom < innerHeight - 10).map(r => ({x: r.left, y: r.top, w: r.width, h: r.height}))""",
        selector,
    )
    if not boxes:
        h.wheel(400)
        return
    i = h.rnd.randrange(len(boxes))
    for _ in range(n):
        if _left(end) < 3:
            return
        b = boxes[i]
        h.move(b["x"] + h.rnd.uniform(0.1, 0.8) * b["w"], b["y"] + b["h"] / 2)
        h.think(0.3, 1.8)
        i = max(0, min(len(boxes) - 1, i + h.rnd.choice([-1, 1, 1, 2])))


# ---- trading: a trader watching a live board and chatting ------------------------


def trading(h, end: float):
    h.think(1, 2)
    said = 0
    while _left(end) > 3:
        r = h.rnd.random()
        if r < 0.45:
            _hover_rows(h, "#board tr", h.rnd.randint(3, 8), end)
        elif r < 0.7:
            h.click("#board tr:nth-child(%d)" % h.rnd.randint(1, 30))
            h.think(1, 3)
        elif r < 0.85 and said < 4:
            said += 1
            h.click("#msg")
            h.type(h.rnd.choice(["watching TIDE", "sold half", "nice run on ALBA", "brb"]), fast=True)
            h.key("Enter")
            h.think(1, 2)
        else:
            h.move_to("#log")
            h.think(1, 3)


# ---- unkeyed: a list re-rendered whole on every change --------------------------------


def unkeyed(h, end: float):
    h.think(1, 2)
    while _left(end) > 3:
        r = h.rnd.random()
        if r < 0.3:
            h.click("#filter")
            h.key("Backspace", 3)
            h.type(h.rnd.choice(["ves", "1", "vessel a", ""]) or " ")
            h.think(1, 3)
        elif r < 0.5:
            h.click("#sort")
            h.think(1, 3)
        elif r < 0.75:
            _hover_rows(h, ".card", h.rnd.randint(3, 6), end)
        else:
            h.wheel(h.rnd.choice([300, -300, 500]))
            h.think(1, 3)


# ---- widgets: custom elements, CSSOM themes, an iframe, a dialog ------------------------


def widgets(h, end: float):
    h.think(1, 2)
    while _left(end) > 4:
        r = h.rnd.random()
        if r < 0.15:
            h.click("#theme-toggle")
            h.think(1, 2)
        elif r < 0.3:
            h.click("#more summary")
            h.think(1, 2)
        elif r < 0.42:
            h.click("#open-dialog")
            h.think(1, 2)
            h.click("#ack")
            h.think(0.5, 1)
        elif r < 0.55:
            h.click("search-box #q")
            h.key("Backspace", 4)
            h.type(h.rnd.choice(["web", "db-1", "cache", ""]) or " ", fast=True)
            h.think(1, 2)
        elif r < 0.67:
            b = h.box("#frame")  # the Drain button inside the same-origin iframe
            h.move(b["x"] + 30, b["y"] + 52)
            h.page.mouse.down()
            h.wait(80)
            h.page.mouse.up()
            h.think(1, 2)
        elif r < 0.8:
            h.move_to("#feed")
            h.wheel(h.rnd.choice([200, -200, 400]))
            h.think(1, 2)
        elif r < 0.88:
            h.click("#mute")
            h.think(0.5, 1.5)
        else:
            h.jiggle(2)


# ---- apidocs, redoc: third-party front ends (Swagger UI, Redoc), this project's own API -----


def apidocs(h, end: float):
    """A developer reading Swagger UI: operations opened and closed, "Try it out", a parameter typed."""
    h.page.wait_for_selector(".opblock-summary", timeout=15000)
    h.think(1, 2)
    while _left(end) > 4:
        r = h.rnd.random()
        ops = h.page.locator(".opblock-summary").count()
        if r < 0.35 and ops:
            h.click(f".opblock >> nth={h.rnd.randrange(ops)} >> .opblock-summary")
            h.think(1, 2.5)
        elif r < 0.5 and h.page.locator(".try-out__btn").count():
            h.click(".try-out__btn")
            h.think(0.5, 1.5)
            if h.page.locator(".parameters input[type=text]").count():
                h.click(".parameters input[type=text]")
                h.type(h.rnd.choice(["42", "abc", "2026-12-01"]), fast=True)
                h.think(1, 2)
            if h.page.locator(".btn.execute").count():
                h.click(".btn.execute")  # a real request (this page's origin answers 404) and its response shown
                h.think(1.5, 3)
        elif r < 0.6 and h.page.locator(".models-control").count():
            h.click(".models-control")
            h.think(1, 2)
        elif r < 0.85:
            h.move(640, 400)
            h.wheel(h.rnd.choice([300, -300, 600, -200]))
            h.think(1, 2.5)
        else:
            h.jiggle(2)


def redoc(h, end: float):
    """A developer reading Redoc: the menu, the long page scrolled, response samples switched."""
    h.page.wait_for_selector("[role=menuitem]", timeout=15000)
    h.think(1, 2)
    while _left(end) > 4:
        r = h.rnd.random()
        items = h.page.locator("[role=menuitem]:visible").count()
        if r < 0.35 and items:
            h.click(f"[role=menuitem]:visible >> nth={h.rnd.randrange(items)}")
            h.think(1, 2.5)
        elif r < 0.5 and (tabs := h.page.locator(".react-tabs__tab:visible").count()):
            h.click(f".react-tabs__tab:visible >> nth={h.rnd.randrange(tabs)}")
            h.think(1, 2)
        elif r < 0.85:
            h.move(800, 450)
            h.wheel(h.rnd.choice([400, -300, 800, 300]))
            h.think(1, 2.5)
        else:
            h.jiggle(2)


def dash(h, end: float):
    """A trader on a Plotly Dash dashboard: instruments picked, the window slid, the live
    chart hovered, the positions table sorted, filtered, paged and edited."""
    h.page.wait_for_selector(".js-plotly-plot .main-svg", timeout=15000)
    h.think(1, 2)
    tab = "live"
    while _left(end) > 5:
        r = h.rnd.random()
        if r < 0.12:
            tab = "positions" if tab == "live" else "live"
            h.click(f".tab >> text={tab.title()}")
            h.think(1, 2)
        elif tab == "live" and r < 0.35:
            h.click("#inst")
            h.think(0.4, 1)
            if h.page.locator("[role=option]:visible").count():  # open (a click on an open one closes it)
                h.click(f"[role=option]:visible >> nth={h.rnd.randrange(6)}")
            h.think(1, 2)
        elif tab == "live" and r < 0.5:
            b = h.box("#window .dash-slider-root")
            h.move(b["x"] + b["width"] * h.rnd.uniform(0.02, 0.98), b["y"] + b["height"] / 2)
            h.page.mouse.down()
            h.wait(h.rnd.uniform(60, 140))
            h.page.mouse.up()
            h.think(1, 2)
        elif tab == "live" and r < 0.8:
            b = h.box(".js-plotly-plot .nsewdrag")
            for _ in range(h.rnd.randrange(3, 7)):  # along the line: plotly's hover labels follow
                h.move(b["x"] + b["width"] * h.rnd.uniform(0.05, 0.95), b["y"] + b["height"] * h.rnd.uniform(0.2, 0.8))
                h.think(0.2, 0.8)
            h.move(b["x"] + b["width"] / 2, b["y"] - 80)
        elif tab == "positions" and r < 0.4:
            h.click(f".column-header--sort >> nth={h.rnd.randrange(6)}")
            h.think(1, 2)
        elif tab == "positions" and r < 0.55:
            col = h.rnd.choice([1, 2])
            h.click(f"th.dash-filter >> nth={col}")
            h.page.keyboard.press("Control+A")
            h.type(h.rnd.choice(["FX", "Rates", "EURUSD", "", "Crypto"]) if col == 1 else h.rnd.choice(["USD", "GOLD", ""]))
            h.key("Enter")
            h.think(1, 2)
        elif tab == "positions" and r < 0.7:
            pager = [b for b in ("button.next-page", "button.previous-page", "button.first-page")
                     if h.page.locator(f"{b}:visible:enabled").count()]  # none when a filter leaves one page
            if pager:
                h.click(f"{h.rnd.choice(pager)}:visible")
            h.think(0.8, 1.6)
        elif tab == "positions" and r < 0.8 and (cells := h.page.locator("td[data-dash-column=qty]:visible").count()):
            h.click(f"td[data-dash-column=qty]:visible >> nth={h.rnd.randrange(min(cells, 5))}")
            h.type(str(h.rnd.randrange(100, 999)))
            h.key("Enter")
            h.think(1, 2)
        elif r < 0.9:
            h.move(800, 450)
            h.wheel(h.rnd.choice([300, -300, 200]))
            h.think(1, 2)
        else:
            h.jiggle(2)


SCENARIOS = {
    "article": ("/article.html", article),
    "checkout": ("/checkout.html", checkout),
    "spa": ("/spa/dashboard", spa),
    "trading": ("/trading.html", trading),
    "unkeyed": ("/unkeyed.html", unkeyed),
    "widgets": ("/widgets.html", widgets),
    "apidocs": ("/apidocs.html", apidocs),
    "redoc": ("/redoc.html", redoc),
    "dash": ("/dash/", dash),
}


def scripted_visit(page, url: str, name: str, seconds: float, seed: int) -> float:
    """Opens `url` (page `name`'s, for some variant) and runs its visitor until `seconds` after; the seconds
    it took. The checkout's visitor thinks faster in shorter visits so that the form is still filled in."""
    from harness import Human

    _, script = SCENARIOS[name]
    speed = max(0.3, (seconds - 55) / 80) if name == "checkout" else 1.0
    t0 = time.monotonic()
    page.goto(url)
    script(Human(page, seed=seed, speed=speed), t0 + seconds)
    return time.monotonic() - t0


# ---- spa on a fixed schedule (frame cost) ---------------------------------------------


def spa_plan(seed: int, seconds: float) -> list[tuple[float, str, tuple]]:
    """The SPA visitor's actions planned in advance: (start offset in s, action, args).
    Every variant then shows the same view at the same time, whatever each action
    costs; the route is tracked by the plan, not read from the page."""
    import random

    rnd = random.Random(seed)
    plan, t, route, stack = [], 1.5, "dashboard", []

    def nav(to):
        nonlocal route
        stack.append(route)
        route = to

    while t < seconds - 3:
        r = rnd.random()
        if route == "dashboard":
            if r < 0.55:
                n = rnd.randint(4, 10)
                plan.append((t, "hover", (n, rnd.randrange(10_000))))
                t += 0.9 * n
            elif r < 0.7:
                plan.append((t, "wheel", (rnd.choice([300, 500, -400, -600]),)))
                t += 2.5
            elif r < 0.78:
                plan.append((t, "move_to", (".chart",)))
                t += 2.5
            else:
                to = rnd.choice(["orders", "settings"])
                plan.append((t, "click", (f"#nav a[data-route={to}]",)))
                nav(to)
                t += 2.0
        elif route == "orders":
            if r < 0.45:
                n = rnd.randint(3, 7)
                plan.append((t, "hover", (n, rnd.randrange(10_000))))
                t += 0.9 * n
            elif r < 0.7:
                plan.append((t, "click", (f"tbody tr:nth-child({rnd.randint(1, 30)})",)))
                t += 2.5
            elif r < 0.8 and stack:
                plan.append((t, "back", ()))
                route = stack.pop()
                t += 2.0
            else:
                plan.append((t, "click", ("#nav a[data-route=dashboard]",)))
                nav("dashboard")
                t += 2.0
        else:
            if r < 0.35:
                plan.append((t, "retype", (rnd.randint(2, 5), rnd.choice(["desk", "team", "ops"]))))
                t += 4.0
            elif r < 0.55:
                plan.append((t, "click", ("#s-push",)))
                t += 2.0
            elif r < 0.7:
                plan.append((t, "click", ("#s-save",)))
                t += 2.5
            else:
                plan.append((t, "click", ("#nav a[data-route=dashboard]",)))
                nav("dashboard")
                t += 2.0
        if rnd.random() < 0.3:
            plan.append((t, "jiggle", ()))
            t += 1.5
    return plan


def spa_scheduled(h, seconds: float, seed: int):
    """Run spa_plan(seed, seconds): each action starts at its planned offset."""
    t0 = time.monotonic()
    for offset, action, args in spa_plan(seed, seconds):
        h.wait(1000 * (t0 + offset - time.monotonic()))
        if action == "hover":
            n, pick = args
            boxes = h.page.evaluate(
                """() => Array.from(document.querySelectorAll('tbody tr')).map(e => e.getBoundingClientRect())
                    .filter(r => r.top > 120 && r.bottom < innerHeight - 10).map(r => ({x: r.left, y: r.top, w: r.width, h: r.height}))"""
            )
            if boxes:
                i = pick % len(boxes)
                for k in range(n):
                    b = boxes[min(len(boxes) - 1, i + k)]
                    h.move(b["x"] + (0.2 + 0.1 * (k % 5)) * b["w"], b["y"] + b["h"] / 2, ms=350)
                    h.wait(450)
        elif action == "wheel":
            h.wheel(args[0])
        elif action == "move_to":
            h.move_to(args[0])
        elif action == "click":
            h.click(args[0])
        elif action == "back":
            h.page.evaluate("history.back()")
        elif action == "retype":
            h.click("#s-name")
            h.key("End")
            h.key("Backspace", args[0])
            h.type(args[1], fast=True)
        elif action == "jiggle":
            h.move(min(1200, max(40, h.x + 80)), min(760, max(40, h.y + 40)), ms=400)
    h.wait(1000 * (t0 + seconds - time.monotonic()))
