#!/usr/bin/env python3
"""The web view in a real browser (Debian's chromium, headless, driven through chromedriver by
python3-selenium), for web_view.sh.

web_view.py URL TOKEN WORKDIR BOARDS BROKEN SCREENSHOT

Loads the page before the rack powers on and writes WORKDIR/ready once every board's tile is
drawn and the event stream is open; then waits (at most 180 s) until the page shows every board
but one booted and one failed, live from the stream, and checks: the failed tile names its file
and why; boots were seen in progress (the page was live during the power-on); nothing was lost;
a click shows the board's timeline; without the token there is no control, with it the failed
board BROKEN is moved to the image "good" and the rack r2 is turned netboot off from the page. Keeps a screenshot of the booted rack at SCREENSHOT.
"""
import json
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

URL, TOKEN, WORK, BOARDS, BROKEN, SHOT = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]


def fail(why):
    print("FAIL:", why, file=sys.stderr)
    sys.exit(1)


def wait(what, test, limit=30.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        got = test()
        if got:
            return got
        time.sleep(0.2)
    try:  # what the page was showing, and what the browser said
        shown = driver.execute_script("const c = {}; for (const t of document.querySelectorAll('.tile')) "
                                      "c[t.dataset.phase] = (c[t.dataset.phase] || 0) + 1; "
                                      "return [c, window.rackboot && window.rackboot.stats, "
                                      "document.getElementById('summary').textContent, "
                                      "document.getElementById('banner').textContent]")
        logs = [e["message"] for e in driver.get_log("browser")][-10:]
    except Exception as e:  # noqa: BLE001 - only for the message
        shown, logs = str(e), []
    fail(f"{what} (after {limit} s): the page shows {shown}; the browser said {logs}")


opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1600,1100",
          "--user-data-dir=" + os.path.join(WORK, "chromium-profile")):
    opts.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver", log_output=os.path.join(WORK, "chromedriver.log")),
                          options=opts)
try:
    js = driver.execute_script
    driver.get(URL)
    wait("every board's tile", lambda: js("return document.querySelectorAll('.tile').length") == BOARDS)
    wait("the event stream open", lambda: js("return window.rackboot.stats.connected"))
    if driver.find_elements(By.CSS_SELECTOR, ".rack-actions"):
        fail("rack controls shown without the token")
    if js("return document.getElementById('mode').textContent") != "read-only":
        fail("the page does not say it is read-only")
    open(os.path.join(WORK, "ready"), "w").close()

    def counts():
        return js("const c = {}; for (const t of document.querySelectorAll('.tile')) "
                  "c[t.dataset.phase] = (c[t.dataset.phase] || 0) + 1; return c;")

    wait(f"{BOARDS - 1} booted and 1 failed on the page",
         lambda: (lambda c: c.get("booted") == BOARDS - 1 and c.get("failed") == 1)(counts()), 180)
    stats = js("return window.rackboot.stats")
    if stats["maxInProgress"] < 1:
        fail(f"no boot was seen in progress: the page was not live ({stats})")
    if stats["lost"] != 0:
        fail(f"the page was told of lost events: {stats}")
    failed = driver.find_element(By.CSS_SELECTOR, ".tile.phase-failed")
    if failed.get_attribute("data-serial") != BROKEN:
        fail(f"board {failed.get_attribute('data-serial')} failed, not {BROKEN}")
    detail = failed.get_attribute("data-detail")
    if "kernel8.img" not in detail or "refused" not in detail:
        fail(f"the failed tile says '{detail}', not the file and why")
    if "failed: " not in failed.text:
        fail(f"the failed tile reads '{failed.text}'")
    summary = js("return [...document.querySelectorAll('#summary .count')].map(e => e.textContent)")
    driver.save_screenshot(SHOT)

    # A click: the board, its phase and its timeline.
    failed.click()
    panel = wait("the board's panel", lambda: (lambda p: p if "Timeline" in p.text else None)(
        driver.find_element(By.ID, "board")))
    if "kernel8.img" not in panel.text:
        fail(f"the board's panel does not name the file: {panel.text}")

    # With the token: the failed board moved to the image "good", and rack r2 turned netboot off,
    # from the page.
    if driver.find_elements(By.CSS_SELECTOR, "#board .actions"):
        fail("board controls shown without the token")
    driver.find_element(By.ID, "token").send_keys(TOKEN)
    driver.find_element(By.ID, "token-save").click()
    image = wait("the board's controls", lambda: (lambda s: s[0] if s else None)(
        driver.find_elements(By.CSS_SELECTOR, "#board .actions select")))
    Select(image).select_by_value("good")
    driver.find_element(By.XPATH, "//section[@id='board']//button[text()='move to image']").click()
    wait("the move's answer", lambda: "moved to good: done" in driver.find_element(By.ID, "board").text)
    api = URL.rstrip("/")
    if json.load(urllib.request.urlopen(f"{api}/api/v1/boards/{BROKEN}"))["image"] != "good":
        fail("the board was not moved to the image good")
    button = wait("rack r2's controls", lambda: (lambda b: b[0] if b else None)(driver.find_elements(
        By.XPATH, "//section[@data-rack='r2']//button[text()='netboot off']")))
    button.click()
    wait("rack r2 netboot off on the page", lambda: js(
        "return [...document.querySelectorAll(\"section[data-rack='r2'] .tile\")]"
        ".every(t => t.dataset.phase === 'off' && t.dataset.detail === 'netboot off')"))
    boards = json.load(urllib.request.urlopen(api + "/api/v1/boards?label=rack=r2&limit=1000"))["items"]
    if not boards or any(b["netboot"] for b in boards):
        fail("rack r2's boards still have netboot on in the API")
    print(f"the page showed {BOARDS - 1} booted and one failed ({detail}); {stats['events']} events applied, "
          f"{stats['maxInProgress']} boots in progress at most, none lost; phases {summary}; rack r2 "
          f"({len(boards)} boards) turned netboot off and {BROKEN} moved to image good from the page")
finally:
    driver.quit()
