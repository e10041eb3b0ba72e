// Cold start of the kiosk to first paint, and its memory, side by side with the same page opened
// by `chromium --kiosk`, in one run under Xvfb + openbox. Usage (from the repository root):
//   cargo build --release -p certroom && node tests/bench/cold-start.mjs [--runs 5] [--json]
// The page reports its own first paint (two animation frames after render) as an epoch time:
// to the Rust side in the kiosk, to a loopback HTTP server in Chromium.
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { ROOT, newDataDir, setUpKiosk, sleep, startDisplay, waitFor } from "../e2e/harness.mjs";

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf("--runs") + 1]) || 5;
const JSON_OUT = args.includes("--json");
const BIN = process.env.CERTROOM_BIN ?? join(ROOT, "target/release/certroom");
const CHROMIUM = ["chromium", "chromium-browser"].find((c) => { try { execFileSync("which", [c]); return true; } catch { return false; } });
const DIST = join(ROOT, "ui/dist");

function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch { /* gone */ }
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]) ?? []));
  return all;
}

/** Resident (RSS) and proportional (PSS) memory of a process tree, in MiB. */
function memory(pid) {
  let rss = 0, pss = 0;
  for (const p of descendants(pid)) {
    try {
      const rollup = readFileSync(`/proc/${p}/smaps_rollup`, "utf8");
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch { /* gone */ }
  }
  return { rss_mb: rss / 1024, pss_mb: pss / 1024 };
}

function killTree(pid) {
  for (const p of descendants(pid).reverse()) { try { process.kill(p, "SIGKILL"); } catch { /* gone */ } }
}

async function kioskRun(env) {
  const dir = newDataDir("bench");
  // Set up as a lab technician does (exit code and bank): the kiosk paints its welcome screen.
  setUpKiosk(dir);
  const log = join(dir, "kiosk-events.jsonl");
  const t0 = Date.now();
  const child = spawn(BIN, ["--data-dir", dir, "kiosk"], { env, stdio: "ignore" });
  let painted;
  await waitFor(() => {
    if (!existsSync(log)) return false;
    const ready = readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.event === "kiosk_ready");
    if (ready) painted = Number(ready.detail);
    return Boolean(ready);
  }, "kiosk first paint", 30000);
  await sleep(1000);
  const mem = memory(child.pid);
  killTree(child.pid);
  return { first_paint_ms: painted - t0, ...mem };
}

function serveDist() {
  let onPaint = () => {};
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/__first-paint") { onPaint(Number(url.searchParams.get("t"))); res.end(); return; }
    const file = normalize(join(DIST, url.pathname === "/" ? "index.html" : url.pathname));
    if (!file.startsWith(DIST) || !existsSync(file)) { res.statusCode = 404; res.end(); return; }
    const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
    res.setHeader("content-type", types[extname(file)] ?? "application/octet-stream");
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    url: `http://127.0.0.1:${server.address().port}/#/kiosk`,
    nextPaint: () => new Promise((r) => { onPaint = r; }),
    close: () => server.close(),
  })));
}

async function chromiumRun(env, site) {
  const profile = newDataDir("chromium");
  const painted = site.nextPaint();
  const t0 = Date.now();
  const child = spawn(CHROMIUM, ["--kiosk", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", `--user-data-dir=${profile}`, site.url], { env, stdio: "ignore" });
  const at = await Promise.race([painted, sleep(30000).then(() => { throw new Error("chromium first paint timed out"); })]);
  await sleep(1000);
  const mem = memory(child.pid);
  killTree(child.pid);
  return { first_paint_ms: at - t0, ...mem };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
function summarise(runs) {
  return {
    runs: runs.length,
    first_paint_ms_median: Math.round(median(runs.map((r) => r.first_paint_ms))),
    first_paint_ms_max: Math.round(Math.max(...runs.map((r) => r.first_paint_ms))),
    rss_mb_median: Math.round(median(runs.map((r) => r.rss_mb))),
    pss_mb_median: Math.round(median(runs.map((r) => r.pss_mb))),
  };
}

const screen = await startDisplay();
const results = { kiosk: [], chromium: [] };
const site = CHROMIUM ? await serveDist() : null;
try {
  for (let i = 0; i < RUNS; i++) {
    results.kiosk.push(await kioskRun(screen.env));
    if (site) results.chromium.push(await chromiumRun(screen.env, site));
    await sleep(300);
  }
} finally {
  site?.close();
  screen.stop();
}
const report = { kiosk: summarise(results.kiosk), chromium_kiosk: site ? summarise(results.chromium) : null };
if (JSON_OUT) console.log(JSON.stringify(report));
else console.table(report);
