// The kiosk's lockdown, checked on the real window under Xvfb + openbox through WebDriver.
// Run against a debug build with CERTROOM_KIOSK_UNLOCKED=1 these checks must fail.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, EXIT_CODE, SCREEN, SESSION_CODE, newDataDir, setUpKiosk, sleep, startApp, startDisplay, waitFor, xdotool } from "./harness.mjs";

function kioskLog(dir) {
  try {
    return readFileSync(join(dir, "kiosk-events.jsonl"), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
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
