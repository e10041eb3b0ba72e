// The kiosk as a screen reader gets it, over AT-SPI (python3-pyatspi, tests/e2e/atspi/kiosk_tree.py):
// - in its real lab-PC session (packaging/lab-pc/certroom-kiosk-session, which starts the
//   accessibility bus and cage, headless here) as an unprivileged kiosk user under its own session
//   bus, the welcome screen's tree read from outside;
// - under X (Xvfb + openbox, where keys can be sent for the test), from the welcome form to the
//   questions using only the accessibility API to find, focus and press: each question format
//   exposes its text, each option with its role, name and checked state, the time left, the
//   progress and the buttons by name; a reported problem is announced in a live region.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, ROOT, SESSION_CODE, newDataDir, requireTool, setUpKiosk, startDisplay } from "./harness.mjs";

const DRIVER = join(ROOT, "tests/e2e/atspi/kiosk_tree.py");
const BUS = "/usr/libexec/at-spi-bus-launcher";
/** The lab PC's session as the package installs it (certroom-kiosk.service runs it). */
const SESSION = join(ROOT, "packaging/lab-pc/certroom-kiosk-session");
/** The unprivileged user the lab PC's kiosk runs as (certroom-kiosk in the package). */
const KIOSK_USER = "certroom-a11y";

/** Runs `script` in a session of its own (session bus), the accessibility bus started first
 *  unless the script's session starts it; its last line of standard output is the driver's JSON
 *  report. */
function inSession(script, { user, env, busStarted = false } = {}) {
  const file = join(newDataDir("a11y-script"), "session.sh");
  const bus = busStarted ? "" : `${BUS} --launch-immediately >/dev/null 2>&1 &\nsleep 1\n`;
  writeFileSync(file, `#!/bin/bash\nset -u\nexport GTK_A11Y=atspi NO_AT_BRIDGE=0\n${bus}${script}\n`);
  chmodSync(file, 0o755);
  chmodSync(join(file, ".."), 0o755);
  const command = user ? ["runuser", ["-u", user, "--", "dbus-run-session", "--", file]] : ["dbus-run-session", ["--", file]];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command[1], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 240000);
    child.on("close", () => {
      clearTimeout(timer);
      const line = out.trim().split("\n").filter((l) => l.startsWith("{")).pop();
      if (!line) return reject(new Error(`no report from the accessibility driver:\n${out}\n${err.slice(-3000)}`));
      const report = JSON.parse(line);
      if (report.error) return reject(new Error(`${report.error}\n${(report.tree ?? []).join("\n")}`));
      resolve(report);
    });
  });
}

function assertWelcome(report) {
  assert.equal(report.title, "Épreuve de certification — certroom");
  assert.deepEqual(report.welcome.fields, ["Numéro de session", "Prénom", "Nom de naissance", "Date de naissance (jj/mm/aaaa)"]);
  assert.ok(report.welcome.buttons.includes("Rejoindre la session"), report.welcome.buttons);
  assert.ok(report.welcome.buttons.includes("Agrandir le texte"), report.welcome.buttons);
  assert.deepEqual(report.welcome.controls, ["Contraste élevé", "Langue"]);
  assert.ok(report.welcome.headings.includes("Identification"), report.welcome.headings);
}

describe("the kiosk through a screen reader's eyes (AT-SPI)", () => {
  before(() => {
    for (const tool of ["dbus-run-session", "runuser", "cage", "xdotool"]) requireTool(tool);
    for (const file of [BUS, "/usr/bin/python3"]) assert.ok(existsSync(file), `${file} is missing (scripts/install-prerequisites installs it)`);
    execFileSync("/usr/bin/python3", ["-c", "import pyatspi"]);
  });

  it("in its lab-PC session (cage, as the kiosk's user), exposes the welcome form by name", async () => {
    try {
      execFileSync("id", [KIOSK_USER], { stdio: "ignore" });
    } catch {
      execFileSync("useradd", ["--system", "--create-home", "--home-dir", `/var/lib/${KIOSK_USER}`, KIOSK_USER]);
    }
    const data = newDataDir("a11y-cage");
    setUpKiosk(data);
    execFileSync("chmod", ["755", data]);
    execFileSync("chown", ["-R", KIOSK_USER, data]);
    const report = await inSession(
      `export XDG_RUNTIME_DIR=$(mktemp -d) HOME=/var/lib/${KIOSK_USER} WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman
unset DISPLAY
CERTROOM_BIN=${BIN} CERTROOM_DATA_DIR=${data} ${SESSION} >/dev/null 2>&1 &
/usr/bin/python3 ${DRIVER} ${SESSION_CODE} --welcome
kill %1 2>/dev/null; sleep 1`,
      { user: KIOSK_USER, env: { PATH: process.env.PATH, LANG: "C.UTF-8" }, busStarted: true },
    );
    assertWelcome(report);
  });

  describe("under X, driven through the accessibility API", () => {
    let screen, report;
    before(async () => {
      screen = await startDisplay();
      const data = newDataDir("a11y-x");
      setUpKiosk(data);
      report = await inSession(
        `${BIN} --data-dir ${data} kiosk >/dev/null 2>&1 &
/usr/bin/python3 ${DRIVER} ${SESSION_CODE}
kill %2 2>/dev/null; sleep 1`,
        { env: screen.env },
      );
    });
    after(() => screen?.stop());

    it("names the welcome form and the instructions' box, and shows it checked", () => {
      assertWelcome(report);
      assert.deepEqual(report.instructions, { checkbox: "J'ai lu et compris les consignes", checked_before: false, checked_after: true });
      assert.equal(report.waiting.code_field, "Code de session (à saisir par le surveillant)");
    });

    it("exposes each question format: text, options with role, name and state, time left, progress, buttons", () => {
      assert.deepEqual(Object.keys(report.questions).sort(), ["qcm", "qcu", "qroc"]);
      for (const [kind, q] of Object.entries(report.questions)) {
        assert.match(q.heading, /^Question \d+ sur 32$/, kind);
        for (const b of ["Valider", "Passer la question", "Signaler un problème"]) assert.ok(q.buttons.includes(b), `${kind}: ${b}`);
        assert.ok(q.texts.some((t) => t.startsWith("Temps restant pour le test :")), `${kind}: time left`);
        assert.ok(q.texts.some((t) => /^Questions traitées : \d+ sur 32$/.test(t)), `${kind}: progress`);
        assert.equal(q.progress[0]?.max, 32, `${kind}: a progress bar`);
        // The question's own text, beyond the screen's furniture.
        assert.ok(q.texts.some((t) => t.length > 30 && !t.startsWith("Temps") && !t.startsWith("Questions") && !t.startsWith("Mode")), `${kind}: its text`);
      }
      const role = { qcu: "radio button", qcm: "check box" };
      for (const kind of ["qcu", "qcm"]) {
        const q = report.questions[kind];
        assert.ok(q.options.length >= 2, kind);
        for (const o of q.options) {
          assert.equal(o.role, role[kind]);
          assert.ok(o.name.length > 0, `${kind}: every option has its text as name`);
          assert.equal(o.checked, false);
        }
        assert.equal(q.first_option_after_press.checked, true, `${kind}: pressed, the option says it is checked`);
      }
      assert.ok(report.questions.qroc.fields.length >= 1 && report.questions.qroc.fields.every((f) => f.name.length > 0), "qroc: every field named");
    });

    it("announces a reported problem in a live region", () => {
      const announced = report.alert.live.filter((l) => l.live === "polite" || l.live === "assertive");
      assert.ok(announced.some((l) => /surveillant/.test(l.text)), JSON.stringify(report.alert));
      assert.ok(report.alert.headings.includes("Problème signalé"), report.alert.headings);
    });
  });
});
