// Starts what a real kiosk needs under test: an X server (Xvfb), a window manager (openbox: with
// no WM, fullscreen is not applied), tauri-driver in front of WebKitWebDriver, and a WebDriver
// session on the real `certroom` binary. Everything binds to loopback and is torn down at the end.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, mkdirSync, statSync } from "node:fs";
import * as net from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { remote } from "webdriverio";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BIN = process.env.CERTROOM_BIN ?? join(ROOT, "target/debug/certroom");
export const ARTIFACTS = join(ROOT, "tests/artifacts");
export const SCREEN = { width: 1280, height: 800 };

/** The path of `tool` found through PATH, or null. */
export function findTool(tool) {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, tool);
    try {
      if (statSync(path).isFile()) { accessSync(path, constants.X_OK); return path; }
    } catch { /* not here */ }
  }
  return null;
}

/** Fails, naming the tool, when a tool the suite cannot run without is not on PATH. */
export function requireTool(tool) {
  const path = findTool(tool);
  if (!path) throw new Error(`\`${tool}\` is not on PATH (scripts/install-prerequisites installs it)`);
  return path;
}

/**
 * For a test that only some machines can run: false when `tool` is on PATH, else the reason to
 * skip. Under CERTROOM_TEST_STRICT=1 (CI) a missing tool throws instead: nothing passes by not
 * running.
 */
export function skipWithout(tool) {
  if (findTool(tool)) return false;
  if (process.env.CERTROOM_TEST_STRICT === "1") requireTool(tool);
  return `\`${tool}\` is not on PATH`;
}

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function waitFor(check, what, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function portOpen(port) {
  return new Promise((res) => {
    const sock = new net.Socket();
    sock.once("connect", () => { sock.destroy(); res(true); });
    sock.once("error", () => res(false));
    sock.connect(port, "127.0.0.1");
  });
}

/** A display of our own, so the suite never touches the developer's screen. */
export async function startDisplay(size = SCREEN) {
  const children = [];
  let display;
  for (let n = 90 + Math.floor(Math.random() * 100); ; n++) {
    if (!existsSync(`/tmp/.X11-unix/X${n}`) && !existsSync(`/tmp/.X${n}-lock`)) { display = `:${n}`; break; }
  }
  requireTool("Xvfb");
  requireTool("openbox");
  const xvfb = spawn("Xvfb", [display, "-screen", "0", `${size.width}x${size.height}x24`, "-nolisten", "tcp"], { stdio: "ignore" });
  children.push(xvfb);
  await waitFor(() => existsSync(`/tmp/.X11-unix/X${display.slice(1)}`), "Xvfb");
  const env = { ...process.env, DISPLAY: display };
  delete env.WAYLAND_DISPLAY;
  const wm = spawn("openbox", ["--sm-disable"], { env, stdio: "ignore" });
  children.push(wm);
  await sleep(500);
  return { display, env, stop: () => children.reverse().forEach((c) => c.kill("SIGTERM")) };
}

/** A WebDriver session on `certroom <args>` through tauri-driver. Starting a session can fail
 * when tauri-driver reaches WebKitWebDriver before it listens (a loaded machine): the driver and
 * its WebKitWebDriver are then killed (a live child would keep the test runner from ever
 * exiting) and started again, up to three times. What the app does once started is never retried. */
export async function startApp(screen, args, extraEnv = {}) {
  const env = { ...screen.env, ...extraEnv };
  requireTool("tauri-driver");
  requireTool("WebKitWebDriver");
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const nativePort = await freePort();
    // Its own process group: killing it takes WebKitWebDriver along, which would otherwise
    // outlive it holding the test runner's output open (and the runner waiting for ever).
    const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], { env, stdio: ["ignore", "inherit", "inherit"], detached: true });
    const kill = (signal) => {
      try { process.kill(-driver.pid, signal); } catch { /* already gone */ }
    };
    try {
      await waitFor(() => portOpen(port), "tauri-driver");
      const browser = await remote({
        hostname: "127.0.0.1",
        port,
        logLevel: "error",
        connectionRetryCount: 0,
        capabilities: { "tauri:options": { application: BIN, args } },
      });
      return {
        browser,
        async stop() {
          try { await browser.deleteSession(); } catch { /* the app may have exited on purpose */ }
          kill("SIGTERM");
        },
      };
    } catch (e) {
      kill("SIGKILL");
      if (attempt >= 3) throw e;
      await sleep(1000);
    }
  }
}

export function newDataDir(prefix) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return mkdtempSync(join(tmpdir(), `certroom-${prefix}-`));
}

export const EXIT_CODE = "surv-2026";
// No doubled character: WebKitWebDriver drops the second of two identical consecutive key presses.
export const SESSION_CODE = "sale-B12-2026";

/** A kiosk station as a lab technician sets it up: exit code, then the sample bank as a pack. */
export function setUpKiosk(dataDir, { bank = true } = {}) {
  certroom(["--data-dir", dataDir, "station", "set-exit-code"], `${EXIT_CODE}\n`);
  const pack = join(dataDir, "..", `${dataDir.split("/").pop()}-sample.pack`);
  const publisher = certroom(
    ["bank", "pack", join(ROOT, "assets/bank/sample"), "--out", pack, "--publisher-key", `${pack}.publisher.key`, "--iterations", "100000"],
    `${SESSION_CODE}\n`,
  ).trim();
  // Without the pack: only its publisher is pinned, and the console sends the pack through the room.
  certroom(["--data-dir", dataDir, "station", "install-bank", ...(bank ? [pack] : []), "--publisher", publisher]);
  return { pack, publisher };
}

/** Gives some answer to the kiosk's current question, whatever its format, and validates it. */
export async function answerCurrent(browser) {
  // The form stays disabled while the previous answer is acknowledged, and a click on a disabled
  // control is silently lost: wait for it, and answer again (once nothing took) before validating.
  await browser.$("#answer-form input, #answer-form select").waitForEnabled({ timeout: 10000 });
  const validate = browser.$("#validate");
  for (let attempt = 0; attempt < 3; attempt++) {
    const radio = await browser.$$("#answer-form input[type=radio]");
    const boxes = await browser.$$("#answer-form input[type=checkbox]");
    if (radio.length) await radio[0].click();
    else if (boxes.length) await boxes[0].click();
    else {
      for (const input of await browser.$$("#answer-form input[type=text], #answer-form input:not([type])")) await input.setValue("12");
      for (const select of await browser.$$("#answer-form select")) {
        await select.selectByIndex(1);
        // WebKitWebDriver can mark the option selected without the `change` event a person's
        // choice fires (seen on CI): fire it, so the form counts the field as answered.
        await browser.execute((el) => el.dispatchEvent(new Event("change", { bubbles: true })), select);
      }
    }
    if (await validate.waitForEnabled({ timeout: 2000 }).then(() => true, () => false)) break;
  }
  await validate.click();
}

/** Sets a field through the page: WebKitWebDriver drops the second of two identical key presses,
 * and generated codes and keys may contain doubled characters. */
export async function fill(browser, selector, value) {
  await browser.$(selector).waitForExist({ timeout: 15000 });
  await browser.execute((sel, v) => {
    const el = document.querySelector(sel);
    el.value = v;
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }, selector, value);
}

/** WCAG 1.4.10 (reflow): at the window's width, at 100 % and at 200 % text, the page does not
 *  scroll sideways (a table may scroll inside its own region). Fails naming what sticks out. */
export async function assertReflows(browser, label) {
  const seen = await browser.execute(() => {
    const root = document.documentElement;
    const before = root.style.getPropertyValue("--scale");
    const measure = () => {
      const width = window.innerWidth;
      const wide = [...document.querySelectorAll("body *")]
        .map((e) => [e.getBoundingClientRect().right, e])
        .filter(([r, e]) => r > width + 1 && !e.parentElement?.closest(".table-scroll, .table-wrap"))
        .sort((a, b) => b[0] - a[0]);
      return { width, scrollWidth: root.scrollWidth, wide: wide.slice(0, 3).map(([r, e]) => `${Math.round(r)} ${e.tagName.toLowerCase()}.${e.className}`) };
    };
    const at100 = measure();
    root.style.setProperty("--scale", "2");
    const at200 = measure();
    root.style.setProperty("--scale", before || "1");
    return { at100, at200 };
  });
  for (const [text, m] of Object.entries(seen)) {
    assert.ok(m.scrollWidth <= m.width, `${label}: the page scrolls sideways at ${text} text: ${JSON.stringify(m)}`);
  }
}

export function certroom(args, input) {
  return execFileSync(BIN, args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

export function xdotool(screen, ...args) {
  requireTool("xdotool");
  return execFileSync("xdotool", args, { env: screen.env, encoding: "utf8" });
}

export { sleep, waitFor };
