#!/usr/bin/env python3
"""Drives myna-kakunin through AT-SPI only, as a screen reader would (tests/atspi.rs).

Reads the app's accessibility tree with a real AT-SPI client (gi.repository.Atspi) and
completes passcode -> 認証選択 -> a 目視 check with a demo tray card -> 閉じる by calling the
controls' AT-SPI actions, checking the names read on each screen. The words to expect come
from the Rust side as JSON (argv[1]), so they are the app's own strings. Every wait has a
deadline; any failure prints what was read and exits 1.
"""
import json
import sys
import time
import warnings

import gi

# get_action_name is the only way to read an action's name in this Atspi (2.46).
warnings.filterwarnings("ignore", category=DeprecationWarning)

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

W = json.loads(sys.argv[1])
STEP_SECS = float(W["step_secs"])
# The app does not take a press within this long of a screen change (a tap meant for the
# screen before); a screen reader user cannot be that quick either.
SETTLE = W["settle_ms"] / 1000 + 0.2


def log(*a):
    print(*a, flush=True)


def fail(what, nodes=None):
    log("FAIL:", what)
    if nodes is not None:
        for role, name, _ in nodes:
            log("  read:", role, repr(name))
    sys.exit(1)


def find_app():
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        a = desktop.get_child_at_index(i)
        if a is not None and a.get_name() == W["app"]:
            return a
    return None


def walk(node, out, depth=0):
    if node is None or depth > 8:
        return
    try:
        node.clear_cache()
        role = node.get_role_name()
        name = node.get_name() or ""
        n = node.get_child_count()
    except Exception:  # a node gone while reading: the next poll reads again
        return
    out.append((role, name, node))
    for i in range(n):
        try:
            walk(node.get_child_at_index(i), out, depth + 1)
        except Exception:
            pass


def read(app):
    out = []
    walk(app, out)
    return out


def wait(app, what, ok):
    deadline = time.monotonic() + STEP_SECS
    nodes = []
    while time.monotonic() < deadline:
        nodes = read(app)
        found = ok(nodes)
        if found:
            return nodes, found
        time.sleep(0.2)
    fail("timed out waiting for " + what, nodes)


def heading(nodes):
    for role, name, _ in nodes:
        if role == "heading":
            return name
    return None


def has(nodes, name, role=None):
    return any(n == name and (role is None or r == role) for r, n, _ in nodes)


def control(nodes, ok):
    for role, name, node in nodes:
        if ok(role, name):
            try:
                if node.get_n_actions() > 0:
                    return node
            except Exception:
                pass
    return None


def press(node, what):
    time.sleep(SETTLE)
    for i in range(node.get_n_actions()):
        if node.get_action_name(i) == "click":
            log("press", repr(what))
            if not node.do_action(i):
                fail("the click on %r was refused" % what)
            return
    fail("%r has no click action" % what)


def on_screen(app, title):
    nodes, _ = wait(app, "the screen " + title, lambda ns: heading(ns) == title)
    log("screen", repr(title))
    return nodes


def main():
    deadline = time.monotonic() + STEP_SECS
    app = None
    while app is None and time.monotonic() < deadline:
        app = find_app()
        if app is None:
            time.sleep(0.2)
    if app is None:
        fail("the app never appeared on the AT-SPI bus")
    log("app", repr(app.get_name()))
    nodes, _ = wait(app, "the window", lambda ns: has(ns, W["window"], "frame") or has(ns, W["window"], "window"))

    # パスコード入力: a keypad of buttons; the dots say how many digits, never which.
    nodes = on_screen(app, W["passcode_title"])
    for k, digit in enumerate(W["passcode"]):
        key = control(nodes, lambda r, n, d=digit: r == "push button" and n == d)
        if key is None:
            fail("no key %r" % digit, nodes)
        press(key, digit)
        if k == 1:
            # Two digits in: the pad says so, and nothing says which.
            nodes, _ = wait(app, W["two_digits"], lambda ns: has(ns, W["two_digits"]))
            for _, name, _ in nodes:
                if W["passcode"][:2] in name:
                    fail("the typed digits are read out: %r" % name, nodes)
        else:
            nodes = read(app)

    # Connecting (a spinner), then お知らせ may come first: 閉じる it.
    deadline = time.monotonic() + STEP_SECS
    closed = set()
    while True:
        nodes = read(app)
        title = heading(nodes)
        if title == W["auth_title"]:
            break
        close = control(nodes, lambda r, n: r == "push button" and n == W["close"])
        if close is not None and title not in closed:
            log("screen", repr(title))
            press(close, W["close"])
            closed.add(title)
        if time.monotonic() > deadline:
            fail("timed out waiting for the screen " + W["auth_title"], nodes)
        time.sleep(0.2)
    nodes = on_screen(app, W["auth_title"])
    if not has(nodes, W["method_visual"]):
        fail("認証選択 does not say the 目視 method", nodes)
    nxt = control(nodes, lambda r, n: r == "push button" and n == W["next"])
    if nxt is None:
        fail("no %r on 認証選択" % W["next"], nodes)
    press(nxt, W["next"])

    # マイナンバーカードの読み取り: put the demo card on the reader from the tray.
    nodes = on_screen(app, W["read_title"])
    card = control(nodes, lambda r, n: n.startswith(W["card_holder"]))
    if card is None:
        fail("no tray card for %r" % W["card_holder"], nodes)
    press(card, W["card_holder"])
    nodes, nxt = wait(
        app,
        "the read to finish",
        lambda ns: control(ns, lambda r, n: r == "push button" and n == W["next"]),
    )
    press(nxt, W["next"])

    # 資格確認結果: patient data is read out now, and only now.
    on_screen(app, W["result_title"])
    nodes, _ = wait(
        app,
        "the result to read " + ", ".join(W["result_words"]),
        lambda ns: all(has(ns, w) for w in W["result_words"]),
    )
    close = control(nodes, lambda r, n: r == "push button" and n == W["close"])
    if close is None:
        fail("no %r on the result" % W["close"], nodes)
    press(close, W["close"])

    nodes = on_screen(app, W["auth_title"])
    for _, name, _ in nodes:
        for gone in W["result_words"]:
            if gone in name:
                fail("patient data still read after 閉じる: %r" % name, nodes)
    log("OK")


if __name__ == "__main__":
    main()
