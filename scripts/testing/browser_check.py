#!/usr/bin/python3
"""The browser test's driver: headless Chromium (Debian's chromium + chromium-driver, via Debian's
python3-selenium) loads uiserve's demo host page, which embeds the demo extension in
<iframe sandbox="allow-scripts"> (no allow-same-origin), and checks what a user would see.

Usage: browser_check.py BASE_URL   (e.g. http://127.0.0.1:8080)
Prints one JSON object with the findings and exits 0 when every check passed, 1 otherwise.
"""
import json, sys, time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

base = sys.argv[1].rstrip("/")
options = webdriver.ChromeOptions()
# Site isolation off: the sandboxed (opaque-origin) iframe then shares the page's renderer, so its
# network events appear in the performance log this driver reads.
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                 "--disable-site-isolation-trials", "--disable-features=IsolateOrigins,site-per-process"):
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
findings = {"failures": []}


def fail(message):
    findings["failures"].append(message)


def network_log():
    """(url, served from cache?, status) for every response the page and its iframe received; a
    response counts as cached when it came from the disk cache or Chrome reported the request
    as served from its memory cache."""
    events = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
    from_cache = {e["params"]["requestId"] for e in events if e["method"] == "Network.requestServedFromCache"}
    responses = []
    for event in events:
        if event["method"] == "Network.responseReceived":
            response = event["params"]["response"]
            cached = event["params"]["requestId"] in from_cache or bool(response.get("fromDiskCache") or response.get("fromPrefetchCache"))
            responses.append((response["url"], cached, response["status"]))
    return responses


def wait_ready(timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        messages = driver.execute_script("return window.uiserveMessages || []")
        if any(m.get("type") == "uiserve-demo:ready" for m in messages if isinstance(m, dict)):
            return messages
        if any(m.get("type") == "uiserve-demo:error" for m in messages if isinstance(m, dict)):
            return messages
        time.sleep(0.1)
    return driver.execute_script("return window.uiserveMessages || []")


try:
    started = time.time()
    driver.get(base + "/")
    messages = wait_ready(10)
    findings["secondsToReady"] = round(time.time() - started, 2)
    findings["messages"] = messages
    ready = [m for m in messages if isinstance(m, dict) and m.get("type") == "uiserve-demo:ready"]
    if not ready:
        fail("the extension did not post ready within 10 s: %r" % messages)
    else:
        message = ready[0]
        if message.get("items") != 5:
            fail("the fetch of data/items.json did not give 5 items: %r" % message)
        if not message.get("fontLoaded"):
            fail("the web font did not load")
        if not message.get("imageLoaded"):
            fail("the image did not load")
    sandbox = driver.execute_script("return document.getElementById('extension').getAttribute('sandbox')")
    if sandbox != "allow-scripts":
        fail("the iframe sandbox is %r, expected allow-scripts only" % sandbox)
    first = network_log()
    findings["firstLoad"] = [url for url, _, _ in first if "/ext-ui/" in url]
    for asset in ("app.js", "style.css", "fonts/demo.woff2", "img/logo.png", "data/items.json"):
        if not any(url.endswith("/" + asset) and status == 200 for url, _, status in first):
            fail("%s was not loaded with 200" % asset)
    console = driver.get_log("browser")
    findings["console"] = [entry["message"] for entry in console]
    for entry in console:
        text = entry["message"]
        if any(word in text for word in ("Content Security Policy", "CORS", "MIME type", "Refused to", "blocked", "Permissions-Policy")):
            fail("console: " + text)

    # Reloads. Chromium keys the HTTP cache of an opaque-origin (sandboxed, no allow-same-origin)
    # document with a one-time nonce, so inside the sandbox a reload refetches subresources whatever
    # the server sends; that is recorded, not judged. The server's part is that the same assets,
    # loaded where the cache is usable, are never fetched again: checked on the extension's own URL.
    assets = ("app.js", "style.css", "fonts/demo.woff2", "img/logo.png", "data/items.json")
    driver.refresh()
    wait_ready(10)
    time.sleep(0.5)
    findings["sandboxedReloadRefetched"] = [url for url, cached, _ in network_log()
                                            if not cached and any(url.endswith("/" + a) for a in assets)]
    ui_url = [url for url in findings["firstLoad"] if url.endswith("/")][0]
    driver.get(ui_url)
    time.sleep(1)
    network_log()
    driver.refresh()
    time.sleep(1)
    again = network_log()
    refetched = [url for url, cached, _ in again if not cached and any(url.endswith("/" + a) for a in assets)]
    findings["refetchedOnReload"] = refetched
    if refetched:
        fail("a reload fetched immutable assets from the network again: %r" % refetched)
    if not any(cached for url, cached, _ in again if url.endswith("/app.js")):
        fail("the reload did not take app.js from the cache")
finally:
    driver.quit()

findings["passed"] = not findings["failures"]
print(json.dumps(findings, indent=2))
sys.exit(0 if findings["passed"] else 1)
