"""The web console in a real browser against a real SAIS: `sais up --demo` (the 5,000-person demo
city with the seed story planted) on a free port, headless Chromium driven over the DevTools
protocol (tests/browser/cdp.py). Signs in with the admin key, works the alerts queue, looks up
the seed story's household, reviews an application, files one, checks every answer against
the API itself, and leaves screenshots in $SAIS_BUILD_DIR/browser-screenshots/.

Not part of `make test`: it needs Debian's chromium (`make test-browser` installs it)."""
import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from sais_harness import BIN, SRC, Cluster, Results  # noqa: E402
from cdp import Browser, JsError  # noqa: E402

R = Results()
BUILD = os.environ.get("SAIS_BUILD_DIR") or os.path.dirname(os.path.abspath(BIN))
SHOTS = os.path.join(BUILD, "browser-screenshots")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SETTLED = ("pending_review", "approved", "rejected")
MARKUP = '<img src="x" onerror="window.__pwned=1"><b>粗</b>'


def q(sel):
    return json.dumps(sel)


def text_of(page, sel):
    return page.evaluate("(() => { const e = document.querySelector(%s); return e ? e.textContent : null; })()" % q(sel))


def exists(page, sel):
    return page.evaluate("!!document.querySelector(%s)" % q(sel))


def wait_api(fn, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.5)
    return None


def planted_case(data_dir, name):
    with open(os.path.join(data_dir, "demo-feeds", "planted.json")) as f:
        for c in json.load(f)["cases"]:
            if c["case"] == name:
                return c
    raise AssertionError("planted.json has no case %s" % name)


def nav(page, view):
    """Clicks a navigation entry and waits until that view has finished loading."""
    page.click("nav a[data-view=%s]" % view)
    ok = page.wait("(() => { const m = document.querySelector('main#view');"
                   " return !!m && m.dataset.view === %s && !m.querySelector('.loading'); })()" % q(view), 20)
    if not ok:
        raise AssertionError("the %s view did not finish loading" % view)


def search(page, form, results):
    """Submits a filter form and waits until the results were drawn anew (the old ones are
    marked first, so a wait cannot be satisfied by what was there before)."""
    page.evaluate("[...document.querySelector(%s).children].forEach(c => c.dataset.stale = '1')" % q(results))
    page.click(form + " button[type=submit]")
    ok = page.wait("(() => { const r = document.querySelector(%s); return !!r && r.children.length > 0"
                   " && !r.querySelector('[data-stale], .loading'); })()" % q(results), 20)
    if not ok:
        raise AssertionError("%s did not answer" % form)


def shot(page, name):
    path = page.screenshot(os.path.join(SHOTS, name + ".png"))
    print("     screenshot %s" % path)


def step(what, fn):
    """Runs one part of the walk; a driver failure is a failed check, not a crash, so the
    screenshots and the rest of the checks still come."""
    try:
        fn()
    except (JsError, AssertionError, RuntimeError, KeyError, TypeError) as e:
        R.check(False, "%s: %s" % (what, e))


def main():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        print("chromium is not installed (apt-get install -y chromium)")
        R.check(False, "chromium is available at %s" % CHROMIUM)
        R.finish()
    os.makedirs(SHOTS, exist_ok=True)
    c = Cluster(mode="embedded", extra_config={"gateway.web_dir": os.path.join(SRC, "web")})
    c._spawn("up", [BIN, "up", "--config", c.cfg, "--demo"])
    browser = page = None
    try:
        c.wait_healthy(timeout=300)
        # `sais up --demo` writes data/demo.loaded once every feed went through ingest
        marker = os.path.join(c.data, "demo.loaded")
        R.check(bool(wait_api(lambda: os.path.exists(marker), 600)), "sais up --demo loaded the demo city")
        with open(os.path.join(c.data, "admin.key")) as f:
            c.http.key = f.read().strip()
        api = c.http
        base = "http://127.0.0.1:%d" % c.http_port
        seed = planted_case(c.data, "temp_medical_seed_story")
        hh, head = seed["household_id"], seed["id_number"]

        def seed_granted():
            st, body, _ = api.get("/v1/entitlements?policy=temp_medical&region=%s" % hh[1:7])
            return st == 200 and any(e["household_id"] == hh for e in body["items"])
        R.check(bool(wait_api(seed_granted, 300)), "the demo city is loaded: the seed story's temp_medical grant exists")
        c.quiescent(timeout=300)

        browser = Browser(CHROMIUM, log_path=os.path.join(c.tmp, "chromium.log"))
        page = browser.page()
        ctx = {"api": api, "base": base, "hh": hh, "head": head, "page": page, "cluster": c}
        step("console and sign-in", lambda: sign_in(ctx))
        step("health view", lambda: health(ctx))
        step("alerts queue", lambda: alerts(ctx))
        step("household lookup", lambda: household(ctx))
        step("entitlements list", lambda: entitlements(ctx))
        step("applications queue", lambda: applications(ctx))
        step("filing an application", lambda: file_application(ctx))
        step("feeds view", lambda: feeds(ctx))
        step("keys view", lambda: keys(ctx))
        step("caseworker key", lambda: caseworker(ctx))
        R.check(not page.errors, "no script errors, console errors or CSP violations: %r" % page.errors[:5])
    finally:
        if page:
            page.close()
        if browser:
            browser.close()
        try:
            c.stop()
            R.check(True, "sais stopped cleanly")
        except AssertionError as e:
            R.check(False, str(e))
        c.cleanup()
    print("screenshots in %s" % SHOTS)
    R.finish()


def sign_in(x):
    p, api = x["page"], x["api"]
    st, body, hdrs = api.get("/console/index.html", key="")
    R.check(st == 200 and b"app.js" in body and "text/html" in hdrs.get("Content-Type", ""), "the gateway serves the console")
    p.navigate(x["base"] + "/console/")
    R.check(bool(p.wait("!!document.querySelector('#signin-form #key')", 15)), "the sign-in form is shown")
    shot(p, "01-sign-in")

    p.type("#key", "sais_000000000000_not-a-real-key")
    p.click("#signin-form button[type=submit]")
    R.check(bool(p.wait("!!document.querySelector('#signin-form .problem')", 15)), "an unknown key is refused")
    R.check("401" in (text_of(p, "#signin-form .problem") or ""), "with the 401 problem shown")
    R.check(p.evaluate("sessionStorage.length === 0"), "and nothing is kept")

    p.type("#key", api.key)
    p.click("#signin-form button[type=submit]")
    who = p.wait("document.querySelector('#whoami') && document.querySelector('#whoami').textContent", 15)
    R.check(bool(who) and "admin" in who and "confirmed" in who, "signed in, the header says admin (confirmed): %r" % who)
    R.check(p.evaluate("sessionStorage.getItem('sais.console.key')") == api.key, "the key is in sessionStorage")
    R.check(p.evaluate("localStorage.length") == 0 and p.evaluate("document.cookie") == "",
            "nothing in localStorage or cookies")
    R.check(api.key not in p.evaluate("location.href"), "the key is not in the URL")
    p.navigate(x["base"] + "/console/#alerts")
    R.check(bool(p.wait("!!document.querySelector('#whoami')", 15)), "a reload keeps the tab signed in")


def health(x):
    p, api = x["page"], x["api"]
    nav(p, "health")
    R.check(bool(p.wait("document.querySelectorAll('#health tr[data-service]').length > 0", 15)), "health lists the services")
    st, body, _ = api.get("/healthz", key="")
    shown = p.evaluate("Object.fromEntries([...document.querySelectorAll('#health tr[data-service]')]"
                       ".map(r => [r.dataset.service, r.dataset.state]))")
    R.check(shown == body["services"], "every service's state as /healthz says: %r" % shown)
    R.check(all(v == "up" for v in shown.values()) and len(shown) == 8, "all eight services up")
    R.check(exists(p, "#health-problems") == bool(body.get("problems")),
            "a problems box exactly when /healthz lists problems (%r)" % body.get("problems"))
    R.check(bool(p.wait("document.querySelectorAll('#health tr[data-consumer]').length > 0", 15)),
            "health lists the event bus")
    st, text, _ = api.get("/metrics", key="")
    text = text.decode() if isinstance(text, bytes) else text
    want = {}
    for line in text.splitlines():
        if line.startswith("sais_bus_lag{"):
            con = line.split('consumer="', 1)[1].split('"', 1)[0]
            prod = line.split('producer="', 1)[1].split('"', 1)[0]
            want["%s<-%s" % (con, prod)] = [line.rsplit(" ", 1)[1], "0"]
    bus = p.evaluate("Object.fromEntries([...document.querySelectorAll('#health tr[data-consumer]')]"
                     ".map(r => [r.dataset.consumer + '<-' + r.dataset.producer, [r.dataset.lag, r.dataset.diverged]]))")
    R.check(bus == want and len(bus) >= 15,
            "every consumer and producer of /metrics, with its lag, none diverged (%d pairs)%s"
            % (len(bus), "" if bus == want else ": %r vs %r" % (bus, want)))
    R.check(bool(p.evaluate("!!document.querySelector('#work dd')")), "and the work the cursors do not show")
    shot(p, "02-health")


def alerts(x):
    p, api, hh = x["page"], x["api"], x["hh"]
    nav(p, "alerts")
    R.check(bool(p.wait("document.querySelectorAll('#alert-list tr[data-alert]').length > 0", 15)), "the open alerts queue loads")
    p.choose("#alert-filters select[name=kind]", "catastrophic_medical")
    p.type("#alert-filters input[name=region]", hh[1:7])
    search(p, "#alert-filters", "#alert-list")
    row = "#alert-list tr[data-household=%s][data-kind=catastrophic_medical]" % hh
    R.check(bool(p.wait("!!document.querySelector(%s)" % q(row), 15)), "the seed household's catastrophic_medical alert is listed")
    kinds = p.evaluate("[...document.querySelectorAll('#alert-list tr[data-alert]')].map(r => r.dataset.kind)")
    R.check(kinds and set(kinds) == {"catastrophic_medical"}, "the kind filter applies (%d rows)" % len(kinds or []))
    alert_id = p.evaluate("document.querySelector(%s).dataset.alert" % q(row))
    st, body, _ = api.get("/v1/alerts?status=open&kind=catastrophic_medical&region=%s" % hh[1:7])
    mine = [a for a in body["items"] if a["alert_id"] == alert_id]
    R.check(st == 200 and len(mine) == 1 and mine[0]["severity"] == "high", "the API agrees: %s open, high" % alert_id)
    p.click(row)
    R.check(bool(p.wait("!!document.querySelector('.alert-detail ul.evidence li')", 10)), "opening it shows the evidence")
    ev = text_of(p, ".alert-detail ul.evidence") or ""
    R.check(all(e["record_id"] in ev for e in mine[0]["evidence"]), "every evidence record is listed")
    acts = text_of(p, ".alert-detail ul.actions") or ""
    R.check("32160.00" in acts and "temp_medical" in acts, "and the action taken: %r" % acts)
    shot(p, "03-alert-detail")

    p.type(".ack-form input[name=note]", "已电话联系 called the family " + MARKUP)
    p.click(".ack-form button[type=submit]")
    R.check(bool(p.wait("(document.querySelector('#alert-messages') || {}).textContent?.includes(%s)" % q(alert_id), 15)),
            "acknowledging says so")
    R.check(bool(p.wait("!document.querySelector(%s)" % q(row), 10)), "and the alert leaves the open queue")
    st, a, _ = api.get("/v1/alerts?status=acknowledged&kind=catastrophic_medical&region=%s" % hh[1:7])
    acked = [i for i in a["items"] if i["alert_id"] == alert_id]
    R.check(acked and acked[0]["note"].endswith(MARKUP), "the API has it acknowledged with the note")

    p.choose("#alert-filters select[name=status]", "acknowledged")
    search(p, "#alert-filters", "#alert-list")
    R.check(bool(p.wait("!!document.querySelector(%s)" % q(row), 15)), "it is in the acknowledged list")
    p.click(row)
    R.check(bool(p.wait("!!document.querySelector('.resolve-form')", 10)), "an admin may resolve it")
    note = p.evaluate("[...document.querySelectorAll('.alert-detail dd')].map(d => d.textContent).join('|')")
    R.check(MARKUP in note, "a note holding markup is shown as text")
    R.check(p.evaluate("window.__pwned === undefined && !document.querySelector('#view img[src=\"x\"]') "
                       "&& !document.querySelector('#view b')"), "and none of it became elements")
    p.type(".resolve-form input[name=outcome]", "assisted")
    p.type(".resolve-form input[name=note]", "临时救助已发放 grant paid")
    p.click(".resolve-form button[type=submit]")
    R.check(bool(p.wait("!document.querySelector(%s)" % q(row), 15)), "resolving removes it from the acknowledged list")
    st, a, _ = api.get("/v1/alerts?status=resolved&kind=catastrophic_medical&region=%s" % hh[1:7])
    done = [i for i in a["items"] if i["alert_id"] == alert_id]
    R.check(done and done[0]["outcome"] == "assisted", "the API has it resolved, outcome assisted")
    p.choose("#alert-filters select[name=status]", "open")
    p.choose("#alert-filters select[name=kind]", "")
    p.type("#alert-filters input[name=region]", "")
    search(p, "#alert-filters", "#alert-list")
    p.wait("document.querySelectorAll('#alert-list tr[data-alert]').length > 0", 15)
    shot(p, "04-alerts-queue")


def fullwidth(s):
    """As a Chinese input method in full-width mode types it: ３３０３２６…Ｘ."""
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" or c == "X" else c for c in s)


def household(x):
    p, api, hh, head = x["page"], x["api"], x["hh"], x["head"]
    nav(p, "household")
    R.check(bool(p.wait("!!document.querySelector('#household-form')", 10)), "the household lookup opens")
    p.type("#household-q", hh)
    search(p, "#household-form", "#household-result")
    R.check(bool(p.wait("!!document.querySelector('#household-card')", 15)), "the household is shown")
    R.check(hh not in p.evaluate("location.href"), "the household id stays out of the URL")
    st, body, _ = api.get("/v1/households/" + hh)
    names = p.evaluate("[...document.querySelectorAll('#household-card tbody tr')].map(r => r.textContent).join('|')")
    R.check(all(m["name"] in names and m["id_number"] in names for m in body["members"]), "every member is listed")
    ent = p.evaluate("(() => { const r = document.querySelector('#household-card tr.entitlement[data-policy=temp_medical]');"
                     " return r ? r.textContent : null; })()")
    R.check(ent is not None and "32160.00" in ent, "the seed story household shows temp_medical 32160.00: %r" % ent)
    R.check(ent is not None and "proactive" in ent, "granted proactively")
    pc = text_of(p, "#household-card dl.facts") or ""
    R.check("%.2f" % body["per_capita_monthly_income"] in pc, "per-capita income with two decimals as returned")
    R.check(bool(p.wait("!!document.querySelector('#benefits-card table')", 10)) and
            "32160.00" in (text_of(p, "#benefits-card") or ""), "the benefits list has the grant")
    img = p.wait("(() => { const i = document.querySelector('#visit-qr'); return i && i.complete && i.naturalWidth > 0"
                 " ? [i.src.slice(0, 26), i.naturalWidth] : null; })()", 10)
    R.check(bool(img) and img[0] == "data:image/svg+xml;charset" and img[1] > 0, "the visit code QR is an image that loads: %r" % img)
    R.check(p.evaluate("document.querySelectorAll('svg').length") == 0, "no SVG markup was put into the page")
    st, code, _ = api.get("/v1/households/%s/visit-code" % hh)
    R.check(st == 200 and code["expires_at"].replace("T", " ").replace("Z", "") in (text_of(p, "#visit-code-card") or ""),
            "the token's expiry is shown")
    shot(p, "05-household")

    p.click("#household-card button.link")  # the first member: the head
    R.check(bool(p.wait("!!document.querySelector('#person-card')", 15)), "a member's ID number opens the person")
    pid = p.evaluate("document.querySelector('#person-card').dataset.id")
    st, person, _ = api.get("/v1/persons/" + pid)
    R.check(text_of(p, "#person-oop") == "%.2f" % person["medical_oop_12m"], "the person's medical OOP %s" % text_of(p, "#person-oop"))
    R.check(pid != head or text_of(p, "#person-oop") == "40200.00", "the head's is 40200.00")
    R.check(pid not in p.evaluate("location.href"), "the ID number stays out of the URL")
    shot(p, "06-person")

    p.type("#household-q", "  " + fullwidth(head))
    search(p, "#household-form", "#household-result")
    R.check(p.wait("(document.querySelector('#person-card') || {dataset: {}}).dataset.id === %s" % json.dumps(head), 15),
            "an ID typed in full-width digits finds the person")

    bad = head[:17] + ("1" if head[17] != "1" else "2")
    p.type("#household-q", bad)
    search(p, "#household-form", "#household-result")
    R.check(bool(p.wait("!!document.querySelector('#household-result .problem')", 10)), "a bad ID number shows the problem")
    R.check("bad_check_digit" in (text_of(p, "#household-result .problem") or ""), "naming the field error code")


def entitlements(x):
    p, api, hh = x["page"], x["api"], x["hh"]
    nav(p, "entitlements")
    R.check(bool(p.wait("!!document.querySelector('#ent-list tr[data-entitlement]')", 15)), "the entitlements list loads")
    p.choose("#ent-filters select[name=policy]", "temp_medical")
    p.type("#ent-filters input[name=region]", hh[1:7])
    search(p, "#ent-filters", "#ent-list")
    row = "#ent-list tr[data-household=%s][data-policy=temp_medical]" % hh
    R.check(bool(p.wait("!!document.querySelector(%s)" % q(row), 15)), "filtered to temp_medical, the seed grant is there")
    st, body, _ = api.get("/v1/entitlements?policy=temp_medical&region=%s&status=active" % hh[1:7])
    ids = p.evaluate("[...document.querySelectorAll('#ent-list tr[data-entitlement]')].map(r => r.dataset.entitlement)")
    R.check(ids == [e["entitlement_id"] for e in body["items"]], "the rows are the API's list")
    R.check("32160.00" in (text_of(p, row + " td.money") or ""), "amount 32160.00")
    p.click(row)
    R.check(bool(p.wait("document.querySelectorAll('tr.detail-row ul.clauses li.pass').length > 0", 10)),
            "opening it shows the explanation, clause by clause")
    shot(p, "07-entitlements")


def applications(x):
    p, api, hh = x["page"], x["api"], x["hh"]
    nav(p, "applications")
    R.check(bool(p.wait("!!document.querySelector('#app-list table, #app-list .empty')", 15)), "the applications queue loads")
    st, body, _ = api.get("/v1/applications?status=pending_review&region=%s" % hh[1:7])
    target = next((a for a in body["items"] if a["household_id"] == hh), body["items"][0] if body["items"] else None)
    R.check(target is not None, "the API has a pending application in %s" % hh[1:7])
    p.type("#app-filters input[name=region]", hh[1:7])
    search(p, "#app-filters", "#app-list")
    row = "#app-list tr[data-application=%s]" % target["application_id"]
    R.check(bool(p.wait("!!document.querySelector(%s)" % q(row), 15)), "it is in the queue: %s" % target["application_id"])
    p.click(row)
    R.check(bool(p.wait("!!document.querySelector('.application .decision')", 15)), "opening it shows its decisions")
    n_clauses = p.evaluate("document.querySelectorAll('.application ul.clauses li').length")
    R.check(n_clauses == sum(len(d["explanation"]) for d in target["decisions"]), "with every explanation clause (%d)" % n_clauses)
    R.check(p.evaluate("document.querySelectorAll('.application table.grid tbody tr').length") == len(target["history"]),
            "and its history")
    shot(p, "08-application-detail")
    p.type(".review-form textarea[name=note]", "核实无误 verified " + MARKUP)
    p.click(".review-form button.approve")
    R.check(bool(p.wait("document.querySelector('.application') && document.querySelector('.application').dataset.status === 'approved'", 15)),
            "approving shows it approved")
    R.check(p.evaluate("(() => { const f = document.querySelector('.application .flash'); if (!f) return false;"
                       " const r = f.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()"),
            "and the confirmation is scrolled into view")
    st, app, _ = api.get("/v1/applications/" + target["application_id"])
    R.check(app["status"] == "approved" and app["history"][-1]["note"].endswith(MARKUP), "the API has it approved with the note")
    R.check(MARKUP in (text_of(p, ".application") or "") and p.evaluate("window.__pwned === undefined"),
            "the note is shown as text")
    R.check(not exists(p, ".review-form"), "no review form once decided")
    shot(p, "09-application-approved")


def file_application(x):
    p, api = x["page"], x["api"]
    other = planted_case(x["cluster"].data, "dibao_basic")
    nav(p, "apply")
    R.check(bool(p.wait("!!document.querySelector('#apply-form')", 10)), "the application form opens")
    fields = p.evaluate("[...document.querySelectorAll('#apply-form [name]')].map(e => e.name)")
    R.check(fields == ["id_number", "channel", "filed_region"], "it asks for ID number, channel and filed region only: %r" % fields)
    bad = other["id_number"][:17] + ("1" if other["id_number"][17] != "1" else "2")
    p.type("#apply-id", bad)
    p.type("#apply-region", "330326")
    p.click("#apply-form button[type=submit]")
    R.check(bool(p.wait("!!document.querySelector('#apply-result .problem')", 15)), "a bad ID number is refused")
    R.check("bad_check_digit" in (text_of(p, "#apply-result .problem-errors") or ""), "the per-field error is listed")
    R.check(p.evaluate("document.querySelector('#apply-id').classList.contains('invalid')")
            and "bad_check_digit" in (text_of(p, "#apply-form .field-error") or ""), "and marked on the field")
    shot(p, "10-apply-invalid")

    # typed with a Chinese input method in full-width mode: the same ID
    p.type("#apply-id", fullwidth(other["id_number"]))
    p.choose("#apply-form select[name=channel]", "window")
    p.click("#apply-form button[type=submit]")
    R.check(bool(p.wait("!!document.querySelector('#apply-progress')", 15)), "filed: the console follows the application")
    status = p.wait("(() => { const a = document.querySelector('#apply-result .application');"
                    " return a && %s.includes(a.dataset.status) ? a.dataset.status : null; })()" % json.dumps(list(SETTLED)), 120)
    R.check(status in SETTLED, "polling reaches a decision: %s" % status)
    app_id = p.evaluate("(document.querySelector('#apply-result .application') || {dataset: {}}).dataset.application")
    st, app, _ = api.get("/v1/applications/%s" % app_id)
    R.check(st == 200 and app["status"] == status, "the API agrees (%s %s)" % (app_id, app.get("status")))
    R.check(app["id_number"] == other["id_number"], "the full-width ID was sent as the ID (%s)" % app.get("id_number"))
    R.check(app["filed_region"] == "330326" and app["handled_region"] == other["household_id"][1:7],
            "filed in Pingyang, handled where the household is registered (%s)" % app["handled_region"])
    R.check(p.evaluate("document.querySelectorAll('#apply-result .decision').length") == len(app["decisions"]),
            "every decision is shown")
    shot(p, "11-apply-decided")


def feeds(x):
    p, api = x["page"], x["api"]
    nav(p, "feeds")
    R.check(bool(p.wait("document.querySelectorAll('#feeds tr[data-source]').length > 0", 15)), "the feeds view loads")
    st, body, _ = api.get("/v1/feeds")
    shown = p.evaluate("Object.fromEntries([...document.querySelectorAll('#feeds tr[data-source]')]"
                       ".map(r => [r.dataset.source, Number(r.dataset.accepted)]))")
    R.check(shown == {f["source"]: f["accepted"] for f in body["items"]} and len(shown) == 7,
            "seven sources with the API's counts")
    shot(p, "12-feeds")


def keys(x):
    p, api = x["page"], x["api"]
    nav(p, "keys")
    R.check(bool(p.wait("document.querySelectorAll('#keys tr[data-key]').length > 0", 15)), "the keys view lists keys")
    st, body, _ = api.get("/v1/keys?limit=1000")
    shown = p.evaluate("[...document.querySelectorAll('#keys tr[data-key]')].map(r => r.dataset.key).sort()")
    R.check(shown == sorted(k["id"] for k in body["items"]), "every key the API lists (%d)" % len(shown))
    R.check(p.evaluate("!!document.querySelector('#keys tr[data-key] .muted')"), "the signed-in key is marked, not deletable")
    p.type("#key-form input[name=name]", "冬季助学 charity")
    p.choose("#key-form select[name=role]", "charity")
    p.evaluate("document.querySelector('#key-form input[name=expires]').value = '2027-03-01T00:00'")
    p.click("#key-form button[type=submit]")
    secret = p.wait("document.querySelector('#new-secret') && document.querySelector('#new-secret').textContent", 15)
    R.check(bool(secret) and secret.startswith("sais_"), "a new key's secret is shown once: %r" % (secret or "")[:10])
    kid = secret.split("_")[1] if secret else ""
    st, body, _ = api.get("/v1/keys?limit=1000")
    made = next((k for k in body["items"] if k["id"] == kid), None)
    R.check(made is not None and made["role"] == "charity" and made["expires_at"] == "2027-03-01T00:00:00Z",
            "the API has it as made, expiry included: %r" % made)
    R.check(bool(p.wait("!!document.querySelector('#keys tr[data-key=\"%s\"]')" % kid, 10)), "and the list shows it")
    R.check(p.evaluate("document.querySelector('#key-form select[name=role]').value") == "caseworker",
            "the form goes back to caseworker, never to admin")
    st, _, _ = api.get("/v1/stats", key=secret)
    R.check(st == 200, "the new key works (%s)" % st)
    shot(p, "13-keys")
    button = "#keys button[data-key=\"%s\"]" % kid
    p.click(button)
    R.check("Confirm" in (p.evaluate("document.querySelector(%s).textContent" % q(button)) or ""),
            "deleting asks for a second click")
    p.click(button)
    R.check(bool(p.wait("!document.querySelector('#keys tr[data-key=\"%s\"]')" % kid, 10)), "the second click deletes it")
    st, _, _ = api.get("/v1/stats", key=secret)
    R.check(st == 401, "and the key stops working at once (%s)" % st)


def caseworker(x):
    p, api, hh = x["page"], x["api"], x["hh"]
    region = hh[1:7]
    st, k, _ = api.post("/v1/keys", {"name": "平阳 caseworker", "role": "caseworker", "regions": [region]})
    R.check(st == 201, "admin creates a %s caseworker key" % region)
    p.click("#signout")
    R.check(bool(p.wait("!!document.querySelector('#signin-form')", 10)) and p.evaluate("sessionStorage.length") == 0,
            "signing out forgets the key")
    p.type("#key", k["key"])
    p.choose("#signin-form select[name=role]", "reviewer")  # what the user claims; the server decides
    p.click("#signin-form button[type=submit]")
    who = p.wait("document.querySelector('#whoami') && document.querySelector('#whoami').textContent", 15)
    R.check(bool(who) and "reviewer" in who and "chosen at sign-in" in who, "a non-admin key shows the picked role, honestly: %r" % who)
    R.check(not p.evaluate("!!document.querySelector('nav a[data-view=keys]')"), "a non-admin key is not offered the keys view")
    nav(p, "applications")
    p.choose("#app-filters select[name=status]", "")
    p.type("#app-filters input[name=region]", "")
    search(p, "#app-filters", "#app-list")
    R.check(bool(p.wait("document.querySelectorAll('#app-list tr[data-application]').length > 0", 15)), "its queue loads")
    handled = p.evaluate("[...document.querySelectorAll('#app-list tr[data-application]')].map(r => r.children[5].textContent)")
    R.check(all(("→ " + region) in t for t in handled), "only applications handled in %s" % region)
    p.choose("#app-filters select[name=status]", "pending_review")
    search(p, "#app-filters", "#app-list")
    if p.wait("!!document.querySelector('#app-list tr[data-application]')", 15):
        p.click("#app-list tr[data-application]")
        p.wait("!!document.querySelector('.review-form')", 10)
        p.click(".review-form button.approve")
        R.check(bool(p.wait("!!document.querySelector('.review-form .problem')", 10)), "a caseworker's review is refused")
        R.check("403" in (text_of(p, ".review-form .problem") or ""), "with the server's 403 problem shown")
        shot(p, "14-caseworker-403")
    else:
        R.check(False, "a pending application is in %s's queue" % region)

    st, _, _ = api.call("DELETE", "/v1/keys/" + k["id"])
    R.check(st == 204, "admin deletes the caseworker key")
    search(p, "#app-filters", "#app-list")
    R.check("401" in (text_of(p, "#app-list .problem") or ""), "the next request is refused (401) and shown")
    R.check(bool(p.wait("!!document.querySelector('#view .expired')", 5)), "the header says the key no longer works")
    shot(p, "15-key-revoked")


if __name__ == "__main__":
    main()
