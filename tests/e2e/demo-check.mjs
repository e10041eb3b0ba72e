// `scripts/demo --check`: the demo room, headless. The console opens on its live room, the
// paired kiosk connects; one candidate joins, is authorized from the console and answers three
// questions; the console's room must then show that candidate at question 3 or later.
// Screenshots of both windows go to the demo folder. Exits non-zero otherwise.
//
// Usage: node tests/e2e/demo-check.mjs DEMO_DIR
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { answerCurrent, fill, startApp, startDisplay, waitFor } from "./harness.mjs";

const demo = process.argv[2];
if (!demo) {
  console.error("usage : node tests/e2e/demo-check.mjs DOSSIER_DE_DÉMO");
  process.exit(2);
}
const room = JSON.parse(readFileSync(join(demo, "console", "demo-room.json"), "utf8"));
const [first, birth, birthdate] = room.candidates[1];

const screen = await startDisplay({ width: 1366, height: 768 });
const apps = [];
let failed = false;
try {
  const consoleApp = await startApp(screen, ["--data-dir", join(demo, "console"), "console", "--open-demo-room"]);
  apps.push(consoleApp);
  const c = consoleApp.browser;
  await c.$(".tile").waitForExist({ timeout: 30000 });
  const kioskApp = await startApp(screen, ["--data-dir", join(demo, "kiosk"), "kiosk"]);
  apps.push(kioskApp);
  const k = kioskApp.browser;

  // The paired PC reached the console: its readiness report is in the room.
  await waitFor(async () => c.$(".readiness-station").isExisting(), "the kiosk connecting to the console", 60000);
  await k.$("#session").waitForExist({ timeout: 30000 });
  await fill(k, "#session", String(room.session));
  await fill(k, "#firstName", first);
  await fill(k, "#birthName", birth);
  await fill(k, "#birthdate", birthdate);
  await k.$("form button[type=submit]").click();
  await k.$("#ack").waitForExist({ timeout: 15000 });
  await k.$("#ack").click();
  await k.$("#start").click();
  await k.$("#access-code").waitForExist({ timeout: 15000 });
  await fill(k, "#access-code", room.access_code);
  await k.$("#access-code-submit").click();
  await k.$("#waiting-room").waitForExist({ timeout: 15000 });

  const waiting = c.$(".tile[data-status=waiting_authorization]");
  await waiting.waitForExist({ timeout: 15000 });
  const id = await waiting.getAttribute("data-candidate");
  await waiting.$(".presence").click();
  await waiting.$(".authorize").click();
  await k.$("#question-title").waitForExist({ timeout: 15000 });
  for (let n = 0; n < 3; n++) {
    // The progress line, not the instruction: two questions in a row may share their wording.
    const before = await k.$("#progress-text").getText();
    await answerCurrent(k);
    await k.waitUntil(async () => (await k.$("#progress-text").getText()) !== before, { timeout: 15000, timeoutMsg: `question ${n + 1} was not acknowledged` });
  }
  const tile = c.$(`.tile[data-candidate="${id}"]`);
  await c.waitUntil(async () => {
    const text = (await tile.$(".tile-question").getProperty("textContent")) ?? "";
    return Number(text.match(/^\s*(\d+)/)?.[1] ?? 0) >= 3;
  }, { timeout: 15000, timeoutMsg: "the console's room does not show the candidate at question 3 or later" });
  console.log(`demo --check : ${first} ${birth} est à la question ${(await tile.$(".tile-question").getProperty("textContent")).trim()} sur la console.`);
  await c.saveScreenshot(join(demo, "demo-console.png"));
  await k.saveScreenshot(join(demo, "demo-kiosk.png"));
  console.log(`demo --check : captures ${join(demo, "demo-console.png")} et ${join(demo, "demo-kiosk.png")}`);
} catch (e) {
  failed = true;
  console.error(`demo --check : échec / failed: ${e.message}`);
  for (const [i, app] of apps.entries()) await app.browser.saveScreenshot(join(demo, `demo-failed-${i}.png`)).catch(() => {});
} finally {
  for (const app of apps.reverse()) await app.stop();
  screen.stop();
}
process.exit(failed ? 1 : 0);
