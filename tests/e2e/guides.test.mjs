// The French guides (docs/guide) show only screenshots this suite produces, and each one they
// show is there; their links between one another resolve. No window is needed.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";

const GUIDES = join(ROOT, "docs/guide");
const guides = ["README.md", "surveillant.md", "secretariat.md", "technicien.md", "faq.md"];

/** Every image a test of this suite writes in the artifacts (window screenshots, and PDF pages
 *  rendered by pdftoppm whose file the test then checks), by file name. */
function produced() {
  const names = new Set();
  for (const file of readdirSync(join(ROOT, "tests/e2e")).filter((f) => f.endsWith(".test.mjs"))) {
    const text = readFileSync(join(ROOT, "tests/e2e", file), "utf8");
    for (const m of text.matchAll(/join\(ARTIFACTS, "([a-z0-9-]+\.png)"\)/g)) names.add(m[1]);
  }
  return names;
}

describe("the French guides", () => {
  it("exist, each with its title in French", () => {
    for (const g of guides) {
      const text = readFileSync(join(GUIDES, g), "utf8");
      assert.match(text, /^# \S/, g);
      assert.match(text, /[éèàçê]/, `${g} is in French`);
    }
  });

  it("show only screenshots the suite produces, and each is in docs/guide/images", () => {
    const suite = produced();
    assert.ok(suite.size >= 20, `found ${suite.size} screenshots in the suite`);
    const shown = new Set();
    for (const g of guides) {
      for (const m of readFileSync(join(GUIDES, g), "utf8").matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) {
        const path = m[1];
        assert.match(path, /^images\/[a-z0-9-]+\.png$/, `${g}: ${path}`);
        const name = path.slice("images/".length);
        assert.ok(suite.has(name), `${g} shows ${name}, which no end-to-end test produces`);
        const bytes = readFileSync(join(GUIDES, path));
        assert.equal(bytes.subarray(1, 4).toString(), "PNG", `${path} is a PNG`);
        shown.add(name);
      }
    }
    for (const f of readdirSync(join(GUIDES, "images"))) assert.ok(shown.has(f), `docs/guide/images/${f} is shown by no guide`);
    assert.ok(shown.size >= 10, `${shown.size} screenshots shown`);
  });

  it("link to one another with links that resolve", () => {
    for (const g of guides) {
      for (const m of readFileSync(join(GUIDES, g), "utf8").matchAll(/[^!]\[[^\]]*\]\(([a-z-]+\.md)\)/g)) {
        assert.ok(existsSync(join(GUIDES, m[1])), `${g} links to ${m[1]}`);
      }
    }
  });
});

describe("the accessibility statement", () => {
  const RGAA_THEMES = ["Images", "Cadres", "Couleurs", "Multimédia", "Tableaux", "Liens", "Scripts", "Éléments obligatoires", "Structuration de l'information", "Présentation de l'information", "Formulaires", "Navigation", "Consultation"];
  it("gives a status for each of the RGAA's thirteen themes", () => {
    const text = readFileSync(join(ROOT, "docs/accessibilite.md"), "utf8");
    assert.match(text, /^# Déclaration d'accessibilité/);
    assert.match(text, /\*\*(non|partiellement|totalement) conforme\*\*/, "a conformance status");
    RGAA_THEMES.forEach((theme, i) => {
      const row = text.split("\n").find((l) => l.startsWith(`| ${i + 1}. ${theme} |`));
      assert.ok(row, `theme ${i + 1} (${theme}) is listed`);
      assert.ok(row.split("|")[2].trim().length > 0, `theme ${i + 1} has a status`);
    });
  });
});
