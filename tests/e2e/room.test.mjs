// The live room through the real windows: the console hosts the hub, a lab PC is paired, a
// candidate is refused then joins, waits, is authorized from the console, answers, loses focus
// (the console shows it), raises an alert the invigilator validates (replacement question), is
// ended by the invigilator; the session is finalized, its report names the candidate and its
// signed result bundle verifies offline.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, BIN, SESSION_CODE, answerCurrent, certroom, fill, freePort, newDataDir, setUpKiosk, startApp, startDisplay, waitFor, xdotool , assertReflows } from "./harness.mjs";

const HEADER = "* Nom de naissance;* Prénom;Identifiant local;Temps majoré ?;* Date de naissance (format : jj/mm/aaaa);Nom de la commune;Code postal;Code Insee;Pays;E-mail de convocation;E-mail du destinataire des résultats;* Sexe (M ou F)";
const SURNAMES = ["Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez"];
const FIRST_NAMES = ["Adam", "Inès", "Jade", "Louis", "Emma", "Gabriel", "Lina", "Raphaël", "Chloé", "Arthur", "Léna", "Hugo", "Mila", "Jules", "Rose", "Nathan", "Alice", "Sacha", "Anna", "Tom", "Lou", "Noé", "Eva", "Paul", "Nina", "Yanis", "Manon", "Ethan"];
// A full room: thirty candidates, who must all fit one 1366×768 console screen.
const CANDIDATES = [
  "N'Diaye-Lefèvre;Zoé;3A;;14/02/2010;;;75105;;;;F",
  "Martin;Léo;3B;;28/02/2010;;;75105;;;;M",
  ...SURNAMES.map((name, i) => `${name};${FIRST_NAMES[i]};3C${i + 1};;${String((i % 28) + 1).padStart(2, "0")}/03/2010;;;75105;;;;${i % 2 ? "M" : "F"}`),
];
const CONSOLE_SCREEN = { width: 1366, height: 768 };

const tile = (console_, id) => console_.$(`.tile[data-candidate="${id}"]`);
const tileStatus = async (console_, id) => (await tile(console_, id)).getAttribute("data-status");

describe("live room", () => {
  let bankPack;
  let screen, consoleApp, kioskApp, consoleDir, kioskDir, session, password, accessCode, hubPort, fingerprint, usbDir, recoveryCode;
  let screenReader, screenReaderLog;
  before(async () => {
    consoleDir = newDataDir("room-console");
    // The "USB key" the invigilator chooses for the standby copy (the folder chooser's answer).
    usbDir = newDataDir("room-usb");
    kioskDir = newDataDir("room-kiosk");
    ({ pack: bankPack } = setUpKiosk(kioskDir, { bank: false }));
    // A folder of its own: a log left by an earlier run must not answer for this one.
    const readerDir = newDataDir("room-screen-reader");
    screenReader = join(readerDir, "screen-reader.sh");
    screenReaderLog = join(readerDir, "screen-reader.log");
    writeFileSync(screenReader, `#!/bin/sh\necho "started $*" >> ${screenReaderLog}\ntrap 'echo stopped >> ${screenReaderLog}; exit 0' TERM\nwhile :; do sleep 0.2; done\n`, { mode: 0o755 });
    const created = certroom(["--data-dir", consoleDir, "session", "create", "--site", "Lycée Henri-IV", "--room", "Salle B12", "--date", "12/03/2027", "--start-time", "08:30", "--invigilator", "Mme Hélène Lefèvre"]);
    session = Number(created.match(/session (\d+)/)[1]);
    accessCode = created.match(/candidats : (\S+)/)[1];
    password = created.match(/surveillant : (\S+)/)[1];
    const file = join(consoleDir, "eleves.csv");
    writeFileSync(file, [HEADER, ...CANDIDATES].join("\n"));
    certroom(["--data-dir", consoleDir, "session", "import", "--session", String(session), file]);
    hubPort = await freePort();
    screen = await startDisplay(CONSOLE_SCREEN);
  });
  after(async () => {
    await kioskApp?.stop();
    await consoleApp?.stop();
    screen?.stop();
  });

  it("opens the room on the console", async () => {
    consoleApp = await startApp(screen, ["--data-dir", consoleDir, "console"], { CERTROOM_SAVE_AS_DIR: usbDir });
    const c = consoleApp.browser;
    await c.$("#uai").waitForExist({ timeout: 20000 });
    await c.$("#uai").setValue("0750654D");
    await c.$("#name").setValue("Lycée Henri-IV");
    await c.$("#address").setValue("23 rue Clovis, 75005 Paris");
    await c.$("#password").setValue("administrateur-2026");
    await c.$("#confirm").setValue("administrateur-2026");
    await c.$("form button[type=submit]").click();
    await c.$(`#open-${session}`).waitForExist({ timeout: 15000 });
    await c.$(`#open-${session}`).click();
    await c.$("#room-open-form").waitForExist({ timeout: 10000 });
    await fill(c, "#room-password", password);
    await c.$("#room-bank-key").setValue(SESSION_CODE);
    await c.$("#room-bind").setValue(`127.0.0.1:${hubPort}`);
    await c.$("#room-open").click();
    await c.$("#room-fingerprint").waitForExist({ timeout: 15000 });
    fingerprint = (await c.$("#room-fingerprint").getText()).trim();
    assert.match(fingerprint.replace(/\s/g, ""), /^[0-9A-F]{64}$/i);
  });

  it("pairs the lab PC once the console confirms the same code", async () => {
    const c = consoleApp.browser;
    // Until the invigilator opens pairing, a PC asking is refused and the console sees nothing.
    assert.throws(
      () => certroom(["--data-dir", newDataDir("too-early"), "station", "pair", "--hub", `127.0.0.1:${hubPort}`, "--fingerprint", fingerprint, "--label", "PC-00", "--wait", "5"]),
      /L'appairage n'est pas ouvert/,
    );
    assert.equal((await c.$$(".pairing")).length, 0);
    await c.$("#pairing-open").click();
    await waitFor(async () => (await c.$("#pairing-window-state").getText()).startsWith("Appairage ouvert jusqu'à"), "the pairing window open");
    // The technician gives the console's name; nobody types the fingerprint: the code compared
    // on both screens is what says the PC speaks to this console.
    const pairing = spawn(BIN, ["--data-dir", kioskDir, "station", "pair", "--hub", `localhost:${hubPort}`, "--label", "PC-01"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    pairing.stdout.on("data", (d) => (out += d));
    const exited = new Promise((res) => pairing.on("exit", res));
    await waitFor(async () => /\d{3} \d{3}/.test(out), "the pairing code on the PC");
    const code = out.match(/(\d{3} \d{3})/)[1];
    await c.$(".pairing").waitForExist({ timeout: 10000 });
    assert.ok((await c.$(".pairing").getText()).includes(code), "the console shows the PC's code");
    await c.$(".pairing .pairing-confirm").click();
    assert.equal(await exited, 0, out);
    const kept = JSON.parse(readFileSync(join(kioskDir, "station.json"), "utf8")).hub;
    assert.equal(kept.address, `localhost:${hubPort}`, "the PC keeps the console's name, not an address");
    assert.equal(kept.fingerprint.toUpperCase(), fingerprint.replace(/\s/g, "").toUpperCase(), "and pins the certificate the console shows");
    await c.$("#pairing-close").click();
    await waitFor(async () => (await c.$("#pairing-window-state").getText()).startsWith("Appairage fermé"), "the pairing window closed");
    // A PC that pins another certificate is refused before it can say anything.
    assert.throws(() => certroom(["--data-dir", newDataDir("impostor"), "station", "pair", "--hub", `127.0.0.1:${hubPort}`, "--fingerprint", "00".repeat(32), "--wait", "1"]));
  });

  it("sends the session's bank from the console to the paired PC, which had none", async () => {
    kioskApp = await startApp(screen, ["--data-dir", kioskDir, "kiosk"], { CERTROOM_SCREEN_READER: screenReader });
    const k = kioskApp.browser;
    const c = consoleApp.browser;
    assert.equal(existsSync(join(kioskDir, "bank.pack")), false);
    // Before the bank arrives, a candidate is told to call the invigilator.
    await k.$("#session").waitForExist({ timeout: 20000 });
    await k.$("#session").setValue(String(session));
    await k.$("#firstName").setValue("zoe");
    await k.$("#birthName").setValue("NDIAYE LEFEVRE");
    await k.$("#birthdate").setValue("14/02/2010");
    await k.$("form button[type=submit]").click();
    if (!(await k.$("#ack").isSelected())) await k.$("#ack").click();
    await k.$("#start").click();
    await k.$("#join-errors").waitForExist({ timeout: 15000 });
    assert.match(await k.$("#join-errors").getText(), /pas encore reçu la banque de questions/);
    // The invigilator unfolds the room's set-up (folded once the PCs are paired) and chooses the
    // session's pack: the PC fetches it, checks it and keeps it.
    assert.equal(await c.$("#room-bank-file").isDisplayed(), false, "the set-up is folded once paired");
    await c.$("#room-setup-summary").click();
    await c.$("#room-bank-file").addValue(bankPack);
    await c.$(".bank-station[data-state=installed]").waitForExist({ timeout: 30000 }).catch(async (e) => {
      await c.saveScreenshot(join(ARTIFACTS, "room-console-bank-failed.png"));
      throw e;
    });
    assert.match(await c.$(".bank-station").getText(), /PC-01 : installée/);
    assert.deepEqual(readFileSync(join(kioskDir, "bank.pack")), readFileSync(bankPack));
    // The PC's own check, as it stands with its bank, reaches the console.
    await waitFor(async () => {
      const line = c.$('.readiness-station');
      return (await line.isExisting()) && (await line.getText()).startsWith("PC-01") && !(await c.$('.readiness-item[data-item="bank"]').isExisting());
    }, "the PC's readiness, with its bank");
    await c.saveScreenshot(join(ARTIFACTS, "room-console-bank.png"));
    // A blind pupil will sit at PC-01: the invigilator turns its screen reader on before they
    // come (here a stand-in for Orca that writes down how it was started and stopped), then off.
    const toggle = c.$('.speech-station[data-station] .speech-toggle');
    assert.equal(await toggle.getAttribute("aria-pressed"), "false");
    await toggle.click();
    await waitFor(async () => (await toggle.getAttribute("aria-pressed")) === "true", "the console shows speech on");
    await waitFor(() => existsSync(screenReaderLog) && readFileSync(screenReaderLog, "utf8").includes("started --replace"), "the kiosk started its screen reader");
    assert.equal(JSON.parse(readFileSync(join(kioskDir, "station.json"), "utf8")).speech, true, "the PC keeps it through a restart");
    await toggle.click();
    await waitFor(() => readFileSync(screenReaderLog, "utf8").includes("stopped"), "the kiosk stopped its screen reader");
    assert.equal(JSON.parse(readFileSync(join(kioskDir, "station.json"), "utf8")).speech, undefined);
    assert.equal(await toggle.getAttribute("aria-pressed"), "false");
    // Before the candidates come, the invigilator gives the console a USB key for its copy.
    await c.$("#standby-choose").click();
    await c.$("#standby-code").waitForExist({ timeout: 15000 });
    recoveryCode = (await c.$("#standby-code").getText()).trim();
    assert.match(recoveryCode, /^[2-9A-Z]{4}(-[2-9A-Z]{4}){4}$/);
    const copy = join(usbDir, "certroom-secours", `session-${session}`);
    assert.ok(existsSync(join(copy, "copie.json")) && existsSync(join(copy, "base.bin")), copy);
    await c.$("#standby-code").scrollIntoView();
    await c.saveScreenshot(join(ARTIFACTS, "room-console-standby.png"));
    await c.$("#room-setup-summary").click();
  });

  it("refuses a wrong birthdate, then the candidate joins and waits", async () => {
    const k = kioskApp.browser;
    const join_ = async (birthdate) => {
      await k.$("#session").waitForExist({ timeout: 20000 });
      await k.$("#session").setValue(String(session));
      await k.$("#firstName").setValue("zoe");
      await k.$("#birthName").setValue("NDIAYE LEFEVRE");
      await k.$("#birthdate").setValue(birthdate);
      await k.$("form button[type=submit]").click();
      // The acknowledgement stays ticked after a refusal: tick it only if needed.
      if (!(await k.$("#ack").isSelected())) await k.$("#ack").click();
      await k.$("#start").click();
    };
    await join_("15/02/2010");
    await k.$("#join-errors").waitForExist({ timeout: 15000 });
    assert.match(await k.$("#join-errors").getText(), /Aucun candidat inscrit/);
    await join_("14/02/2010");
    await k.$("#access-code").waitForExist({ timeout: 15000 }).catch(async (e) => {
      await k.saveScreenshot(join(ARTIFACTS, "room-kiosk-join-failed.png"));
      throw e;
    });
    await fill(k, "#access-code", accessCode.toLowerCase());
    await k.$("#access-code-submit").click();
    await k.$("#waiting-room").waitForExist({ timeout: 15000 });
    await k.saveScreenshot(join(ARTIFACTS, "room-kiosk-waiting.png"));
    const c = consoleApp.browser;
    await c.waitUntil(async () => (await tileStatus(c, 1).catch(() => "")) === "waiting_authorization" || (await c.$$(".tile[data-status=waiting_authorization]")).length > 0, { timeout: 10000 });
  });

  it("is authorized from the console, answers three questions and loses focus", async () => {
    const c = consoleApp.browser;
    const k = kioskApp.browser;
    const waiting = await c.$(".tile[data-status=waiting_authorization]");
    const id = await waiting.getAttribute("data-candidate");
    await waiting.$(".authorize").click();
    await k.$("#question-title").waitForExist({ timeout: 15000 });
    for (let n = 0; n < 3; n++) {
      // The progress line, not the instruction: two questions in a row may share their wording.
      const before = await k.$("#progress-text").getText();
      await answerCurrent(k);
      await k.waitUntil(async () => (await k.$("#progress-text").getText()) !== before, { timeout: 10000 });
    }
    // Another window takes the focus away from the kiosk, then gives it back.
    xdotool(screen, "search", "--name", "certroom — console", "windowactivate");
    // The count is in the tile's folded details: read from the page, not from what is drawn.
    await c.waitUntil(async () => Number((await tile(c, id).$(".focus-losses").getProperty("textContent")).match(/\d+/)?.[0] ?? 0) >= 1, { timeout: 10000 });
    await c.saveScreenshot(join(ARTIFACTS, "room-console-live.png"));
    xdotool(screen, "search", "--name", "certroom", "windowactivate");
    this_id = id;
  });

  let this_id;
  it("raises an alert that the invigilator validates: a replacement question", async () => {
    const c = consoleApp.browser;
    const k = kioskApp.browser;
    const before = await k.$("#instruction").getText();
    await k.$("#report").click();
    await k.$("#alert-waiting").waitForExist({ timeout: 10000 });
    await c.waitUntil(async () => (await tileStatus(c, this_id)) === "alert", { timeout: 10000 });
    const first = await c.$(".tile");
    assert.equal(await first.getAttribute("data-candidate"), this_id, "the alert comes first");
    // Thirty candidates on one screen: with the room's list at the top, every tile is in view.
    await c.execute(() => document.querySelector("#tiles-title").scrollIntoView({ block: "start" }));
    const fit = await c.execute(() => {
      const tiles = [...document.querySelectorAll(".tile")];
      const bottom = Math.max(...tiles.map((t) => t.getBoundingClientRect().bottom));
      const right = Math.max(...tiles.map((t) => t.getBoundingClientRect().right));
      return { count: tiles.length, bottom, right, width: window.innerWidth, height: window.innerHeight, sideways: document.documentElement.scrollWidth > window.innerWidth };
    });
    await c.saveScreenshot(join(ARTIFACTS, "room-console-30.png"));
    await assertReflows(c, "the live room of 30");
    assert.equal(fit.count, 30, JSON.stringify(fit));
    assert.ok(fit.bottom <= fit.height && fit.right <= fit.width && !fit.sideways, `the room does not fit the screen: ${JSON.stringify(fit)}`);
    await tile(c, this_id).$(".alert-validate").click();
    await c.$("#alert-incident").waitForExist({ timeout: 5000 });
    await c.$("#alert-incident").selectByAttribute("value", "E1");
    await c.$("#dialog-confirm").click();
    await k.waitUntil(async () => (await k.$("#instruction").isExisting()) && (await k.$("#instruction").getText()) !== before, { timeout: 15000 });
    await k.saveScreenshot(join(ARTIFACTS, "room-kiosk-replacement.png"));
  });

  it("is ended by the invigilator; the session is finalized and reported", async () => {
    const c = consoleApp.browser;
    const k = kioskApp.browser;
    await tile(c, this_id).$(".tile-more summary").click();
    await tile(c, this_id).$(".end-test").click();
    await c.$("#end-reason").waitForExist({ timeout: 5000 });
    await c.$("#end-reason").setValue("Fin anticipée (test e2e)");
    await c.$("#dialog-confirm").click();
    await k.$("#finish").waitForExist({ timeout: 15000 });
    await k.saveScreenshot(join(ARTIFACTS, "room-kiosk-ended.png"));
    await c.waitUntil(async () => (await tileStatus(c, this_id)) === "ended", { timeout: 10000 });
    await c.$("#room-finalize").click();
    await c.$("#room-message").waitForExist({ timeout: 5000 });
    assert.match(await c.$("#room-message").getText(), /motif/i, "an unfinished test needs an abort reason");
    await tile(c, this_id).$(".abort-reason").selectByAttribute("value", "technical");
    await c.waitUntil(async () => (await c.$("#room-finalize").isEnabled()), { timeout: 5000 });
    await c.$("#room-finalize").click();
    await c.$("#room-report").waitForEnabled({ timeout: 10000 });
    await c.$("#room-report").click();
    await c.$("#room-report-path").waitForExist({ timeout: 15000 });
    const path = (await c.$("#room-report-path").getText()).trim();
    assert.ok(existsSync(path), path);
    const text = execFileSync("pdftotext", ["-layout", path, "-"], { encoding: "utf8" });
    assert.ok(text.includes("N'Diaye-Lefèvre"), text);
    assert.ok(text.includes("E1"), "the validated alert is an incident in the report");
    await c.saveScreenshot(join(ARTIFACTS, "room-console-finalized.png"));
    // The signed result bundle verifies offline and carries the candidate's signed journal.
    await c.$("#room-bundle").click();
    await c.waitUntil(async () => (await c.$("#room-report-path").getText()).endsWith(".bundle"), { timeout: 15000 });
    const bundle = (await c.$("#room-report-path").getText()).trim();
    const verified = certroom(["bundle", "verify", bundle]);
    assert.match(verified, /N'DIAYE-LEFÈVRE Zoé .*signé par/, verified);
    assert.match(verified, /incidents : E1/, verified);
    // The kiosk goes back to a clean welcome screen for the next candidate.
    await k.$("#finish").click();
    await k.$("#session").waitForExist({ timeout: 10000 });
  });

  it("kept a copy on the USB key that a spare PC restores with the recovery code", () => {
    const copy = join(usbDir, "certroom-secours", `session-${session}`);
    assert.ok(readFileSync(join(copy, "inputs.log")).length > 0, "every decision went to the key");
    const spare = newDataDir("room-spare");
    assert.throws(() => certroom(["--data-dir", spare, "standby", "restore", "--from", usbDir], "AAAA-AAAA-AAAA-AAAA-AAAA\n"), /Code de reprise incorrect/);
    const restored = certroom(["--data-dir", spare, "standby", "restore", "--from", usbDir], `${recoveryCode}\n`);
    assert.match(restored, new RegExp(`Session ${session} : \\d+ fichiers`), restored);
    // The spare console is this console: same key, same lab identity, the room's record.
    assert.deepEqual(readFileSync(join(spare, "station.key")), readFileSync(join(consoleDir, "station.key")));
    assert.ok(existsSync(join(spare, `room-${session}`, "hub.db")));
  });

  it("keeps technical logs that hold no secret, and exports them for support", () => {
    for (const [dir, role] of [[consoleDir, "console"], [kioskDir, "kiosk"]]) {
      const out = join(ARTIFACTS, `logs-${role}.zip`);
      assert.match(certroom(["--data-dir", dir, "logs", "export", out]), /1 fichier\(s\) de journal/);
      // Stored, not compressed: the zip's bytes are the logs' text.
      const text = readFileSync(out, "latin1");
      assert.match(text, /certroom started/, role);
      // What the invigilator did is there (its kind, never its text), so the grep below reads
      // a real session's log.
      if (role === "console") assert.match(text, /room hub opened[\s\S]*command carried out.*command=authorize[\s\S]*command=finalize/, text);
      for (const secret of [password, accessCode, SESSION_CODE, "administrateur-2026", recoveryCode]) {
        assert.ok(!text.includes(secret), `${role}: the log holds a secret (${secret})`);
      }
    }
  });
});
