"""An independent client proves the virtual farm is an Appium-compatible server.

The farm binary (`mitid-e2e sim`) is started once per run; the tests drive
its phones with the official Appium-Python-Client (Selenium underneath),
exactly as they would drive real phones behind a real Appium server, and
read the SMS and push messages the farm's backend POSTs to a small gateway
server of their own. Buttons and texts are found by the words of the MitID
documentation ("Copy your MitID app to another phone/tablet", steps 1-26);
accessibility ids are used only for input fields and the menu button.

Setup:  bash tests/install/python-env.sh && .tools/venv/bin/pytest -q tests/python
The farm binary comes from $MITID_E2E_BIN, default target/debug/mitid-e2e
(build it with `cargo build`).
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import os
import queue
import re
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import zxingcpp
from appium import webdriver
from appium.options.android import UiAutomator2Options
from appium.options.ios import XCUITestOptions
from appium.webdriver.client_config import AppiumClientConfig
from appium.webdriver.common.appiumby import AppiumBy
from PIL import Image
from selenium.webdriver.common.proxy import Proxy, ProxyType
from selenium.common.exceptions import (
    InvalidArgumentException,
    InvalidSelectorException,
    NoSuchElementException,
    SessionNotCreatedException,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
PROFILE = REPO_ROOT / "devices" / "virtual.toml"
STARTUP_TIMEOUT_S = 20.0
# Every HTTP call to the farm gives up after this: a test never hangs.
HTTP_TIMEOUT_S = 30.0
IMPLICIT_WAIT_S = 2.0

USER_ID = "py-copy-tester-01"
PHONE_NUMBER = "+4520304050"
PIN = "246810"
NEW_PIN = "135790"
QR_PAYLOAD = re.compile(r"^MITID-COPY:1:[0-9a-f]+:[0-9a-f]+$")

# Loopback only, and never through a proxy from the environment.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_call(method: str, url: str, body: object | None = None) -> tuple[int, object]:
    """One JSON request; returns (status, decoded body), also for 4xx/5xx."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with _http.open(req, timeout=HTTP_TIMEOUT_S) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


# --- the farm process ---------------------------------------------------------------


@dataclass
class Farm:
    url: str
    process: subprocess.Popen
    log_path: Path

    def control(self, method: str, path: str, body: object | None = None) -> object:
        """A control-API call that must succeed."""
        status, value = http_call(method, self.url + path, {} if body is None and method != "GET" else body)
        assert 200 <= status < 300, f"{method} {path} answered {status}: {value}"
        return value

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def farm_binary() -> Path:
    configured = os.environ.get("MITID_E2E_BIN", "target/debug/mitid-e2e")
    path = Path(configured)
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(
            f"the farm binary {path} is missing or not executable: build it with `cargo build` "
            f"in {REPO_ROOT}, or point MITID_E2E_BIN at a built mitid-e2e",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def farm():
    binary = farm_binary()
    log = tempfile.NamedTemporaryFile(prefix="mitid-farm-", suffix=".log", delete=False)
    log_path = Path(log.name)
    cmd = [str(binary), "sim", "--port", "0", "--profile", str(PROFILE)]
    # stderr (the farm's tracing log) goes to a file so a chatty farm can
    # never block on a full pipe; stdout is drained by a reader thread.
    process = subprocess.Popen(
        cmd,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        bufsize=1,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, name="farm-stdout", daemon=True).start()

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()

    url = None
    seen: list[str] = []
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while url is None:
        left = deadline - time.monotonic()
        if left <= 0:
            stop()
            pytest.fail(
                f"the farm did not print 'listening on' within {STARTUP_TIMEOUT_S:.0f} s: {' '.join(cmd)}\n"
                f"stdout so far: {''.join(seen)!r}\nlog:\n{Farm('', process, log_path).log_tail()}",
                pytrace=False,
            )
        try:
            line = lines.get(timeout=min(left, 0.5))
        except queue.Empty:
            continue
        if line is None:
            stop()
            pytest.fail(
                f"the farm exited (code {process.poll()}) before listening: {' '.join(cmd)}\n"
                f"stdout: {''.join(seen)!r}\nlog:\n{Farm('', process, log_path).log_tail()}",
                pytrace=False,
            )
        seen.append(line)
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if match:
            url = match.group(1)

    f = Farm(url=url, process=process, log_path=log_path)
    try:
        status, value = http_call("GET", url + "/status")
        assert status == 200 and value["value"]["ready"], f"/status: {status} {value}"
        yield f
    finally:
        stop()
        log_path.unlink(missing_ok=True)


# --- the SMS and push gateways -----------------------------------------------------------


@dataclass
class Gateways:
    url: str
    received: dict[str, list[dict]] = field(default_factory=lambda: {"sms": [], "push": []})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def messages(self, kind: str) -> list[dict]:
        with self.lock:
            return list(self.received[kind])

    def clear(self) -> None:
        with self.lock:
            for kind in self.received:
                self.received[kind].clear()


@pytest.fixture(scope="session")
def gateways():
    gw = Gateways(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            kind = self.path.strip("/")
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if kind not in gw.received:
                self.send_response(404)
                self.end_headers()
                return
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"unparsed": raw.decode(errors="replace")}
            with gw.lock:
                gw.received[kind].append(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="gateways", daemon=True)
    thread.start()
    gw.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield gw
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def fresh_farm(farm: Farm, gateways: Gateways):
    """Each test starts from a reset farm, wired to the (emptied) gateways."""
    farm.control("POST", "/sim/reset")
    gateways.clear()
    answer = farm.control("PUT", "/sim/gateways", {"sms_url": gateways.url + "/sms", "push_url": gateways.url + "/push"})
    assert answer == {"sms_url": gateways.url + "/sms", "push_url": gateways.url + "/push"}, answer
    yield
    # A failed test may leave sessions open: the next reset ends them.


# --- phones through Appium-Python-Client ---------------------------------------------


def xpath_literal(text: str) -> str:
    return f"'{text}'" if "'" not in text else f'"{text}"'


def client_config(farm: Farm) -> AppiumClientConfig:
    """Straight to the farm on loopback (no proxy from the environment), and
    a time limit on every command so a hung farm fails the test."""
    return AppiumClientConfig(
        remote_server_addr=farm.url,
        proxy=Proxy({"proxyType": ProxyType.DIRECT}),
        timeout=int(HTTP_TIMEOUT_S),
    )


class Phone:
    """One phone driven through an Appium-Python-Client session."""

    def __init__(self, farm: Farm, udid: str):
        self.udid = udid
        self.android = udid.startswith("android")
        options = UiAutomator2Options() if self.android else XCUITestOptions()
        options.udid = udid
        options.new_command_timeout = 120
        if self.android:
            options.app_package = "dk.mitid.app.android"
        else:
            options.bundle_id = "dk.mitid.app"
        self.driver = webdriver.Remote(farm.url, options=options, client_config=client_config(farm))
        self.driver.implicitly_wait(IMPLICIT_WAIT_S)
        # The attribute holding the visible text: UiAutomator2 `text`, XCUITest `label`.
        self.text_attr = "text" if self.android else "label"

    def by_text(self, text: str) -> str:
        return f"//*[@{self.text_attr}={xpath_literal(text)}]"

    def find_text(self, text: str):
        try:
            return self.driver.find_element(AppiumBy.XPATH, self.by_text(text))
        except NoSuchElementException:
            pytest.fail(f"{self.udid}: nothing reads '{text}' on screen '{self.screen()}'", pytrace=False)

    def tap(self, text: str) -> None:
        """Taps the control that reads `text` (the documentation's words)."""
        self.find_text(text).click()

    def expect(self, text: str) -> None:
        """The screen shows `text` somewhere."""
        self.find_text(text)

    def expect_containing(self, fragment: str) -> str:
        xpath = f"//*[contains(@{self.text_attr}, {xpath_literal(fragment)})]"
        found = self.driver.find_elements(AppiumBy.XPATH, xpath)
        assert found, f"{self.udid}: no text containing '{fragment}' on screen '{self.screen()}'"
        return found[0].text

    def type_into(self, accessibility_id: str, value: str) -> None:
        self.driver.find_element(AppiumBy.ACCESSIBILITY_ID, accessibility_id).send_keys(value)

    def tap_menu(self) -> None:
        self.driver.find_element(AppiumBy.ACCESSIBILITY_ID, "menu_button").click()

    def screen(self) -> str:
        """The screen's name, for messages: the root element's accessibility id."""
        source = self.driver.page_source
        key = "content-desc" if self.android else "name"
        for line in source.splitlines():
            if "<hierarchy" in line or "XCUIElementTypeApplication" in line or "<?xml" in line or "AppiumAUT" in line:
                continue
            m = re.search(rf'\b{key}="([^"]*)"', line)
            if m:
                return m.group(1)
        return "?"

    def allow_system_dialog(self, title_fragment: str, allow: str) -> None:
        """A system permission dialog: its question, then its allow button."""
        self.expect_containing(title_fragment)
        self.tap(allow)

    def mobile(self, script: str, args: dict):
        return self.driver.execute_script(script, args)

    def quit(self) -> None:
        self.driver.quit()


def start_copy_on_old(old: Phone) -> None:
    """Steps 1-7 on the old phone."""
    old.expect("Your MitID app is active")
    old.tap_menu()  # 1. the menu at the top of the screen
    old.tap("Activate")  # 2.
    old.tap("Copy your MitID to a new app")  # 3.
    old.expect("Copy your MitID to a new app")  # 4. the information screen
    old.tap("Next")
    old.expect("Enter your PIN code")  # 5.
    old.type_into("pin_input", PIN)
    old.tap("Next")
    old.expect("Wait 1 hour before you copy")  # 6.
    old.expect_containing("you need to wait for 1 hour before you can copy your MitID app")
    start = old.find_text("Start copying")
    assert not start.is_enabled(), "'Start copying' is enabled before 'Yes, I want to copy' is checked"
    old.tap("Yes, I want to copy")
    old.tap("Start copying")
    old.expect("The waiting period has started")  # 7.
    old.expect_containing("You'll receive a notification from the app when the waiting time is over")
    old.tap("OK")
    old.expect("Your MitID app is active")
    assert "Time left: 1:00:00" in old.expect_containing("Copying to a new app"), "the hour has started"


def wait_the_hour(farm: Farm, gateways: Gateways, old: Phone) -> None:
    """Step 8's hour: nothing is pushed before it, one push at its end."""
    assert gateways.messages("push") == [], "no push before the hour"
    clock = farm.control("POST", "/sim/clock/advance", {"seconds": 3600})
    assert clock["now_seconds"] == 3600, clock
    pushes = gateways.messages("push")
    assert len(pushes) == 1, f"one push at the end of the hour: {pushes}"
    assert pushes[0]["device"] == old.udid, pushes
    assert "The waiting time is over" in pushes[0]["body"], pushes


def show_qr_on_old(old: Phone) -> bytes:
    """Steps 8-12 on the old phone; returns its screenshot with the QR code."""
    old.expect("Show QR code and copy MitID to the new app")  # 8.
    old.tap("Show QR code")
    old.expect("Enter your PIN code")  # 9.
    old.type_into("pin_input", PIN)
    old.tap("Next")
    old.expect("Bluetooth access is required")  # 10. (Android 14 / iOS: no location)
    old.expect("To ensure that you are the one scanning the QR code, MitID requires the use of Bluetooth.")
    old.tap("Next")
    if old.android:  # 11.
        old.allow_system_dialog("nearby devices", "Allow")
    else:
        old.allow_system_dialog("Would Like to Use Bluetooth", "OK")
    old.expect("Scan the QR code with your new phone/tablet")  # 12.
    assert "The QR code is valid for 3 minutes" in old.expect_containing("The QR code is valid for 3 minutes")
    return old.driver.get_screenshot_as_png()


def decode_qr(png: bytes) -> str:
    image = Image.open(io.BytesIO(png))
    image.load()
    results = zxingcpp.read_barcodes(image)
    qr = [r for r in results if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(qr) == 1, f"one QR code on the old phone's screenshot, found {[(r.format, r.text) for r in results]}"
    payload = qr[0].text
    assert QR_PAYLOAD.match(payload), f"QR payload {payload!r} is not MITID-COPY:1:<hex>:<hex>"
    return payload


def open_scanner_on_new(new: Phone) -> None:
    """Steps 13-18 on the new phone."""
    new.expect("Activate your MitID")  # 13. the app is open (the session launched it)
    new.tap("Get started")  # 14.
    new.expect("How do you want to activate your MitID app?")  # 15.
    next_button = new.find_text("Next")
    assert not next_button.is_enabled(), "'Next' is enabled before a way to activate is chosen"
    new.tap("Copy from another MitID app")
    new.tap("Next")
    new.tap("QR code is shown on the old app")  # 16.
    new.tap("Scan QR code")
    new.expect("Bluetooth access is required")  # 17.
    new.tap("Next")
    if new.android:  # 18. Bluetooth, then the camera for the scan
        new.allow_system_dialog("nearby devices", "Allow")
        new.allow_system_dialog("take pictures and record video", "While using the app")
    else:
        new.allow_system_dialog("Would Like to Use Bluetooth", "OK")
        # The camera's alert through the client's alert API and XCUITest's
        # mobile: alert, as on an iPhone.
        buttons = new.mobile("mobile: alert", {"action": "getButtons"})
        assert buttons == ["Don\u2019t Allow", "OK"], buttons
        alert = new.driver.switch_to.alert
        assert alert.text.startswith("\u201cMitID\u201d Would Like to Access the Camera\n"), alert.text
        alert.accept()
    new.expect("Scan the QR code")  # 19. the scanner
    new.expect("Hold your phone/tablet up to the QR code on your old app.")


def scan(new: Phone, png: bytes) -> None:
    """Step 19: the old phone's screenshot goes into the new phone's camera."""
    result = new.mobile("mobile: injectCameraImage", {"image": base64.b64encode(png).decode("ascii")})
    assert result is None, result
    new.expect("Enter your user ID")  # 20.


# --- the tests -----------------------------------------------------------------------------


def provision(farm: Farm, udid: str) -> None:
    answer = farm.control(
        "POST",
        "/sim/identities",
        {"user_id": USER_ID, "phone_number": PHONE_NUMBER, "pin": PIN, "app_on": [udid]},
    )
    assert answer == {"provisioned": True, "app_on": [udid]}, answer


def test_android_copy_flow_steps_1_to_26(farm: Farm, gateways: Gateways):
    provision(farm, "android-14-a1")
    old = Phone(farm, "android-14-a1")
    new = None
    try:
        new = Phone(farm, "android-14-a2")
        assert old.driver.capabilities["platformName"].lower() == "android"
        assert old.driver.capabilities["automationName"] == "UiAutomator2"
        assert old.driver.capabilities["udid"] == "android-14-a1"
        assert "<hierarchy" in old.driver.page_source and "android.widget.Button" in old.driver.page_source

        start_copy_on_old(old)
        wait_the_hour(farm, gateways, old)
        png = show_qr_on_old(old)
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), "the screenshot is a PNG"
        decode_qr(png)

        open_scanner_on_new(new)
        scan(new, png)
        old.expect("Continue on your new phone/tablet")

        # 20. the user ID; the backend then sends the temporary PIN by SMS.
        assert gateways.messages("sms") == [], "no SMS before the user ID is confirmed"
        new.type_into("user_id_input", USER_ID)
        new.tap("Next")
        sms = gateways.messages("sms")
        assert len(sms) == 1, sms
        assert sms[0]["to"] == PHONE_NUMBER, sms
        found = re.search(r"\b(\d{8})\b", sms[0]["text"])
        assert found, f"an 8-digit temporary PIN in the SMS: {sms[0]}"
        # 21.
        new.expect("Enter temporary PIN code")
        new.type_into("temporary_pin_input", found.group(1))
        new.tap("Next")
        # 22.
        new.expect("Choose your personal PIN code")
        new.tap("Next")
        # 23.
        new.expect("Create your PIN code")
        new.type_into("new_pin_input", NEW_PIN)
        new.tap("Next")
        new.expect("Repeat your PIN code")
        new.type_into("repeat_pin_input", NEW_PIN)
        new.tap("Next")
        # 24. biometric: yes, then the fingerprint.
        new.expect("Do you want to approve with fingerprint?")
        new.tap("Yes")
        new.expect("Touch the fingerprint sensor")
        assert new.mobile("mobile: fingerprint", {"fingerprintId": 1}) is None
        # 25.
        new.expect("Notifications")
        new.tap("Accept notifications")
        new.allow_system_dialog("send you notifications", "Allow")
        # 26.
        new.expect("This app is now activated and ready to use")
        new.tap("OK")
        new.expect("Your MitID app is active")

        # The old phone's app is still active.
        old.expect("Your MitID app has been copied")
        old.expect("Your MitID app on this phone/tablet is still active.")
        old.tap("OK")
        old.expect("Your MitID app is active")
        assert len(gateways.messages("sms")) == 1 and len(gateways.messages("push")) == 1
    finally:
        old.quit()
        if new is not None:
            new.quit()
    status, sessions = http_call("GET", farm.url + "/appium/sessions")
    assert status == 200 and sessions["value"] == [], f"both sessions ended: {sessions}"


def test_ios_copy_flow_up_to_the_qr_code(farm: Farm, gateways: Gateways):
    provision(farm, "ios-17-b1")
    old = Phone(farm, "ios-17-b1")
    new = None
    try:
        new = Phone(farm, "ios-17-b2")
        assert old.driver.capabilities["platformName"].lower() == "ios"
        assert old.driver.capabilities["automationName"] == "XCUITest"
        source = old.driver.page_source
        assert source.startswith('<?xml version="1.0" encoding="UTF-8"?>'), source[:80]
        assert "<AppiumAUT>" in source and "<XCUIElementTypeApplication" in source, source[:300]
        assert re.search(r'<XCUIElementTypeButton type="XCUIElementTypeButton" name="menu_button" label="Menu"', source), source
        # XCUITest has no `text` attribute: the label carries the words.
        old.driver.implicitly_wait(0)
        assert old.driver.find_elements(AppiumBy.XPATH, "//*[@text='Menu']") == []
        old.driver.implicitly_wait(IMPLICIT_WAIT_S)
        menu = old.driver.find_element(AppiumBy.XPATH, "//XCUIElementTypeButton[@label='Menu']")
        assert menu.tag_name == "XCUIElementTypeButton"
        assert menu.get_attribute("name") == "menu_button"

        start_copy_on_old(old)
        wait_the_hour(farm, gateways, old)
        png = show_qr_on_old(old)
        assert "XCUIElementTypeImage" in old.driver.page_source
        decode_qr(png)

        # The iOS pair scans too.
        open_scanner_on_new(new)
        scan(new, png)
        assert "XCUIElementTypeTextField" in new.driver.page_source
        old.expect("Continue on your new phone/tablet")
    finally:
        old.quit()
        if new is not None:
            new.quit()


def w3c_error(status: int, body: object, code: str, expected_status: int) -> str:
    assert status == expected_status, f"expected HTTP {expected_status} for '{code}', got {status}: {body}"
    assert isinstance(body, dict) and isinstance(body.get("value"), dict), body
    value = body["value"]
    assert value.get("error") == code, body
    assert isinstance(value.get("message"), str) and value["message"], body
    assert "stacktrace" in value, body
    return value["message"]


def test_bad_input_gets_w3c_errors_and_the_server_lives_on(farm: Farm):
    # An unknown udid.
    options = UiAutomator2Options()
    options.udid = "no-such-phone"
    with pytest.raises(SessionNotCreatedException, match="no-such-phone"):
        webdriver.Remote(farm.url, options=options, client_config=client_config(farm))

    phone = Phone(farm, "android-14-a1")
    try:
        # A second session on a busy phone.
        with pytest.raises(SessionNotCreatedException, match="busy") as busy:
            Phone(farm, "android-14-a1")
        assert phone.driver.session_id in str(busy.value)

        sid = phone.driver.session_id
        # An unknown locator strategy: raw W3C, then through the client.
        status, body = http_call("POST", f"{farm.url}/session/{sid}/element", {"using": "magic wand", "value": "x"})
        message = w3c_error(status, body, "invalid selector", 400)
        assert "magic wand" in message and "xpath" in message, message
        with pytest.raises(InvalidSelectorException, match="magic wand"):
            phone.driver.find_element("magic wand", "x")

        # An invalid XPath.
        broken = "//*[@text='Get started'"
        status, body = http_call("POST", f"{farm.url}/session/{sid}/element", {"using": "xpath", "value": broken})
        message = w3c_error(status, body, "invalid selector", 400)
        assert broken in message, message
        with pytest.raises(InvalidSelectorException):
            phone.driver.find_element(AppiumBy.XPATH, broken)

        # An image without a QR code in the camera.
        blank = io.BytesIO()
        Image.new("RGB", (360, 760), "white").save(blank, format="PNG")
        with pytest.raises(InvalidArgumentException, match="injectCameraImage") as no_qr:
            phone.mobile("mobile: injectCameraImage", {"image": base64.b64encode(blank.getvalue()).decode()})
        print(f"no-QR image: {no_qr.value.msg}")
        with pytest.raises(InvalidArgumentException, match="base64"):
            phone.mobile("mobile: injectCameraImage", {"image": "this is not base64!"})

        # A session that does not exist, and a command that does not.
        status, body = http_call("GET", f"{farm.url}/session/deadbeef/source")
        w3c_error(status, body, "invalid session id", 404)
        status, body = http_call("POST", f"{farm.url}/session/{sid}/no/such/command", {})
        w3c_error(status, body, "unknown command", 404)

        # The session survived all of it.
        phone.expect("Activate your MitID")
        assert phone.driver.find_elements(AppiumBy.XPATH, phone.by_text("Get started"))
    finally:
        phone.quit()

    # And so did the server.
    status, body = http_call("GET", f"{farm.url}/status")
    assert status == 200, body
    assert body["value"]["ready"] is True, body
    assert "10 free" in body["value"]["message"], body
    assert farm.process.poll() is None, f"the farm process is still running\n{farm.log_tail()}"
