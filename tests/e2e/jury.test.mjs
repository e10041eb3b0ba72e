// A session with one fraud, through to the console's window: a whole chain run
// (`certroom sim e2e --fraud 1 --keep`) records a C6 for one candidate, the service holds the
// session for the jury, and a jury member added with `certif-server jury add` rejects that
// candidate on the jury pages and validates the others. The console is then opened on the kept
// data with what it last knew set back to the receipt's "pending_jury": opening the session page
// asks the service, whose signed answer makes the page and the list say "Publiée".
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, BIN, ROOT, freePort, newDataDir, startApp, startDisplay, waitFor } from "./harness.mjs";

const SERVER_BIN = process.env.CERTIF_SERVER_BIN ?? join(ROOT, "target/debug/certif-server");
const ADMIN_PASSWORD = "secretariat-2026";

describe("jury: a fraud rejected, the others published, the console told", () => {
  let screen, app, browser, keep, service, report;

  before(async () => {
    keep = newDataDir("jury-chain");
    const out = execFileSync(BIN, ["sim", "e2e", "--candidates", "3", "--fraud", "1", "--json", "--keep", keep, "--bank", join(ROOT, "assets/bank/sample")], {
      encoding: "utf8",
      timeout: 300000,
    });
    report = JSON.parse(out);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    service = spawn(SERVER_BIN, ["serve", "--bind", `127.0.0.1:${port}`, "--data-dir", join(keep, "service"), "--base-url", base], { stdio: "ignore" });
    await waitFor(async () => (await fetch(`${base}/health`).catch(() => null))?.ok, "certif-server", 30000);
    // The same service (same data, same key) on another port.
    const link = join(keep, "console", "service.json");
    writeFileSync(link, JSON.stringify({ ...JSON.parse(readFileSync(link, "utf8")), url: base }));
    // Forget what the console read back after the jury: only the receipt's word stays.
    execFileSync("python3", ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('UPDATE outbox SET service_status=NULL, service_status_as_of=NULL'); c.commit()", join(keep, "console", "outbox.db")]);
    screen = await startDisplay();
    app = await startApp(screen, ["--data-dir", join(keep, "console"), "console"]);
    browser = app.browser;
  });

  after(async () => {
    await app?.stop();
    screen?.stop();
    service?.kill("SIGTERM");
  });

  it("held the session for the jury, whose member rejected the fraud and published the others", () => {
    assert.equal(report.receipt_status, "pending_jury");
    assert.equal(report.jury_rejected, 1);
    assert.equal(report.published, 2);
  });

  it("shows the session published on its page once the service is asked, and in the list", async () => {
    await browser.$("#password").waitForExist({ timeout: 20000 });
    await browser.$("#password").setValue(ADMIN_PASSWORD);
    await browser.$("form button[type=submit]").click();
    await browser.$("#open-1").waitForExist({ timeout: 15000 });
    await browser.$("#open-1").click();
    await browser.$("#upload-stage").waitForExist({ timeout: 30000 });
    await browser
      .waitUntil(async () => (await browser.$("#session-stage").getText()) === "Publiée", { timeout: 30000 })
      .catch(async () => {
        const page = await browser.$("#session-detail").getText();
        throw new Error(`the session page never said Publiée:\n${page}`);
      });
    assert.equal(await browser.$("#upload-state").getAttribute("data-state"), "sent");
    assert.match(await browser.$("#upload-state").getText(), /^Reçu par le service le /);
    assert.match(await browser.$("#upload-stage").getText(), /: Publiée\.$/);
    assert.equal(await browser.$("#upload-send-again").isExisting(), false);
    await browser.saveScreenshot(join(ARTIFACTS, "console-session-published.png"));
    await browser.$("#back-to-sessions").click();
    await browser.$("#sessions-table").waitForExist({ timeout: 10000 });
    const stage = await browser.$("#sessions-table tbody tr td:nth-child(8)").getText();
    assert.equal(stage, "Publiée");
  });
});
