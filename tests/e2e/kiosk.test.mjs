// The kiosk's lockdown, checked on the real window under Xvfb + openbox through WebDriver.
// Run against a debug build with CERTROOM_KIOSK_UNLOCKED=1 these checks must fail.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:http";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, EXIT_CODE, SCREEN, SESSION_CODE, certroom, newDataDir, requireTool, setUpKiosk, sleep, startApp, startDisplay, waitFor, xdotool , assertReflows } from "./harness.mjs";

function kioskLog(dir) {
  try {
    return readFileSync(join(dir, "kiosk-events.jsonl"), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

/// Focus losses the candidate's journal holds, as `certroom journal verify` counts them.
function journaledFocusLosses(dir) {
  const out = certroom(["journal", "verify", join(dir, "journal.db")]);
  return Number(/FocusLost (\d+)/.exec(out)?.[1] ?? 0);
}

/// Where the kiosk's window stands in the X server: active, fullscreen, covering the screen.
function windowState(screen, kiosk) {
  requireTool("xprop");
  const active = xdotool(screen, "getactivewindow").trim();
  const geometry = xdotool(screen, "getwindowgeometry", kiosk);
  const state = execFileSyncText("xprop", ["-id", kiosk, "_NET_WM_STATE"], screen.env);
  return {
    active: active === kiosk,
    fullscreen: state.includes("_NET_WM_STATE_FULLSCREEN") && !state.includes("_NET_WM_STATE_HIDDEN"),
    covers: geometry.includes(`Geometry: ${SCREEN.width}x${SCREEN.height}`),
    above: state.includes("_NET_WM_STATE_ABOVE"),
  };
}

function execFileSyncText(tool, args, env) {
  return execFileSync(tool, args, { env, encoding: "utf8" });
}

describe("kiosk lockdown", () => {
  let screen, app, browser, dataDir, foreign, foreignHits = 0, foreignUrl;

  before(async () => {
    dataDir = newDataDir("kiosk");
    setUpKiosk(dataDir);
    // Another origin on loopback (the machine has no internet): the kiosk must never load it.
    foreign = createServer((_req, res) => { foreignHits++; res.end("<h1>ailleurs</h1>"); });
    await new Promise((r) => foreign.listen(0, "127.0.0.1", r));
    foreignUrl = `http://127.0.0.1:${foreign.address().port}/`;
    screen = await startDisplay();
    app = await startApp(screen, ["--data-dir", dataDir, "kiosk"]);
    browser = app.browser;
    await browser.$("#session").waitForExist({ timeout: 20000 });
  });

  after(async () => {
    await app?.stop();
    screen?.stop();
    foreign?.close();
  });

  it("shows the candidate's welcome screen in French", async () => {
    const heading = await browser.$("h1").getText();
    assert.equal(heading, "Certification des compétences numériques");
    await browser.saveScreenshot(join(ARTIFACTS, "kiosk-welcome.png"));
    await assertReflows(browser, "the welcome screen");
  });

  it("keeps a technical log in its data folder, one file a day", () => {
    const logs = join(dataDir, "logs");
    const files = readdirSync(logs).filter((f) => /^certroom\.\d{4}-\d\d-\d\d\.log$/.test(f));
    assert.equal(files.length, 1, readdirSync(logs).join(","));
    const text = readFileSync(join(logs, files[0]), "utf8");
    assert.match(text, /certroom started/);
    assert.doesNotMatch(text, /\x1b\[/, "no terminal colours in the file");
  });

  it("covers the whole screen", async () => {
    await waitFor(async () => {
      const [w, h] = await browser.execute(() => [window.innerWidth, window.innerHeight]);
      return w === SCREEN.width && h === SCREEN.height;
    }, "fullscreen", 10000).catch(() => {});
    const [w, h] = await browser.execute(() => [window.innerWidth, window.innerHeight]);
    assert.deepEqual([w, h], [SCREEN.width, SCREEN.height], "the page must fill the screen");
    const geometry = xdotool(screen, "getactivewindow", "getwindowgeometry");
    assert.match(geometry, new RegExp(`Geometry: ${SCREEN.width}x${SCREEN.height}`), geometry);
  });

  it("stays on its own page when a script navigates to another origin", async () => {
    const before = await browser.getUrl();
    await browser.execute((url) => { window.location.href = url; }, foreignUrl);
    await sleep(1500);
    assert.equal(await browser.getUrl(), before);
    assert.equal(foreignHits, 0, "the foreign origin must receive no request");
    assert.ok(kioskLog(dataDir).some((e) => e.event === "navigation_refused" && e.detail === foreignUrl));
  });

  it("opens nothing on window.open", async () => {
    const handlesBefore = await browser.getWindowHandles();
    const opened = await browser.execute((url) => window.open(url) !== null, foreignUrl);
    await sleep(1000);
    assert.equal(opened, false);
    assert.equal((await browser.getWindowHandles()).length, handlesBefore.length);
    assert.equal(foreignHits, 0);
  });

  it("blocks browser shortcuts and the context menu in the page", async () => {
    const [reload, menu] = await browser.execute(() => [
      document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "F5", bubbles: true, cancelable: true })),
      document.body.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true })),
    ]);
    assert.equal(reload, false, "F5 must be cancelled");
    assert.equal(menu, false, "the context menu must be cancelled");
  });

  it("refuses commands the candidate screens do not need", async () => {
    const outcome = await browser.executeAsync((done) => {
      window.__TAURI_INTERNALS__.invoke("centre_get").then(() => done("allowed"), (e) => done(`refused: ${e}`));
    });
    assert.match(outcome, /^refused/);
  });

  it("is usable with the keyboard alone", async () => {
    await browser.$("#session").click();
    for (const text of ["1234", "Zoé", "N'Diaye", "14/02/2010"]) {
      await browser.keys(text.split(""));
      await browser.keys("Tab");
    }
    const values = await browser.execute(() => ["session", "firstName", "birthName", "birthdate"].map((id) => document.getElementById(id)?.value));
    assert.deepEqual(values, ["1234", "Zoé", "N'Diaye", "14/02/2010"]);
    await browser.keys("Enter");
    await browser.$("#instr-title").waitForExist({ timeout: 5000 });
    assert.equal(await browser.execute(() => document.activeElement?.id), "instr-title", "focus follows the new screen");
    await browser.keys("Tab");
    await browser.keys("Space");
    assert.equal(await browser.$("#ack").isSelected(), true, "the acknowledgement box is reachable by Tab and Space");
    await browser.keys("Tab");
    await browser.keys("Enter");
    await browser.$("#waiting-title").waitForExist({ timeout: 5000 });
    await browser.saveScreenshot(join(ARTIFACTS, "kiosk-waiting.png"));
    // The invigilator types the session code at the kiosk, keyboard only too.
    await browser.$("#authorize-code").click();
    await browser.keys(SESSION_CODE.split(""));
    await browser.keys("Enter");
    await browser.$("#question-title").waitForExist({ timeout: 15000 });
    await browser.saveScreenshot(join(ARTIFACTS, "kiosk-question.png"));
    await assertReflows(browser, "the question screen");
  });

  // Under a desktop session (openbox here; the lab runs cage, which has no key bindings and no
  // other client): real key chords through the X server, and another window raised over the
  // kiosk. After each, within a second, the kiosk is back: active, fullscreen, on top, on the
  // same question; each focus loss is in the lockdown log and the candidate's journal.
  it("holds under openbox: real key chords, its window menu, and another window raised over it", async () => {
    requireTool("xmessage");
    const kiosk = xdotool(screen, "search", "--onlyvisible", "--name", "^certroom$").trim().split("\n")[0];
    const focusLosses = () => kioskLog(dataDir).filter((e) => e.event === "focus_lost").length;
    const [loggedBefore, journaledBefore] = [focusLosses(), journaledFocusLosses(dataDir)];
    const question = await browser.$("#question-title").getText();
    const url = await browser.getUrl();
    const intruder = spawn("xmessage", ["-name", "intrus", "-title", "intrus", "-geometry", "320x120+20+20", "fenêtre intruse"], { env: screen.env, stdio: "ignore" });
    try {
      await waitFor(() => { try { return xdotool(screen, "search", "--name", "^intrus$").trim() !== ""; } catch { return false; } }, "the intruding window", 10000);
      const other = xdotool(screen, "search", "--name", "^intrus$").trim().split("\n")[0];
      const key = (...chord) => () => xdotool(screen, "key", "--clearmodifiers", ...chord);
      const campaign = [
        ["Alt+Espace, puis Échap (menu de la fenêtre)", () => { key("alt+space")(); execFileSync("sleep", ["0.3"]); key("Escape")(); }],
        ["Iconifier (menu de la fenêtre)", () => xdotool(screen, "windowminimize", kiosk)],
        ["Alt+Tab", key("alt+Tab")],
        ["une autre fenêtre activée au-dessus", () => { xdotool(screen, "windowraise", other); xdotool(screen, "windowactivate", other); }],
        ["Ctrl+Alt+T", key("ctrl+alt+t")],
        ["F11", key("F11")],
        ["Échap", key("Escape")],
        ["outils de développement", () => { key("ctrl+shift+i")(); key("F12")(); key("ctrl+shift+c")(); }],
        ["rechargement", () => { key("F5")(); key("ctrl+r")(); key("ctrl+shift+r")(); }],
        ["Super, Alt+F2, Ctrl+Échap", () => { key("super")(); key("alt+F2")(); key("ctrl+Escape")(); }],
      ];
      const failures = [];
      for (const [name, act] of campaign) {
        const lostBefore = focusLosses();
        act();
        const start = Date.now();
        let state;
        // Give the chord time to take the focus away, then expect the kiosk back within 1 s.
        await sleep(150);
        await waitFor(() => { state = windowState(screen, kiosk); return state.active && state.fullscreen && state.covers; }, name, 1000)
          .catch(() => failures.push(`${name}: ${JSON.stringify(state)} after ${Date.now() - start} ms`));
        const lost = focusLosses() - lostBefore;
        if (lost > 0) console.log(`${name}: focus lost ${lost}×, back after ${Date.now() - start} ms`);
      }
      await browser.saveScreenshot(join(ARTIFACTS, "kiosk-after-escape-campaign.png"));
      assert.deepEqual(failures, [], failures.join("\n"));
      assert.equal(await browser.getUrl(), url, "no reload, no navigation");
      assert.equal(await browser.$("#question-title").getText(), question, "the same question");
      const lost = focusLosses() - loggedBefore;
      assert.ok(lost >= 3, `the iconify, Alt+Tab and the other window each took the focus: ${lost} focus losses logged`);
      assert.equal(journaledFocusLosses(dataDir) - journaledBefore, lost, "every focus loss logged is in the candidate's journal");
      assert.ok(windowState(screen, kiosk).above, "the kiosk stays above other windows");
    } finally {
      intruder.kill();
    }
  });

  it("refuses a close request without the invigilator's code, and records it", async () => {
    xdotool(screen, "key", "--clearmodifiers", "alt+F4");
    await browser.$("#exit-dialog[open]").waitForExist({ timeout: 5000 });
    assert.ok(kioskLog(dataDir).some((e) => e.event === "close_refused"), "close_refused is recorded");
    await browser.$("#exit-code").setValue("wrong-code");
    await browser.$("#exit-dialog button[type=submit]").click();
    await browser.$("#exit-error").waitForExist({ timeout: 5000 });
    assert.match(await browser.$("#exit-error").getText(), /Code incorrect/);
    assert.ok(kioskLog(dataDir).some((e) => e.event === "exit_code_refused"));
    assert.equal(await browser.$("h1").getText(), "Certification des compétences numériques", "still running");
    await browser.saveScreenshot(join(ARTIFACTS, "kiosk-close-refused.png"));
  });

  it("records focus loss and regain from window events", async () => {
    const events = kioskLog(dataDir).map((e) => e.event);
    assert.ok(events.includes("focus_lost") && events.includes("focus_regained"), events.join(","));
    for (const e of kioskLog(dataDir)) assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("closes with the invigilator's code", async () => {
    await browser.$("#exit-code").setValue(EXIT_CODE);
    await browser.$("#exit-dialog button[type=submit]").click().catch(() => {});
    await waitFor(() => kioskLog(dataDir).some((e) => e.event === "exit_authorized"), "exit", 5000);
  });
});

describe("a lab PC that is not set up", () => {
  let screen, app, dataDir;

  before(async () => {
    dataDir = newDataDir("not-ready");
    certroom(["--data-dir", dataDir, "station", "set-exit-code"], `${EXIT_CODE}\n`);
    screen = await startDisplay();
    app = await startApp(screen, ["--data-dir", dataDir, "kiosk"]);
  });

  after(async () => {
    await app?.stop();
    screen?.stop();
  });

  it("says in French what is missing and stays up, instead of exiting to a blank screen", async () => {
    const alert = app.browser.$(".error[role=alert]");
    await alert.waitForExist({ timeout: 20000 });
    assert.match(await alert.getText(), /aucune banque de questions n'est installée.*certroom station install-bank/s);
    await browserStillThere(app.browser);
    assert.doesNotMatch(await app.browser.$("body").getText(), /Mode démonstration/, "not shown as a demo");
    await app.browser.saveScreenshot(join(ARTIFACTS, "kiosk-not-ready.png"));
  });
});

describe("a lab PC whose journal is damaged", () => {
  let screen, app, dataDir;

  before(async () => {
    dataDir = newDataDir("damaged");
    setUpKiosk(dataDir);
    // A disk fault: the journal's file no longer holds a database.
    writeFileSync(join(dataDir, "journal.db"), Buffer.alloc(8192, 0x5a));
    screen = await startDisplay();
    app = await startApp(screen, ["--data-dir", dataDir, "kiosk"]);
  });

  after(async () => {
    await app?.stop();
    screen?.stop();
  });

  it("says so in French and who can help, and stays up", async () => {
    const alert = app.browser.$(".error[role=alert]");
    await alert.waitForExist({ timeout: 20000 });
    assert.match(await alert.getText(), /son journal est endommagé.*autre poste.*référent numérique/s);
    await browserStillThere(app.browser);
    assert.equal(await app.browser.$("#session").isExisting(), false, "no candidate can join");
    assert.equal(readFileSync(join(dataDir, "journal.db"))[0], 0x5a, "the damaged file is kept as it is, for whoever examines it");
    await app.browser.saveScreenshot(join(ARTIFACTS, "kiosk-journal-damaged.png"));
  });
});

/** The window answers WebDriver 10 s later: the process did not exit. */
async function browserStillThere(browser) {
  await sleep(10000);
  assert.equal(await browser.execute(() => document.readyState), "complete");
}
