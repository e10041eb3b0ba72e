// Runs axe-core (WCAG 2.1 A and AA, no rule disabled, nothing excluded) over static HTML pages
// the certification service renders (the public verification page, the jury's pages), the same
// checks as the app's screens (src/accessibility.test.ts). One JSON line per page on standard
// output: { page, violations: [{ id, help, targets }], incomplete: [id] }.
// Usage: node ui/scripts/axe-pages.mjs PAGE.html...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { JSDOM, VirtualConsole } from "jsdom";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

for (const page of process.argv.slice(2)) {
  // jsdom's "not implemented" notices (canvas, used by axe to test colours) are not results.
  const dom = new JSDOM(readFileSync(page, "utf8"), { runScripts: "outside-only", url: "http://127.0.0.1/", virtualConsole: new VirtualConsole() });
  dom.window.eval(axeSource);
  const result = await dom.window.axe.run(dom.window.document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    resultTypes: ["violations", "incomplete"],
  });
  const violations = result.violations.map((r) => ({ id: r.id, help: r.help, targets: r.nodes.map((n) => n.target.join(" ")) }));
  process.stdout.write(`${JSON.stringify({ page, violations, incomplete: result.incomplete.map((r) => r.id) })}\n`);
  dom.window.close();
}
