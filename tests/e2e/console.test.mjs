// Session set-up through the real console window: the centre's first launch, a session, an
// import refused with its full report, the fixed file imported, the candidates on screen, and
// the attendance sheet printed.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, newDataDir, startApp, startDisplay , assertReflows } from "./harness.mjs";

const HEADER = "* Nom de naissance;* Prénom;Identifiant local;Temps majoré ?;* Date de naissance (format : jj/mm/aaaa);Nom de la commune;Code postal;Code Insee;Pays;E-mail de convocation;E-mail du destinataire des résultats;* Sexe (M ou F)";
const GOOD = [
  "N'Diaye-Lefèvre;Zoé;3A;33;14/02/2010;;;75105;;;;F",
  "Ærø;Øystein;3A;;03/09/2009;Oslo;;;NORVEGE;;;M",
];
const BAD_LINE = "Martin;Léo;3B;;31/02/2010;;;75105;;;;X";

async function importText(browser, name, text) {
  await browser.execute((fileName, content) => {
    const input = document.querySelector("#import-file");
    const transfer = new DataTransfer();
    transfer.items.add(new File([content], fileName, { type: "text/csv" }));
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }, name, text);
  await browser.$("#import-button").click();
}

describe("console: session set-up", () => {
  let screen, app, browser, dataDir;
  before(async () => {
    dataDir = newDataDir("console");
    screen = await startDisplay();
    app = await startApp(screen, ["--data-dir", dataDir, "console"]);
    browser = app.browser;
  });
  after(async () => {
    await app?.stop();
    screen?.stop();
  });

  it("sets the centre up at first launch", async () => {
    await browser.$("#uai").waitForExist({ timeout: 20000 });
    await browser.$("#uai").setValue("0750654E");
    await browser.$("#name").setValue("Lycée Henri-IV");
    await browser.$("#address").setValue("23 rue Clovis, 75005 Paris");
    await browser.$("#password").setValue("administrateur-2026");
    await browser.$("#confirm").setValue("administrateur-2026");
    await browser.$("form button[type=submit]").click();
    await browser.$("#console-error").waitForExist({ timeout: 5000 });
    assert.match(await browser.$("#console-error").getText(), /lettre de contrôle/);
    await browser.$("#uai").setValue("0750654D");
    await browser.$("form button[type=submit]").click();
    await browser.$("#sessions-title").waitForExist({ timeout: 10000 });
    await assertReflows(browser, "the sessions screen");
  });

  it("shows where its technical log is, for support", async () => {
    const footer = await browser.$("#log-folder").getText();
    assert.ok(footer.includes(`${dataDir}/logs`), footer);
    assert.match(footer, /^Journal technique de ce poste/);
  });

  it("creates a session with its codes", async () => {
    await browser.$("#session-site").setValue("Lycée Henri-IV");
    await browser.$("#session-room").setValue("Salle B12");
    await browser.$("#session-date").setValue("12/03/2027");
    await browser.$("#session-time").setValue("08:30");
    await browser.$("#session-invigilators").setValue("Mme Hélène Lefèvre");
    await browser.$("#session-submit").click();
    await browser.$("#open-1").waitForExist({ timeout: 10000 });
    await browser.$("#open-1").click();
    await browser.$("#access-code").waitForExist({ timeout: 10000 });
    assert.match(await browser.$("#access-code").getText(), /^[BCDFGHJKMPQRTVWXY]{4}[2346789]{2}$/);
  });

  it("refuses a file with an error, listing it, and imports nothing", async () => {
    await importText(browser, "eleves.csv", [HEADER, ...GOOD, BAD_LINE].join("\n"));
    await browser.$("#import-report").waitForExist({ timeout: 15000 });
    const report = await browser.$("#import-report").getText();
    assert.match(report, /4/, "the bad line is named");
    assert.match(report, /Date de naissance/);
    assert.match(report, /Sexe/);
    assert.match(await browser.$("#import-summary").getText(), /aucun candidat/);
    await browser.saveScreenshot(join(ARTIFACTS, "console-import-refused.png"));
    const rows = await browser.$$("#candidates-table tbody tr");
    assert.equal(rows.length, 0, "all or nothing");
  });

  it("imports the fixed file and shows the candidates", async () => {
    await importText(browser, "eleves.csv", [HEADER, ...GOOD, "Martin;Léo;3B;;28/02/2010;;;75105;;;;M"].join("\n"));
    await browser.$("#import-result").waitForExist({ timeout: 15000 });
    await browser.waitUntil(async () => (await browser.$$("#candidates-table tbody tr")).length === 3, { timeout: 10000 });
    const table = await browser.$("#candidates-table").getText();
    for (const name of ["N'Diaye-Lefèvre", "Zoé", "Ærø", "Øystein", "Martin"]) assert.ok(table.includes(name), `${name} in ${table}`);
    await browser.saveScreenshot(join(ARTIFACTS, "console-candidates.png"));
  });

  it("prints the attendance sheet with every name", async () => {
    await browser.$("#attendance-pdf").click();
    await browser.$("#export-path").waitForExist({ timeout: 15000 });
    const path = (await browser.$("#export-path").getText()).trim();
    assert.ok(existsSync(path), path);
    const text = execFileSync("pdftotext", ["-layout", path, "-"], { encoding: "utf8" });
    for (const name of ["N'Diaye-Lefèvre", "Zoé", "Ærø", "Øystein", "Martin", "Léo"]) assert.ok(text.includes(name), name);
  });
});
