// The lab PC session: the kiosk inside cage, the Wayland compositor that shows one application
// and nothing else (packaging/lab-pc/certroom-kiosk.service). Run on wlroots' headless backend, as
// an unprivileged user like the real unit: cage refuses to run as root.
import { after, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, newDataDir, setUpKiosk, skipWithout, waitFor } from "./harness.mjs";

const NOBODY = 65534;
let cage;
after(() => { if (cage) { try { process.kill(-cage.pid, "SIGKILL"); } catch { /* already gone */ } } });

function chownTree(path, uid) {
  chownSync(path, uid, uid);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), uid);
}

it("starts the kiosk inside cage, the lab PC's only session", { skip: skipWithout("cage") }, async () => {
  const dataDir = newDataDir("cage");
  setUpKiosk(dataDir);
  const runtime = mkdtempSync(join(tmpdir(), "certroom-xdg-"));
  mkdirSync(runtime, { recursive: true });
  chmodSync(runtime, 0o700);
  const asRoot = process.getuid() === 0;
  if (asRoot) { chownTree(dataDir, NOBODY); chownTree(runtime, NOBODY); }
  const env = { ...process.env, XDG_RUNTIME_DIR: runtime, HOME: dataDir, WLR_BACKENDS: "headless", WLR_LIBINPUT_NO_DEVICES: "1" };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const command = ["cage", "--", BIN, "--data-dir", dataDir, "kiosk"];
  const argv = asRoot ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", ...command] : command;
  cage = spawn(argv[0], argv.slice(1), { env, stdio: "ignore", detached: true });
  const log = join(dataDir, "kiosk-events.jsonl");
  const events = () => { try { return readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l)); } catch { return []; } };
  await waitFor(() => events().some((e) => e.event === "kiosk_ready"), "the kiosk's first paint inside cage", 60000);
  assert.ok(events().some((e) => e.event === "kiosk_started"));
  assert.equal(cage.exitCode, null, "cage is still running the kiosk");
});

