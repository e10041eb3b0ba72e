#!/usr/bin/python3
"""The kiosk as a screen reader sees it, over AT-SPI: finds the certroom application, then goes
from the welcome form to the first question using only the accessibility API (typing into entries
by their accessible name, pressing buttons by their name), as assistive technology would. Prints
one JSON object: what each screen exposed. Run inside the kiosk's session (session bus with the
accessibility bus), by tests/e2e/screen-reader.test.mjs.

Usage: kiosk_tree.py SESSION_CODE [--welcome | --speech ORCA_DEBUG_LOG]
  --welcome: only what the welcome screen exposes (under cage, where nothing can type for the test).
  --speech: the screen reader (Orca) runs too: the candidate joins with it, then on the first
            question an option gets the focus (Orca speaks it), Orca's own key (Insert+Space, its
            preferences) takes the kiosk's focus and Escape gives it back.
"""

import json
import subprocess
import sys
import time

import pyatspi

START = "Continuer"
FIELDS_ORDER = ["Numéro de session", "Prénom", "Nom de naissance", "Date de naissance (jj/mm/aaaa)"]
FIELDS = {
    "Numéro de session": "1234",
    "Prénom": "Zoé",
    "Nom de naissance": "N'Diaye",
    "Date de naissance (jj/mm/aaaa)": "14/02/2010",
}


def nodes(acc, depth=0):
    """Every accessible under `acc`, depth first (dead ones skipped)."""
    if acc is None or depth > 60:
        return
    yield acc
    try:
        count = acc.childCount
    except Exception:
        return
    for i in range(count):
        try:
            child = acc.getChildAtIndex(i)
        except Exception:
            continue
        yield from nodes(child, depth + 1)


def app(name="certroom"):
    for _ in range(120):
        for a in pyatspi.Registry.getDesktop(0):
            if a is not None and (a.name or "") == name:
                return a
        time.sleep(0.5)
    raise SystemExit(json.dumps({"error": f"no {name} application on the accessibility bus"}))


def orca_windows():
    """The names of Orca's windows that are showing (Orca is on the bus only with a window)."""
    out = []
    for a in pyatspi.Registry.getDesktop(0):
        try:
            if a is None or (a.name or "").lower() != "orca":
                continue
            for i in range(a.childCount):
                w = a.getChildAtIndex(i)
                if w is not None and w.getState().contains(pyatspi.STATE_SHOWING):
                    out.append(w.name or w.getRoleName())
        except Exception:
            continue
    return out


def screen_reader(doc, report):
    """The screen reader at work on a question: an option focused (Orca speaks its text), then
    Orca's preferences (Insert+Space) over the kiosk, closed with Escape."""
    options = all_of(doc, "radio button") + all_of(doc, "check box")
    target = options[0] if options else find(doc, "push button", "Passer la question")
    # Another control first, so that the option's focus is a change Orca reports.
    find(doc, "push button", "Valider").queryComponent().grabFocus()
    time.sleep(1.0)
    target.queryComponent().grabFocus()
    time.sleep(2.0)
    report["speech"] = {"focused": target.name, "focused_role": target.getRoleName()}
    subprocess.run(["xdotool", "key", "Insert+space"], check=True)
    end = time.time() + 20
    while time.time() < end and not orca_windows():
        time.sleep(0.3)
    report["speech"]["orca_windows"] = orca_windows()
    # The kiosk's focus loss is looked into (its cause) before the window goes.
    time.sleep(2.0)
    subprocess.run(["xdotool", "key", "Escape"], check=True)
    end = time.time() + 5
    while time.time() < end and orca_windows():
        time.sleep(0.3)
    report["speech"]["closed_by_escape"] = not orca_windows()
    if orca_windows():
        # Orca's preferences are a plain window: its Cancel button closes it.
        for a in pyatspi.Registry.getDesktop(0):
            if a is not None and (a.name or "").lower() == "orca":
                for b in all_of(a, "push button"):
                    if b.name in ("Annuler", "Cancel", "_Annuler", "_Cancel"):
                        press(b)
                        break
        end = time.time() + 10
        while time.time() < end and orca_windows():
            time.sleep(0.3)
    report["speech"]["orca_windows_after"] = orca_windows()
    time.sleep(1.0)


def find(root, role, name=None, timeout=20.0, contains=False):
    """The first accessible with this role (and name), waiting for the page to show it."""
    end = time.time() + timeout
    while time.time() < end:
        for n in nodes(root):
            try:
                if n.getRoleName() != role:
                    continue
                if name is None or n.name == name or (contains and name in (n.name or "")):
                    return n
            except Exception:
                continue
        time.sleep(0.3)
    raise SystemExit(json.dumps({"error": f"no {role} named {name!r}", "tree": describe(root)}))


def all_of(root, role):
    out = []
    for n in nodes(root):
        try:
            if n.getRoleName() == role:
                out.append(n)
        except Exception:
            pass
    return out


def text_of(acc):
    try:
        t = acc.queryText()
        return t.getText(0, t.characterCount)
    except Exception:
        return ""


def states(acc):
    s = acc.getState()
    return {
        "checked": s.contains(pyatspi.STATE_CHECKED),
        "focused": s.contains(pyatspi.STATE_FOCUSED),
        "enabled": s.contains(pyatspi.STATE_ENABLED),
    }


def attrs(acc):
    try:
        return dict(a.split(":", 1) for a in acc.getAttributes() if ":" in a)
    except Exception:
        return {}


def describe(root, limit=200):
    out = []
    for n in nodes(root):
        try:
            role, name = n.getRoleName(), n.name
        except Exception:
            continue
        if name or role not in ("section", "panel", "filler", "paragraph", "label"):
            out.append(f"{role}: {name}")
        if len(out) >= limit:
            break
    return out


def press(button):
    action = button.queryAction()
    for i in range(action.nActions):
        if action.getName(i) in ("press", "click", "activate", "toggle"):
            action.doAction(i)
            return
    action.doAction(0)


def type_into(entry, value):
    """Focus by the accessibility API, then the keys as the keyboard sends them (WebKit's entries
    have no editable-text interface): xdotool through the X server's XTest. Keys pass through the
    screen reader first when it runs: the next field waits until this one holds the text."""
    entry.queryComponent().grabFocus()
    time.sleep(0.3)
    subprocess.run(["xdotool", "type", "--delay", "30", value], check=True)
    end = time.time() + 10
    while time.time() < end and text_of(entry) != value:
        time.sleep(0.2)
    time.sleep(0.3)


def wait_for_orca(log):
    """Until Orca has started and said so (its first words, in its debug log)."""
    end = time.time() + 60
    while time.time() < end:
        try:
            with open(log, encoding="utf-8", errors="replace") as f:
                if "SPEECH OUTPUT:" in f.read():
                    time.sleep(1.0)
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.3)
    raise SystemExit(json.dumps({"error": "Orca did not start (nothing spoken in its debug log)"}))


def welcome(doc):
    return {
        "fields": [e.name for e in all_of(doc, "entry")],
        "buttons": [b.name for b in all_of(doc, "push button") if b.name],
        "headings": [h.name for h in all_of(doc, "heading")],
        "controls": [c.name for c in all_of(doc, "toggle button") + all_of(doc, "combo box")],
    }


def question_view(doc):
    """What the question on screen exposes: its heading, each option with role, name and state,
    the texts (question, time left, progress), the buttons, the live regions."""
    heading = find(doc, "heading", "Question", contains=True, timeout=30)
    time.sleep(0.8)
    radios, checks = all_of(doc, "radio button"), all_of(doc, "check box")
    entries = [e for e in all_of(doc, "entry") if e.name]
    combos = [c for c in all_of(doc, "combo box") if c.name and c.name != "Langue"]
    kind = "qcu" if radios else "qcm" if checks else "qroc"
    texts, live = [], []
    for n in nodes(doc):
        try:
            a, role = attrs(n), n.getRoleName()
            t = (text_of(n) or n.name or "").strip()
        except Exception:
            continue
        if a.get("live") and t:
            live.append({"role": role, "live": a.get("live"), "text": t[:160]})
        if t and role in ("paragraph", "heading", "timer", "status bar", "progress bar", "label", "static", "section"):
            texts.append(t[:240])
    progress = [{"name": p.name, "value": p.queryValue().currentValue, "max": p.queryValue().maximumValue} for p in all_of(doc, "progress bar")]
    return heading, kind, {
        "heading": heading.name,
        "kind": kind,
        "options": [{"role": o.getRoleName(), "name": o.name, **states(o)} for o in radios + checks],
        "fields": [{"role": e.getRoleName(), "name": e.name} for e in entries + combos],
        "buttons": [b.name for b in all_of(doc, "push button") if b.name],
        "texts": texts,
        "progress": progress,
        "live": live,
    }


def answer(doc, kind, report):
    radios, checks = all_of(doc, "radio button"), all_of(doc, "check box")
    options = radios or checks
    if options:
        press(options[0])
        time.sleep(0.4)
        report["first_option_after_press"] = states(options[0])
    for e in [e for e in all_of(doc, "entry") if e.name]:
        type_into(e, "12")
    for c in [c for c in all_of(doc, "combo box") if c.name and c.name != "Langue"]:
        c.queryComponent().grabFocus()
        subprocess.run(["xdotool", "key", "Down"], check=True)
        time.sleep(0.2)
    press(find(doc, "push button", "Valider"))


def main():
    session_code = sys.argv[1]
    only_welcome = len(sys.argv) > 2 and sys.argv[2] == "--welcome"
    speech = len(sys.argv) > 3 and sys.argv[2] == "--speech"
    report = {}
    root = app()
    doc = find(root, "document web")
    # The page's title is set once its first screen is drawn: read after the form is there.
    find(doc, "entry", FIELDS_ORDER[0])
    report["title"] = doc.name
    report["welcome"] = welcome(doc)
    if speech:
        wait_for_orca(sys.argv[3])
    if only_welcome:
        print(json.dumps(report, ensure_ascii=False))
        return

    for label in FIELDS_ORDER:
        type_into(find(doc, "entry", label), FIELDS[label])
    press(find(doc, "push button", "Rejoindre la session"))
    ack = find(doc, "check box")
    report["instructions"] = {"checkbox": ack.name, "checked_before": states(ack)["checked"]}
    press(ack)
    time.sleep(0.5)
    report["instructions"]["checked_after"] = states(ack)["checked"]
    press(find(doc, "push button", START))

    code = find(doc, "password text", "Code de session (à saisir par le surveillant)", timeout=20)
    report["waiting"] = {"code_field": code.name}
    type_into(code, session_code)
    press(find(doc, "push button", "Autoriser le test"))

    if speech:
        # With Orca on, the first question is enough: the formats are checked without it.
        heading, kind, view = question_view(doc)
        report["speech_question"] = {"heading": heading.name, "kind": kind}
        screen_reader(doc, report)
        print(json.dumps(report, ensure_ascii=False))
        return

    # Questions until each format has been seen (the engine chooses them), at most 20.
    report["questions"] = {}
    last = None
    for _ in range(20):
        end = time.time() + 30
        while True:
            heading, kind, view = question_view(doc)
            if heading.name != last or time.time() > end:
                break
            time.sleep(0.3)
        last = heading.name
        if kind not in report["questions"]:
            answer(doc, kind, view)
            report["questions"][kind] = view
        else:
            answer(doc, kind, {})
        if len(report["questions"]) == 3:
            break

    # The candidate reports a problem: the alert is announced.
    heading, kind, _ = question_view(doc)
    press(find(doc, "push button", "Signaler un problème"))
    time.sleep(1.5)
    live = []
    for n in nodes(doc):
        try:
            a = attrs(n)
            t = (text_of(n) or n.name or "").strip()
            if a.get("live") and t:
                live.append({"role": n.getRoleName(), "live": a.get("live"), "text": t[:200]})
        except Exception:
            continue
    report["alert"] = {"live": live, "headings": [h.name for h in all_of(doc, "heading")]}
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
