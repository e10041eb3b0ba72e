// The school office through the real window: a whole chain run (`certroom sim e2e --keep`) gives
// a published session and its signed results; the office PC sets the centre up and signs in,
// imports the results file as an offline centre would (a forged copy refused first), then fetches newer results from the service,
// previews a certificate, and prints a class and a selection as PDFs read back with poppler and
// verified offline with `certroom certificate verify`; then saves one where the secretary chooses
// and prints it on the default printer (CUPS-PDF).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { ARTIFACTS, BIN, ROOT, certroom, fill, freePort, newDataDir, requireTool, startApp, startDisplay, waitFor , assertReflows } from "./harness.mjs";

const UAI = "0750654D";
const SERVER_BIN = process.env.CERTIF_SERVER_BIN ?? join(ROOT, "target/debug/certif-server");

async function importResults(browser, text) {
  await browser.execute((content) => {
    const input = document.querySelector("#results-file");
    const transfer = new DataTransfer();
    transfer.items.add(new File([content], "resultats.signed", { type: "text/plain" }));
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }, text);
  await browser.$("#import-button").click();
}

async function statusText(browser) {
  await browser.waitUntil(async () => (await browser.$("#results-status").getText()) !== "" || (await browser.$("#results-error").isExisting()), { timeout: 30000 });
  return (await browser.$("#results-error").isExisting()) ? await browser.$("#results-error").getText() : await browser.$("#results-status").getText();
}

async function printedPdf(browser) {
  await browser.$("#print-path").waitForExist({ timeout: 60000 });
  const path = (await browser.$("#print-path").getText()).trim();
  assert.ok(existsSync(path), path);
  return path;
}

describe("office: certificates", () => {
  let screen, app, browser, dataDir, keep, service, base, serverKey, saveDir;

  before(async () => {
    keep = newDataDir("office-chain");
    execFileSync(BIN, ["sim", "e2e", "--candidates", "4", "--keep", keep, "--bank", join(ROOT, "assets/bank/sample")], { stdio: "ignore", timeout: 300000 });
    serverKey = readFileSync(join(keep, "server-key.txt"), "utf8").trim();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = spawn(SERVER_BIN, ["serve", "--bind", `127.0.0.1:${port}`, "--data-dir", join(keep, "service"), "--base-url", base], { stdio: "ignore" });
    await waitFor(async () => (await fetch(`${base}/health`).catch(() => null))?.ok, "certif-server", 30000);
    dataDir = newDataDir("office");
    // The smallest screen WCAG's reflow criterion names (1280×720): nothing may scroll sideways.
    screen = await startDisplay({ width: 1280, height: 720 });
    saveDir = newDataDir("office-save-as");
    app = await startApp(screen, ["--data-dir", dataDir, "office"], { CERTROOM_SAVE_AS_DIR: saveDir });
    browser = app.browser;
  });

  after(async () => {
    await app?.stop();
    screen?.stop();
    service?.kill("SIGTERM");
  });

  it("sets the centre up on the office PC, then signs in with its password", async () => {
    await browser.$("#uai").waitForExist({ timeout: 20000 });
    await browser.$("#uai").setValue(UAI);
    await browser.$("#name").setValue("Lycée Henri-IV");
    await browser.$("#address").setValue("23 rue Clovis, 75005 Paris");
    await browser.$("#password").setValue("administrateur-2026");
    await browser.$("#confirm").setValue("administrateur-2026");
    await browser.$("form button[type=submit]").click();
    await browser.$("#sign-out").waitForExist({ timeout: 10000 });
    await browser.$("#sign-out").click();
    await browser.$("#password").waitForExist({ timeout: 10000 });
    await browser.$("#password").setValue("mauvais-mot-de-passe");
    await browser.$("#sign-in").click();
    await browser.$("#office-error").waitForExist({ timeout: 5000 });
    await browser.$("#password").setValue("administrateur-2026");
    await browser.$("#sign-in").click();
    await browser.$("#office-settings").waitForExist({ timeout: 10000 });
    assert.match(await browser.$("#no-results").getText(), /Aucun résultat/);
  });

  it("refuses a forged results file and imports the signed one (offline centre)", async () => {
    await fill(browser, "#service-key", serverKey);
    await browser.$("#settings-save").click();
    await browser.waitUntil(async () => /enregistrés/.test(await browser.$("#office-settings").getText()), { timeout: 10000 });
    const good = readFileSync(join(keep, "results.signed"), "utf8");
    assert.ok(good.includes("Zoé"));
    await importResults(browser, good.replace("Zoé", "Zoë"));
    assert.match(await statusText(browser), /signature/);
    assert.ok(await browser.$("#no-results").isExisting(), "nothing imported");
    await importResults(browser, good);
    assert.match(await statusText(browser), /4 candidat/);
    const text = await browser.$("office-results").getText();
    for (const name of ["N'DIAYE-LEFÈVRE", "Zoé", "ÁNH", "Đặng Thị", "ÆRØ", "Øystein"]) assert.ok(text.includes(name), `${name} in ${text}`);
  });

  it("fetches newer results from the service with the centre token", async () => {
    // The settings fold away once a key is recorded: open them again.
    if (!(await browser.$("#service-url").isDisplayed())) await browser.$("#office-settings summary").click();
    await fill(browser, "#service-url", base);
    await fill(browser, "#centre-token", readFileSync(join(keep, "centre-token.txt"), "utf8").trim());
    await browser.$("#settings-save").click();
    await browser.waitUntil(async () => /Un jeton est enregistré/.test(await browser.$("#token-hint").getText()), { timeout: 10000 });
    await browser.$("#fetch").click();
    assert.match(await statusText(browser), /vérifiés et enregistrés : 1 session/);
    // The older file is now refused: results never go back in time.
    await importResults(browser, readFileSync(join(keep, "results.signed"), "utf8"));
    assert.match(await statusText(browser), /plus ancien/);
  });

  it("previews a certificate", async () => {
    const row = await browser.$("tr[data-key$='#1']");
    const code = await row.$("td.mono").getText();
    await row.$("button.secondary").click();
    await browser.$("#certificate-preview").waitForExist({ timeout: 5000 });
    assert.equal(await browser.$("#preview-code").getText(), code);
    assert.match(await browser.$("#preview-name").getText(), /Zoé N'DIAYE-LEFÈVRE/);
    await browser.saveScreenshot(join(ARTIFACTS, "office-preview.png"));
    await browser.$("#preview-close").click();
    await browser.waitUntil(async () => !(await browser.$("#certificate-preview").isExisting()), { timeout: 5000 });
  });

  it("prints a whole class as one PDF that verifies offline", async () => {
    await browser.$("#group-by-class").click();
    await browser.waitUntil(async () => /Classe 3A/.test(await browser.$("#group-0").getText()), { timeout: 5000 });
    await browser.saveScreenshot(join(ARTIFACTS, "office-roster.png"));
    // On a 1280×720 screen nothing scrolls sideways: every print button is in view.
    const fit = await browser.execute(() => ({
      width: window.innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
      right: Math.max(...[...document.querySelectorAll(".roster .actions button, #print-selection")].map((b) => b.getBoundingClientRect().right)),
      wrapped: [...document.querySelectorAll(".table-scroll")].some((w) => w.scrollWidth > w.clientWidth),
    }));
    assert.ok(fit.width >= 1200 && fit.scrollWidth <= fit.width && fit.right <= fit.width && !fit.wrapped, `the roster scrolls sideways: ${JSON.stringify(fit)}`);
    await assertReflows(browser, "the roster");
    await browser.$("#print-group-0").click();
    const path = await printedPdf(browser);
    const text = execFileSync("pdftotext", [path, "-"], { encoding: "utf8" });
    assert.ok(text.includes("N'DIAYE-LEFÈVRE") && text.includes("Zoé"), text);
    assert.ok(!text.includes("Øystein"), "only class 3A");
    const verified = certroom(["certificate", "verify", path, "--service-key", serverKey]);
    assert.match(verified, /VALIDE \/ VALID .*Zoé N'DIAYE-LEFÈVRE/);
    // The same offline, with the key set the service publishes (docs/certificate-format.md §10).
    const keySet = join(dataDir, "service-keys.json");
    writeFileSync(keySet, await (await fetch(`${base}/v1/keys`)).text());
    const bySet = certroom(["certificate", "verify", path, "--key-set", keySet]);
    assert.match(bySet, /VALIDE \/ VALID .*Zoé N'DIAYE-LEFÈVRE/);
    execFileSync("pdftoppm", ["-png", "-r", "80", "-singlefile", path, join(ARTIFACTS, "office-certificate")]);
    assert.ok(existsSync(join(ARTIFACTS, "office-certificate.png")));
  });

  it("prints a selection, in English, with every name exact", async () => {
    await browser.$("#group-by-session").click();
    await browser.$("#certificate-lang").selectByAttribute("value", "en");
    for (const key of ["#2", "#3", "#4"]) {
      // Centred first: at the top edge the sticky toolbar would take the click.
      const box = await browser.$(`tr[data-key$='${key}'] input[type=checkbox]`);
      await box.scrollIntoView({ block: "center" });
      await box.click();
    }
    const button = await browser.$("#print-selection");
    assert.match(await button.getText(), /\(3\)/);
    await browser.$("#print-path").waitForExist({ timeout: 5000 });
    const previous = await browser.$("#print-path").getText();
    await button.click();
    await browser.waitUntil(async () => (await browser.$("#print-path").isExisting()) && (await browser.$("#print-path").getText()) !== previous, { timeout: 60000 });
    const path = await printedPdf(browser);
    const text = execFileSync("pdftotext", [path, "-"], { encoding: "utf8" });
    for (const name of ["Léa", "MARTIN", "Đặng Thị", "ÁNH", "Øystein", "ÆRØ", "Date of issue"]) assert.ok(text.includes(name), `${name} in ${text}`);
    assert.ok(!text.includes("Zoé"));
    assert.match(await browser.$("#print-result").getText(), /3 page/);
    writeFileSync(join(ARTIFACTS, "office-selection.txt"), text);
  });

  it("saves the PDF where the secretary chooses, and prints it on the default printer", async () => {
    const path = await printedPdf(browser);
    // « Enregistrer sous… »: the native dialog's choice is the folder the suite gave the window.
    await browser.$("#save-as").click();
    await browser.$("#after-print").waitForExist({ timeout: 10000 });
    const saved = join(saveDir, basename(path));
    assert.equal(await browser.$("#after-print").getText(), `Enregistré : ${saved}`);
    assert.deepEqual(readFileSync(saved), readFileSync(path));
    // The default printer is CUPS-PDF (scripts/start-printer): the printed job lands in ~/PDF.
    requireTool("lp");
    const spool = join(homedir(), "PDF");
    const before = new Set(existsSync(spool) ? readdirSync(spool) : []);
    await browser.$("#print-paper").click();
    await browser.waitUntil(async () => /Envoyé à l'imprimante par défaut \(travail PDF-\d+\)/.test(await browser.$("#after-print").getText()), { timeout: 15000 });
    let printed;
    await waitFor(() => {
      printed = (existsSync(spool) ? readdirSync(spool) : []).find((f) => !before.has(f) && f.endsWith(".pdf"));
      return printed !== undefined;
    }, "the job printed by CUPS-PDF", 30000);
    // CUPS-PDF writes the file as the job goes (through Ghostscript, which re-encodes the text):
    // once complete, it is our document's three pages, under its name.
    await waitFor(() => {
      try {
        const info = execFileSync("pdfinfo", [join(spool, printed)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
        return /^Pages:\s+3$/m.test(info) && info.includes(basename(path));
      } catch {
        return false;
      }
    }, "the three printed pages", 30000);
  });
});
