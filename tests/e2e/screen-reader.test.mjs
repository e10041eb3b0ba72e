// The kiosk as a screen reader gets it, over AT-SPI (python3-pyatspi, tests/e2e/atspi/kiosk_tree.py):
// - in its real lab-PC session (packaging/lab-pc/certroom-kiosk-session, which starts the
//   accessibility bus and cage, headless here) as an unprivileged kiosk user under its own session
//   bus, the welcome screen's tree read from outside;
// - under X (Xvfb + openbox, where keys can be sent for the test), from the welcome form to the
//   questions using only the accessibility API to find, focus and press: each question format
//   exposes its text, each option with its role, name and checked state, the time left, the
//   progress and the buttons by name; a reported problem is announced in a live region;
// - with the screen reader on (the station's setting, as the console sets it): the kiosk starts
//   Orca, which speaks French through speech-dispatcher and espeak-ng (its debug log says what it
//   spoke), takes its own command key through the kiosk (Insert+Space: its preferences), and the
//   focus its window takes is journaled with its cause, assistive technology.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, ROOT, SESSION_CODE, certroom, newDataDir, requireTool, setUpKiosk, startDisplay } from "./harness.mjs";

const DRIVER = join(ROOT, "tests/e2e/atspi/kiosk_tree.py");
const BUS = "/usr/libexec/at-spi-bus-launcher";
/** The lab PC's session as the package installs it (certroom-kiosk.service runs it). */
const SESSION = join(ROOT, "packaging/lab-pc/certroom-kiosk-session");
/** The unprivileged user the lab PC's kiosk runs as (certroom-kiosk in the package). */
const KIOSK_USER = "certroom-a11y";

/** What Orca's debug log says when one of its own commands (Insert+Space: its preferences) is
 *  taken: the key consumed by Orca, then its handler. */
const ORCA_COMMAND_KEY = /CONSUME:\s+True[\s\S]{0,400}Handler is Afficher la boîte de dialogue de configuration des préférences/;

/** The focus losses' causes in a kiosk's journal (the records' exact JSON bodies). */
const JOURNAL_FOCUS = `import json, sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
bodies = [json.loads(b) for (b,) in db.execute("select body from records where kind = 'FocusLost'")]
print(json.dumps([b.get("payload", {}).get("cause") for b in bodies]))`;

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
    for (const tool of ["dbus-run-session", "runuser", "cage", "xdotool", "orca", "speech-dispatcher"]) requireTool(tool);
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

  describe("under X, driven through the accessibility API, with the screen reader on", () => {
    let screen, report, data, orcaLog;
    before(async () => {
      screen = await startDisplay();
      data = newDataDir("a11y-speech");
      setUpKiosk(data);
      // The technician's switch (the console's « Synthèse vocale » sets the same): the kiosk
      // starts Orca, whose debug log says what it spoke and which keys it took.
      certroom(["--data-dir", data, "station", "speech", "on"]);
      // Folders of their own: a log left by an earlier run must not answer for this one.
      const files = newDataDir("a11y-speech-files");
      orcaLog = join(files, "orca-debug.out");
      // The lab PC's voice settings (certroom-kiosk-session installs them); no sound card here.
      const config = join(files, "config");
      mkdirSync(join(config, "speech-dispatcher"), { recursive: true });
      writeFileSync(
        join(config, "speech-dispatcher", "speechd.conf"),
        `${readFileSync(join(ROOT, "packaging/lab-pc/speechd.conf"), "utf8")}AudioOutputMethod "alsa"\nAudioALSADevice "null"\n`,
      );
      report = await inSession(
        `export XDG_CONFIG_HOME=${config} LANG=fr_FR.UTF-8 LANGUAGE=fr
CERTROOM_SCREEN_READER_DEBUG=${orcaLog} ${BIN} --data-dir ${data} kiosk >/dev/null 2>&1 &
/usr/bin/python3 ${DRIVER} ${SESSION_CODE} --speech ${orcaLog}
kill %2 2>/dev/null; sleep 1; pkill -9 -u "$(id -u)" -f "bin/orca --replace"; pkill -9 -u "$(id -u)" -f speech-dispatcher; true`,
        { env: screen.env },
      );
    });
    after(() => screen?.stop());

    it("speaks an option's text when it gets the focus, in French, through Orca and speech-dispatcher", () => {
      const log = readFileSync(orcaLog, "utf8");
      assert.match(log, /SPEECH OUTPUT: 'Lecteur d’écran activé\.'/, "Orca starts in French");
      assert.match(log, /SD rate .*language fr/, "speech-dispatcher speaks French");
      assert.ok(report.speech.focused.length > 0, JSON.stringify(report.speech));
      const spoken = log.split("\n").filter((l) => l.includes("SPEECH OUTPUT:"));
      assert.ok(spoken.some((l) => l.includes(report.speech.focused)), `Orca did not speak « ${report.speech.focused} »:\n${spoken.slice(-30).join("\n")}`);
    });

    it("lets Orca's own keys through the kiosk: Insert+Space opens its preferences, Escape closes them", () => {
      assert.ok(report.speech.orca_windows.length > 0, JSON.stringify(report.speech));
      assert.deepEqual(report.speech.orca_windows_after, []);
      const log = readFileSync(orcaLog, "utf8");
      assert.match(log, ORCA_COMMAND_KEY);
    });

    it("journals the focus Orca's window took with its cause, and keeps the kiosk's lockdown log", () => {
      const events = readFileSync(join(data, "kiosk-events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
      const lost = events.findIndex((e) => e.event === "focus_lost" && e.detail === "screen_reader");
      assert.ok(lost >= 0, JSON.stringify(events.slice(-6)));
      assert.ok(events.slice(lost).some((e) => e.event === "focus_regained"), "the kiosk takes the focus back once Orca's window closes");
      const causes = JSON.parse(
        execFileSync("/usr/bin/python3", ["-c", JOURNAL_FOCUS, join(data, "journal.db")], { encoding: "utf8" }),
      );
      assert.ok(causes.includes("assistive_technology"), JSON.stringify(causes));
    });
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
