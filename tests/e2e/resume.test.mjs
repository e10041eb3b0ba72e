// A candidate's test survives kill -9: the kiosk comes back, waits for the invigilator, and puts
// the candidate back on the question they were on, with their answers kept (issue: journal).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ARTIFACTS, SESSION_CODE, answerCurrent, certroom, newDataDir, setUpKiosk, sleep, startApp, startDisplay } from "./harness.mjs";

const questionText = (browser) => browser.$("#instruction").getText();
const progressText = (browser) => browser.$("#progress-text").getText();

describe("resume after kill -9", () => {
  let screen, app, dataDir;
  before(async () => {
    dataDir = newDataDir("resume");
    setUpKiosk(dataDir);
    screen = await startDisplay();
  });
  after(async () => {
    await app?.stop();
    screen?.stop();
  });

  it("puts the candidate back on their question after the invigilator authorizes", async () => {
    app = await startApp(screen, ["--data-dir", dataDir, "kiosk"]);
    let browser = app.browser;
    await browser.$("#session").waitForExist({ timeout: 20000 });
    await browser.$("#session").setValue("4242");
    await browser.$("#firstName").setValue("Đặng Thị");
    await browser.$("#birthName").setValue("Ánh");
    await browser.$("#birthdate").setValue("03/09/2009");
    await browser.$("#welcome-form button[type=submit], form button[type=submit]").click();
    await browser.$("#ack").click();
    await browser.$("#start").click();
    await browser.$("#authorize-code").setValue(SESSION_CODE);
    await browser.keys("Enter");
    await browser.$("#question-title").waitForExist({ timeout: 15000 });
    for (let n = 0; n < 3; n++) {
      const before = await questionText(browser);
      await answerCurrent(browser);
      await browser.waitUntil(async () => (await questionText(browser)) !== before, { timeout: 20000 }).catch(async (e) => {
        // What the candidate sees when the next question does not come: for whoever reads CI.
        await browser.saveScreenshot(join(ARTIFACTS, `kiosk-resume-stuck-${n}.png`));
        console.error(`question ${n + 1} did not move on; screen text:`, await browser.$("main").getText().catch(() => "?"));
        throw e;
      });
    }
    const onScreen = await questionText(browser);
    assert.match(await progressText(browser), /3/);

    // Power cut: the kiosk process dies without a chance to save anything.
    const pids = execFileSync("pgrep", ["-f", "--", `--data-dir ${dataDir} kiosk`], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
    assert.ok(pids.length > 0, "the kiosk process is found");
    for (const pid of pids) process.kill(Number(pid), "SIGKILL");
    await app.stop();
    await sleep(500);

    app = await startApp(screen, ["--data-dir", dataDir, "kiosk"]);
    browser = app.browser;
    await browser.$("#waiting-title").waitForExist({ timeout: 20000 });
    assert.ok(await browser.$("#resume-text").isExisting(), "the screen says the test will resume");
    await browser.saveScreenshot(join(ARTIFACTS, "kiosk-resume-waiting.png"));
    await browser.$("#authorize-code").setValue("wrong-code");
    await browser.keys("Enter");
    await browser.$("#authorize-error").waitForExist({ timeout: 15000 });
    await browser.$("#authorize-code").setValue(SESSION_CODE);
    await browser.keys("Enter");
    await browser.$("#question-title").waitForExist({ timeout: 15000 });
    assert.equal(await questionText(browser), onScreen, "same question as before the kill");
    assert.match(await progressText(browser), /3/, "the three answers are kept");
    await browser.saveScreenshot(join(ARTIFACTS, "kiosk-resumed.png"));

    const verify = certroom(["journal", "verify", join(dataDir, "journal.db")]);
    assert.match(verify, /^OK\s+1 test/);
  });
});
