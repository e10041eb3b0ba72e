import { beforeEach, describe, expect, it } from "vitest";
import type { Roster, RosterRow } from "../shared/backend";
import { setLang } from "../shared/i18n";
import { fakeTransport, flush, type Handler } from "../kiosk/test-support";
import { until } from "../console/test-support";
import { groupRows, rowKey, selectedRefs, toggleGroup } from "./roster";

beforeEach(async () => {
  await setLang("fr");
});

function row(over: Partial<RosterRow> = {}): RosterRow {
  return {
    session_id: "0750654D-4217",
    session_number: 4217,
    session_date: "12/03/2027",
    session_status: "published",
    candidate_id: 1,
    class: "3A",
    birth_name: "N'Diaye-Lefèvre",
    first_name: "Zoé",
    birthdate: "14/02/2010",
    status: "validated",
    certificate: { verification_code: "P-2346789B", issued: "20/03/2027", pix: 412, pix_max: 1024, global_level: 3, levels: Array(16).fill(2) },
    missing_glyphs: [],
    no_qr: false,
    printable: true,
    ...over,
  };
}

const zoe = row();
const lea = row({ candidate_id: 2, class: "3B", birth_name: "Martin", first_name: "Léa", certificate: { ...zoe.certificate!, verification_code: "P-CDFGHJKM" } });
const leo = row({ candidate_id: 3, class: "3B", birth_name: "Martin", first_name: "Léo", status: "absent", certificate: null, printable: false });
const mei = row({ session_id: "0750654D-4218", session_number: 4218, candidate_id: 7, class: "3A", birth_name: "王", first_name: "Mei", missing_glyphs: ["王"], printable: false });
const rows = [zoe, lea, leo, mei];

describe("roster", () => {
  it("groups by session and by class, classes in order", () => {
    expect(groupRows(rows, "session").map((g) => [g.value, g.rows.length])).toEqual([["4217", 3], ["4218", 1]]);
    expect(groupRows([lea, zoe, row({ candidate_id: 9, class: "" }), row({ candidate_id: 10, class: "3B10" }), row({ candidate_id: 11, class: "3B2" })], "class").map((g) => g.value)).toEqual(["3A", "3B", "3B2", "3B10", ""]);
  });

  it("a selection prints only the rows Rust found printable", () => {
    const all = new Set(rows.map(rowKey));
    expect(selectedRefs(rows, all)).toEqual([{ session_id: "0750654D-4217", candidate_id: 1 }, { session_id: "0750654D-4217", candidate_id: 2 }]);
  });

  it("toggles a whole group's printable rows", () => {
    const [first] = groupRows(rows, "session");
    const on = toggleGroup(new Set(), first);
    expect([...on]).toEqual([rowKey(zoe), rowKey(lea)]);
    expect(toggleGroup(on, first).size).toBe(0);
    // One missing: the toggle selects the rest rather than clearing.
    expect(toggleGroup(new Set([rowKey(zoe)]), first).size).toBe(2);
  });
});

function roster(list: RosterRow[] = rows): Roster {
  return {
    uai: "0750654D",
    centre_name: "Collège Jean Moulin",
    generated_at: "2027-03-20T10:00:00Z",
    competences: Array.from({ length: 16 }, (_, i) => ({ code: `${1 + Math.floor(i / 4)}.${1 + (i % 4)}`, fr: `Compétence ${i}`, en: `Competence ${i}` })),
    rows: list,
  };
}

const settings = { uai: "0750654D", centre_name: "Collège Jean Moulin", service_url: "", has_token: false, service_key: "", validity_years: 0 };

async function office(over: Record<string, Handler> = {}, kept: Roster | null = roster()) {
  let current = kept;
  const fake = fakeTransport({
    centre_get: () => ({ uai: "0750654D", name: "Collège Jean Moulin", address: "Paris" }),
    centre_sign_in: (a) => a!.password === "administrateur-2026",
    centre_sign_out: () => null,
    office_settings: () => settings,
    office_settings_save: (a) => ({ ...settings, ...(a!.input as object), has_token: true }),
    office_roster: () => current,
    office_import: () => {
      current = roster();
      return { generated_at: "x", sessions: 2, candidates: 4, certificates: 3 };
    },
    ...over,
  });
  await import("./office-app");
  document.body.replaceChildren(document.createElement("office-app"));
  await flush();
  const form = document.querySelector<HTMLFormElement>("form")!;
  document.querySelector<HTMLInputElement>("#password")!.value = "administrateur-2026";
  form.requestSubmit();
  await flush();
  return fake;
}

const $ = <T extends HTMLElement = HTMLElement>(s: string) => document.querySelector<T>(s)!;

describe("office window", () => {
  it("refuses a wrong password and shows nothing of the results", async () => {
    fakeTransport({ centre_get: () => ({ uai: "0750654D", name: "C", address: "" }), centre_sign_in: () => false });
    await import("./office-app");
    document.body.replaceChildren(document.createElement("office-app"));
    await flush();
    document.querySelector<HTMLFormElement>("form")!.requestSubmit();
    await flush();
    expect($("#office-error").textContent).toMatch(/mot de passe/i);
    expect(document.querySelector("office-results")).toBeNull();
  });

  it("sets the centre up when the office PC is the first to open", async () => {
    let centre: unknown = null;
    const fake = fakeTransport({
      centre_get: () => centre,
      centre_setup: (a) => {
        centre = a!.centre;
        return null;
      },
      office_settings: () => settings,
      office_roster: () => null,
    });
    await import("./office-app");
    document.body.replaceChildren(document.createElement("office-app"));
    await flush();
    const set = (id: string, v: string) => ($<HTMLInputElement>(`#${id}`).value = v);
    set("uai", "0750654D");
    set("name", "Collège Jean Moulin");
    set("address", "Paris");
    set("password", "administrateur-2026");
    set("confirm", "autre-chose-2026");
    document.querySelector<HTMLFormElement>("centre-setup-form form")!.requestSubmit();
    await flush();
    expect($("#office-error").textContent).toMatch(/ne correspondent pas/);
    expect(fake.calls.some((c) => c.command === "centre_setup")).toBe(false);
    set("confirm", "administrateur-2026");
    document.querySelector<HTMLFormElement>("centre-setup-form form")!.requestSubmit();
    await flush();
    expect(fake.calls.find((c) => c.command === "centre_setup")!.args).toEqual({ centre: { uai: "0750654D", name: "Collège Jean Moulin", address: "Paris" }, password: "administrateur-2026" });
    expect($("#centre-line").textContent).toContain("0750654D");
    expect(document.querySelector("office-results")).not.toBeNull();
  });

  it("lists by session, flags what cannot print, and disables its boxes", async () => {
    await office();
    expect($("#group-0").textContent).toContain("Session 4217 du 12/03/2027");
    const meiRow = $(`tr[data-key="${rowKey(mei)}"]`);
    expect(meiRow.textContent).toContain("Caractères impossibles à imprimer : 王");
    expect(meiRow.querySelector<HTMLInputElement>("input[type=checkbox]")!.disabled).toBe(true);
    expect($(`tr[data-key="${rowKey(leo)}"]`).textContent).toContain("Absent");
    const box = $(`tr[data-key="${rowKey(zoe)}"] input[type=checkbox]`);
    expect(box.getAttribute("aria-label")).toBe("Sélectionner Zoé N'DIAYE-LEFÈVRE");
  });

  it("prints a class as one batch, showing pushed progress, then the file", async () => {
    let finish: (v: unknown) => void = () => {};
    const fake = await office({ office_print: () => new Promise((r) => (finish = r)), office_open: () => null });
    $<HTMLInputElement>("#group-by-class").click();
    await flush();
    expect($("#group-1").textContent).toBe("Classe 3B");
    $("#print-group-1").click();
    await flush();
    const call = fake.calls.find((c) => c.command === "office_print")!;
    expect(call.args).toEqual({ selection: [{ session_id: "0750654D-4217", candidate_id: 2 }], lang: "fr", label: "class-3B" });
    fake.emit("office://progress", { done: 0, total: 1 });
    await flush();
    expect(document.body.textContent).toContain("0 / 1 attestations");
    fake.emit("office://progress", { done: 1, total: 1 });
    await flush();
    expect($<HTMLProgressElement>("#print-progress").value).toBe(1);
    expect(document.body.textContent).toContain("écriture du fichier PDF");
    finish({ path: "/tmp/exports/attestations-class-3B.pdf", count: 1, bytes: 40000 });
    await flush();
    expect($("#print-path").textContent).toBe("/tmp/exports/attestations-class-3B.pdf");
    expect(document.querySelector("#print-progress")).toBeNull();
    expect(fake.listening("office://progress")).toBe(0);
    expect(document.activeElement?.id).toBe("print-result");
    $("#open-pdf").click();
    await flush();
    expect(fake.calls.at(-1)).toEqual({ command: "office_open", args: { path: "/tmp/exports/attestations-class-3B.pdf" } });
  });

  it("prints the chosen candidates in the chosen certificate language", async () => {
    const fake = await office({ office_print: () => ({ path: "/x.pdf", count: 2, bytes: 9000 }) });
    expect($<HTMLButtonElement>("#print-selection").disabled).toBe(true);
    $("#select-group-0").click();
    await flush();
    const lang = $<HTMLSelectElement>("#certificate-lang");
    lang.value = "en";
    lang.dispatchEvent(new Event("change"));
    await flush();
    expect($("#print-selection").textContent).toContain("(2)");
    $("#print-selection").click();
    await flush();
    const call = fake.calls.find((c) => c.command === "office_print")!;
    expect(call.args).toMatchObject({ lang: "en", label: "selection" });
    expect((call.args as { selection: unknown[] }).selection).toHaveLength(2);
  });

  it("previews a certificate in the certificate language, and closes with Escape", async () => {
    await office();
    $<HTMLButtonElement>(`tr[data-key="${rowKey(lea)}"] button.secondary`).click();
    await flush();
    expect($("#preview-name").textContent).toBe("Léa MARTIN");
    expect($("#preview-code").textContent).toBe("P-CDFGHJKM");
    expect(document.activeElement?.id).toBe("preview-title");
    expect($("#certificate-preview").textContent).toContain("Date de délivrance");
    $("#certificate-preview").dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    await flush();
    expect(document.querySelector("#certificate-preview")).toBeNull();
    expect(document.activeElement).toBe($(`tr[data-key="${rowKey(lea)}"] .preview-button`));
  });

  it("says why an import was refused and keeps the list as it was", async () => {
    await office(
      { office_import: () => Promise.reject({ code: "results.bad_signature", message_fr: "Fichier de résultats refusé, rien n'a été importé : la signature ne correspond pas.", message_en: "x" }) },
      null,
    );
    expect($("#no-results")).not.toBeNull();
    const input = $<HTMLInputElement>("#results-file");
    Object.defineProperty(input, "files", { value: [new File(["certroom-results-v1\n"], "r.signed")] });
    $("#import-button").click();
    await until(() => document.querySelector("#results-error") !== null);
    expect($("#results-error").textContent).toMatch(/signature/);
    expect($("#no-results")).not.toBeNull();
  });

  it("imports a file and lists it", async () => {
    await office({}, null);
    const input = $<HTMLInputElement>("#results-file");
    Object.defineProperty(input, "files", { value: [new File(["certroom-results-v1\n"], "r.signed")] });
    $("#import-button").click();
    await until(() => ($("#results-status").textContent ?? "").includes("4 candidat"));
    expect(document.querySelector("#no-results")).toBeNull();
    expect(document.querySelectorAll("table.roster tbody tr")).toHaveLength(4);
  });

  it("saves the settings without ever showing the token", async () => {
    const fake = await office();
    $<HTMLInputElement>("#service-url").value = "https://certif.example.fr";
    $<HTMLInputElement>("#centre-token").value = "secret-token";
    $<HTMLInputElement>("#service-key").value = "ab".repeat(32);
    $("#office-settings form").dispatchEvent(new Event("submit", { cancelable: true }));
    await flush();
    const call = fake.calls.find((c) => c.command === "office_settings_save")!;
    expect(call.args).toEqual({ input: { service_url: "https://certif.example.fr", centre_token: "secret-token", service_key: "ab".repeat(32), validity_years: 0 } });
    expect($<HTMLInputElement>("#centre-token").value).toBe("");
    expect($("#token-hint").textContent).toContain("Un jeton est enregistré");
  });
});
