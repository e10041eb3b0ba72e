// Every screen and state of the three roles, checked by axe-core against WCAG 2.1 A and AA
// (tags wcag2a, wcag2aa, wcag21a, wcag21aa; no rule disabled, nothing excluded), in French and
// English, with normal and high contrast, at 100 % and 200 % text. The screens run on the test
// backends the other tests use. jsdom has no layout: what needs one (colour contrast, reflow)
// comes back "incomplete" here and is checked by the design tokens' test and the real windows;
// the incomplete rules are listed at the end and in docs/accessibilite.md.
import axe from "axe-core";
import { afterAll, describe, expect, it } from "vitest";
import { applyDisplay } from "./shared/display-controls";
import { setLang, type Lang } from "./shared/i18n";
import { fakeTransport, flush, polyfillDialog, question, questionScreen } from "./kiosk/test-support";
import type { KioskScreen } from "./kiosk/screen";
import { candidate, chooseFile, fakeConsole, roomInfo, roomView, session, signedIn, tile, until } from "./console/test-support";
import { office } from "./office/test-support";

/** A screen: how to bring it up on its test backend, and what proves it is up (an empty page
 *  would pass axe). */
interface Screen {
  name: string;
  show: () => Promise<void>;
  shows: string;
}

const click = async (selector: string) => {
  const el = document.querySelector<HTMLElement>(selector);
  if (!el) throw new Error(`no ${selector}`);
  el.click();
  await flush();
};

async function kiosk(screen: KioskScreen, over: Record<string, (a: Record<string, unknown> | undefined) => unknown> = {}) {
  fakeTransport({ kiosk_status: () => ({ demo: false, station: "PC-01" }), kiosk_screen: () => screen, ...over });
  await import("./kiosk/kiosk-app");
  document.body.replaceChildren(document.createElement("kiosk-app"));
  await flush();
}

const qcu = question();
const qcm = question({ item_id: "qcm-1", kind: "qcm", proposals: ["Un", "Deux", "Trois", "Quatre"] });
const qroc = question({
  item_id: "qroc-1",
  kind: "qrocm",
  instruction_html: "<p>Complétez le chemin.</p>",
  proposals: [],
  form: [{ text_html: "Chemin : " }, { field: "chemin" }, { text_html: " ; nombre de fichiers : " }, { field: "n" }, { text_html: " ; format : " }, { field: "format" }],
  fields: [
    { key: "chemin", aria_label: "Chemin du dossier", placeholder: "Documents/…", options: null, numeric: false },
    { key: "n", aria_label: "Nombre de fichiers", placeholder: null, options: null, numeric: true },
    { key: "format", aria_label: "Format", placeholder: null, options: ["ODT", "PDF"], numeric: false },
  ],
});
const illustrated = question({
  item_id: "ill-1",
  illustration: { src: "data:image/svg+xml;base64,PHN2Zy8+", alt: "Un schéma du réseau du collège" },
  attachments: [
    { id: 0, name: "Relevés de pluie", media_type: "text/csv" },
    { id: 1, name: "Capture de la page", media_type: "image/svg+xml" },
  ],
  timer_s: 60,
});

const KIOSK: Screen[] = [
  { name: "kiosk: welcome", show: () => kiosk({ screen: "welcome" }), shows: "#welcome-title" },
  {
    name: "kiosk: instructions",
    show: async () => {
      await kiosk({ screen: "welcome" });
      for (const [id, v] of Object.entries({ session: "S-2024-17", firstName: "Léa", birthName: "Martin", birthdate: "03/02/2010" })) {
        const input = document.querySelector<HTMLInputElement>(`#${id}`)!;
        input.value = v;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }
      await click('form button[type="submit"]');
    },
    shows: "#instr-title",
  },
  {
    name: "kiosk: identity refused",
    show: async () => {
      await kiosk({ screen: "welcome" });
      await click('form button[type="submit"]');
    },
    shows: "#join-errors:not(:empty)",
  },
  { name: "kiosk: access code", show: () => kiosk({ screen: "waiting_authorization", resume: false, candidate: "Zoé N'Diaye-Lefèvre", access_code_needed: true }), shows: "#access-code" },
  { name: "kiosk: waiting", show: () => kiosk({ screen: "waiting_authorization", resume: false, candidate: "Zoé N'Diaye-Lefèvre", access_code_needed: false }), shows: "#waiting-title" },
  { name: "kiosk: waiting to resume", show: () => kiosk({ screen: "waiting_authorization", resume: true, candidate: "Zoé N'Diaye-Lefèvre", access_code_needed: false }), shows: "#resume-text" },
  { name: "kiosk: QCU", show: () => kiosk(questionScreen(qcu)), shows: "input[type=radio]" },
  { name: "kiosk: QCM", show: () => kiosk(questionScreen(qcm)), shows: "input[type=checkbox]" },
  { name: "kiosk: QROCM", show: () => kiosk(questionScreen(qroc)), shows: "select" },
  { name: "kiosk: illustration, attachments, timer", show: () => kiosk(questionScreen(illustrated, { time: { remaining_s: 1200, question_remaining_s: 45 } })), shows: "figure img" },
  {
    name: "kiosk: attachment table",
    show: async () => {
      await kiosk(questionScreen(illustrated), { kiosk_attachment: () => ({ kind: "table", name: "Relevés de pluie", rows: [["Mois", "mm"], ["Mars", "52"]] }) });
      await click(".attachments button");
    },
    shows: "dialog.viewer[open]",
  },
  {
    name: "kiosk: attachment image",
    show: async () => {
      await kiosk(questionScreen(illustrated), { kiosk_attachment: () => ({ kind: "image", name: "Capture de la page", src: "data:image/png;base64,AA==", alt: "Page web « Non sécurisé » qui demande un numéro de carte." }) });
      await click(".attachments button");
    },
    shows: "dialog.viewer[open]",
  },
  {
    name: "kiosk: attachment text",
    show: async () => {
      await kiosk(questionScreen(illustrated), { kiosk_attachment: () => ({ kind: "text", name: "Message reçu", text: "Bonjour,\nvotre colis…" }) });
      await click(".attachments button");
    },
    shows: "dialog.viewer[open]",
  },
  { name: "kiosk: alert open", show: () => kiosk(questionScreen(qcu, { alert_open: true })), shows: "#alert-title" },
  { name: "kiosk: focus lost", show: () => kiosk(questionScreen(qcu, { focus_lost: true })), shows: "input[type=radio]" },
  { name: "kiosk: ended, all answered", show: () => kiosk({ screen: "ended", reason: "completed" }), shows: "#ended-title" },
  { name: "kiosk: ended, time up", show: () => kiosk({ screen: "ended", reason: "time_up" }), shows: "#ended-title" },
  { name: "kiosk: ended, interrupted", show: () => kiosk({ screen: "ended", reason: "interrupted" }), shows: "#ended-title" },
  { name: "kiosk: ended, bank exhausted", show: () => kiosk({ screen: "ended", reason: "bank_exhausted" }), shows: "#ended-title" },
  { name: "kiosk: damaged journal", show: () => kiosk({ screen: "damaged", message_fr: "Son journal est endommagé.", message_en: "Its journal is damaged." }), shows: "#damaged-title" },
];

const s12 = session({ number: 12 });
const lea = tile({ candidate: 1, first_name: "Léa", birth_name: "Martin", status: "in_test", station: "s1", present: true, question: 4, answered: 3, time_left_s: 3000, test_id: "T-1" });
const alert = tile({ candidate: 2, first_name: "Zoé", birth_name: "N'Diaye-Lefèvre", status: "alert", needs_action: true, station: "s2", present: true, question: 7, answered: 6, alert_item: "item-7", time_left_s: 2500, test_id: "T-2" });
const waiting = tile({ candidate: 3, first_name: "Moussa", birth_name: "Diallo", status: "waiting_authorization", needs_action: true, present: true });

async function consoleRoom(view = roomView({ tiles: [alert, waiting, lea] })) {
  fakeConsole([s12], { 12: [candidate()] }, { room_view: () => roomInfo(view), room_command: () => null, standby_status: () => ({ folder: "/media/cle/certroom-secours/session-12", code: "BCDF-2346-GHJK-7896-MPQR", inputs_copied: 3, last_copy_at: "2026-12-05T09:15:02.000Z", error: null }), outbox_list: () => ({ items: [] }) });
  await signedIn();
  await click("#open-12");
}

const CONSOLE: Screen[] = [
  {
    name: "console: first launch (centre set-up)",
    show: async () => {
      fakeConsole([], {}, { centre_get: () => null });
      await import("./console/console-app");
      document.body.replaceChildren(document.createElement("console-app"));
      await flush();
    },
    shows: "centre-setup-form form",
  },
  {
    name: "console: sign-in",
    show: async () => {
      fakeConsole([s12]);
      await import("./console/console-app");
      document.body.replaceChildren(document.createElement("console-app"));
      await flush();
    },
    shows: "#signin-title",
  },
  {
    name: "console: sessions",
    show: async () => {
      fakeConsole([s12, session({ number: 13, status: "finalized" })], { 12: [candidate()] });
      await signedIn();
    },
    shows: "#sessions-title",
  },
  {
    name: "console: session and open-room form",
    show: async () => {
      fakeConsole([s12], { 12: [candidate()] });
      await signedIn();
      await click("#open-12");
    },
    shows: "#room-open-form",
  },
  {
    name: "console: import refused, with its report",
    show: async () => {
      const { calls } = fakeConsole([s12], { 12: [] }, {
        session_import: () => Promise.reject({
          code: "import.refused", message_fr: "Import refusé.", message_en: "Import refused.",
          report: [{ line: 3, column: "Sexe", value: "X", ine: null, code: "sex", message_fr: "Le sexe doit être M ou F.", message_en: "Sex must be M or F." }],
        }),
      });
      await signedIn();
      await click("#open-12");
      chooseFile(document.querySelector<HTMLInputElement>("#import-file")!, new File(["Nom;Prénom\n"], "élèves.csv", { type: "text/csv" }));
      await click("#import-button");
      await until(() => calls.some((c) => c.command === "session_import") && document.querySelector("#import-report") !== null);
    },
    shows: "#import-report",
  },
  { name: "console: live room with an alert", show: () => consoleRoom(), shows: ".tile.needs-action" },
  { name: "console: finalized room", show: () => consoleRoom(roomView({ tiles: [lea], finalized: "2026-12-05T11:00:00Z" })), shows: "#room-finalized" },
];

const OFFICE: Screen[] = [
  { name: "office: sign-in", show: async () => void (await office({}, null, false)), shows: "#signin-title" },
  { name: "office: results and roster", show: async () => void (await office()), shows: ".preview-button" },
  {
    name: "office: certificate preview",
    show: async () => {
      await office();
      await click(".preview-button:not([disabled])");
    },
    shows: "certificate-preview *",
  },
  {
    name: "office: certificates printed",
    show: async () => {
      await office({ office_print: () => ({ path: "/x.pdf", count: 2, bytes: 9000 }) });
      await click("#select-group-0");
      await click("#print-selection");
    },
    shows: "#print-path",
  },
  {
    name: "office: printing in progress",
    show: async () => {
      const fake = await office({ office_print: () => new Promise(() => {}) });
      await click("#print-group-0");
      fake.emit("office://progress", { done: 1, total: 3 });
      await flush();
    },
    shows: "#print-progress",
  },
  { name: "office: no results yet", show: async () => void (await office({}, null)), shows: "#results-title" },
];

const SCREENS = [...KIOSK, ...CONSOLE, ...OFFICE];
const VARIANTS: { lang: Lang; contrast: boolean; scale: number }[] = [
  { lang: "fr", contrast: false, scale: 1 },
  { lang: "en", contrast: false, scale: 1 },
  { lang: "fr", contrast: true, scale: 1 },
  { lang: "fr", contrast: false, scale: 2 },
  { lang: "en", contrast: true, scale: 2 },
];

const checked = new Set<string>();
const incomplete = new Map<string, Set<string>>();

async function audit(): Promise<axe.Result[]> {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    resultTypes: ["violations", "incomplete"],
  });
  for (const r of result.incomplete) {
    const set = incomplete.get(r.id) ?? new Set();
    set.add(r.description);
    incomplete.set(r.id, set);
  }
  return result.violations;
}

const describeViolations = (v: axe.Result[]) =>
  v.map((r) => `${r.id} (${r.impact}): ${r.help}\n${r.nodes.map((n) => `  ${n.target.join(" ")} — ${n.failureSummary ?? ""}`).join("\n")}`).join("\n");

describe("every screen passes axe (WCAG 2.1 A and AA)", () => {
  polyfillDialog();
  for (const screen of SCREENS) {
    for (const v of VARIANTS) {
      const label = `${screen.name} — ${v.lang}${v.contrast ? ", contraste élevé" : ""}, texte ${v.scale * 100} %`;
      it(label, async () => {
        await setLang(v.lang);
        applyDisplay(v.scale, v.contrast);
        await screen.show();
        expect(document.querySelector(screen.shows), `${screen.name}: ${screen.shows}`).not.toBeNull();
        const violations = await audit();
        expect(violations, describeViolations(violations)).toEqual([]);
        checked.add(screen.name);
      });
    }
  }

  afterAll(() => {
    applyDisplay(1, false);
    // Said once, for the accessibility statement: what axe could not decide without a layout.
    console.info(`axe incomplete: ${[...incomplete.keys()].sort().join(", ")}`);
  });

  it("catches what it is there to catch (an image without alt text)", async () => {
    document.body.innerHTML = `<main><h1>Test</h1><img src="data:image/png;base64,AA=="></main>`;
    const violations = await audit();
    expect(violations.map((r) => r.id)).toContain("image-alt");
  });

  it("checked every listed screen", () => {
    expect([...checked].sort()).toEqual(SCREENS.map((s) => s.name).sort());
  });
});
