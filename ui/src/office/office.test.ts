import { beforeEach, describe, expect, it } from "vitest";
import { setLang } from "../shared/i18n";
import { fakeTransport, flush } from "../kiosk/test-support";
import { until } from "../console/test-support";
import { lea, leo, mei, office, row, rows, settings, zoe } from "./test-support";
import { groupRows, rowKey, selectedRefs, toggleGroup } from "./roster";

beforeEach(async () => {
  await setLang("fr");
});

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

  it("saves the printed PDF where the secretary chooses, and sends it to the default printer", async () => {
    let saved: string | null = "/home/secretariat/Documents/attestations.pdf";
    let printer: () => unknown = () => "PDF-7";
    const fake = await office({
      office_print: () => ({ path: "/tmp/exports/a.pdf", count: 1, bytes: 9000 }),
      office_save_as: () => saved,
      office_print_paper: () => printer(),
    });
    $("#select-group-0").click();
    await flush();
    $("#print-selection").click();
    await flush();
    $("#save-as").click();
    await flush();
    expect(fake.calls.at(-1)).toEqual({ command: "office_save_as", args: { path: "/tmp/exports/a.pdf" } });
    expect($("#after-print").textContent).toBe("Enregistré : /home/secretariat/Documents/attestations.pdf");
    // The dialog cancelled: nothing said.
    saved = null;
    $("#save-as").click();
    await flush();
    expect($("#after-print")).toBeNull();
    $("#print-paper").click();
    await flush();
    expect(fake.calls.at(-1)).toEqual({ command: "office_print_paper", args: { path: "/tmp/exports/a.pdf" } });
    expect($("#after-print").textContent).toBe("Envoyé à l'imprimante par défaut (travail PDF-7).");
    printer = () => Promise.reject({ code: "office.no_printer", message_fr: "aucune imprimante par défaut n'est définie sur ce PC", message_en: "no default printer" });
    $("#print-paper").click();
    await flush();
    expect($("#results-error").textContent).toContain("aucune imprimante par défaut");
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
