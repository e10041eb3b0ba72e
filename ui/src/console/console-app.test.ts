import { beforeEach, describe, expect, it } from "vitest";
import { setLang } from "../shared/i18n";
import type { ImportError } from "../shared/backend";
import { bytesToBase64 } from "./files";
import { $, $$, candidate, chooseFile, click, fakeConsole, flush, polyfillDialog, session, signedIn, type, until } from "./test-support";

polyfillDialog();

beforeEach(async () => {
  await setLang("fr");
});

function fillSession(values: Record<string, string>) {
  for (const [id, v] of Object.entries(values)) type($<HTMLInputElement>(`#${id}`), v);
}

const validSession = {
  "session-site": "Collège Jean Moulin",
  "session-room": "Salle 12",
  "session-date": "14/05/2026",
  "session-time": "09:30",
  "session-invigilators": "M. Durand\n\n  Mme Petit  \n",
  "session-observations": "Tiers-temps : 2 élèves",
};

async function openSession(n: number) {
  click(document, `#open-${n}`);
  await flush();
}

describe("sessions list", () => {
  it("brings focus to the sessions heading after sign-in and shows sessions in a captioned table", async () => {
    fakeConsole([session({ number: 12, candidates: 0 })], { 12: [candidate()] });
    await signedIn();
    expect(document.activeElement?.id).toBe("sessions-title");
    const table = $("#sessions-table");
    expect(table.querySelector("caption")?.textContent).toBe("1 session");
    expect([...table.querySelectorAll("thead th")].every((th) => th.getAttribute("scope") === "col")).toBe(true);
    const cells = [...table.querySelectorAll("tbody tr")[0].children].map((c) => c.textContent?.trim());
    expect(cells.slice(0, 8)).toEqual(["12", "14/05/2026", "09:00", "Collège Jean Moulin", "Salle info 2", "M. Durand, Mme Petit", "1", "Créée"]);
    expect($("#open-12").getAttribute("aria-label")).toBe("Ouvrir la session n° 12");
  });

  it("creates a session from the form: Rust gets the draft, the new session appears in the list", async () => {
    const { calls } = fakeConsole();
    await signedIn();
    expect($$("#sessions-table tbody tr")).toHaveLength(0);
    fillSession(validSession);
    click(document, "#session-submit");
    await flush();
    expect(calls.find((c) => c.command === "session_create")?.args).toEqual({
      draft: {
        site: "Collège Jean Moulin",
        room: "Salle 12",
        date: "14/05/2026",
        start_time: "09:30",
        invigilators: ["M. Durand", "Mme Petit"],
        observations: "Tiers-temps : 2 élèves",
      },
    });
    const rows = $$("#sessions-table tbody tr");
    expect(rows).toHaveLength(1);
    expect(rows[0].textContent).toContain("Salle 12");
    expect(rows[0].textContent).toContain("09:30");
    expect($("#sessions-status").textContent).toBe("Session n° 100 créée.");
    expect($<HTMLInputElement>("#session-room").value).toBe("");
  });

  it("shows Rust's validation error as an alert and keeps what was typed", async () => {
    const { calls } = fakeConsole([], {}, {
      session_create: () => Promise.reject({ code: "session.date", message_fr: "La date « 31/02/2026 » n'est pas une date réelle au format jj/mm/aaaa.", message_en: "“31/02/2026” is not a real date." }),
    });
    await signedIn();
    fillSession({ ...validSession, "session-date": "31/02/2026" });
    click(document, "#session-submit");
    await flush();
    expect(calls.some((c) => c.command === "session_create")).toBe(true);
    const alert = $("#session-form-error");
    expect(alert.getAttribute("role")).toBe("alert");
    expect(alert.textContent).toContain("31/02/2026");
    expect($<HTMLInputElement>("#session-date").value).toBe("31/02/2026");
    expect($<HTMLInputElement>("#session-site").value).toBe("Collège Jean Moulin");
    expect($<HTMLTextAreaElement>("#session-invigilators").value).toContain("Mme Petit");
    expect($("#session-date").getAttribute("aria-invalid")).toBe("true");
    expect($("#session-date").getAttribute("aria-describedby")).toBe("session-form-error");
    expect($$("#sessions-table tbody tr")).toHaveLength(0);
    // In English, the same error in English.
    await setLang("en");
    await flush();
    expect($("#session-form-error").textContent).toContain("is not a real date");
  });

  it("edits a session in the same form, then returns focus to its Edit button", async () => {
    const { calls } = fakeConsole([session({ number: 12 })]);
    await signedIn();
    $("#edit-12").focus();
    click(document, "#edit-12");
    await flush();
    expect(document.activeElement?.id).toBe("session-form-title");
    expect($("#session-form-title").textContent).toBe("Modifier la session n° 12");
    expect($<HTMLTextAreaElement>("#session-invigilators").value).toBe("M. Durand\nMme Petit");
    type($<HTMLInputElement>("#session-room"), "Salle 14");
    click(document, "#session-submit");
    await flush();
    expect(calls.find((c) => c.command === "session_update")?.args).toMatchObject({ number: 12, draft: { room: "Salle 14" } });
    expect($("#sessions-table tbody tr").textContent).toContain("Salle 14");
    expect($("#session-form-title").textContent).toBe("Nouvelle session");
    expect(document.activeElement?.id).toBe("edit-12");
  });

  it("asks for confirmation before deleting; cancel deletes nothing and returns focus", async () => {
    const { calls } = fakeConsole([session({ number: 12 }), session({ number: 13 })]);
    await signedIn();
    // A mouse click (no focus on the button in WebKit) must still return focus to it.
    const del = $("#delete-12");
    del.click();
    await flush();
    const dialog = $<HTMLDialogElement>("console-sessions dialog");
    expect(dialog.open).toBe(true);
    expect($("#confirm-title").textContent).toBe("Supprimer la session n° 12 ?");
    expect(document.activeElement?.classList.contains("confirm-cancel")).toBe(true);
    expect(calls.some((c) => c.command === "session_delete")).toBe(false);
    click(dialog, ".confirm-cancel");
    await flush();
    expect(dialog.open).toBe(false);
    expect(document.activeElement).toBe(del);
    expect(calls.some((c) => c.command === "session_delete")).toBe(false);

    del.click();
    await flush();
    click(dialog, "#confirm-ok");
    await flush();
    expect(calls.find((c) => c.command === "session_delete")?.args).toEqual({ number: 12 });
    expect(dialog.open).toBe(false);
    expect($$("#sessions-table tbody tr").map((r) => r.dataset.session)).toEqual(["13"]);
    // The row and its button are gone: focus lands on the list's heading.
    expect(document.activeElement?.id).toBe("sessions-title");
    expect($("#sessions-status").textContent).toBe("Session n° 12 supprimée.");
  });

  it("shows Rust's refusal inside the dialog when candidates already joined", async () => {
    fakeConsole([session({ number: 12 })], {}, {
      session_delete: () => Promise.reject({ code: "session.joined", message_fr: "La session n° 12 ne peut plus être supprimée : des candidats l'ont rejointe.", message_en: "x" }),
    });
    await signedIn();
    click(document, "#delete-12");
    await flush();
    click(document, "#confirm-ok");
    await flush();
    expect($("#confirm-error").getAttribute("role")).toBe("alert");
    expect($("#confirm-error").textContent).toContain("des candidats l'ont rejointe");
    expect($<HTMLDialogElement>("console-sessions dialog").open).toBe(true);
    expect($$("#sessions-table tbody tr")).toHaveLength(1);
  });
});

describe("session detail", () => {
  it("moves focus to the detail heading, shows the day's secrets large and the candidates; back returns to the list heading", async () => {
    fakeConsole([session({ number: 12 })], { 12: [candidate(), candidate({ id: 2, birth_name: "DIALLO", first_name: "Moussa", sex: "M", birthplace: "Madrid, Espagne", local_id: null, extra_time_percent: 33, adjusted_questions: true })] });
    await signedIn();
    await openSession(12);
    expect(document.activeElement?.id).toBe("detail-title");
    expect($("#session-detail")).not.toBeNull();
    expect($("#access-code").textContent).toBe("K7QP-2M");
    expect($("#invigilator-password").textContent).toBe("lune-fer-42");
    const rows = $$("#candidates-table tbody tr");
    expect(rows).toHaveLength(2);
    expect([...rows[1].children].map((c) => c.textContent?.trim()).slice(0, 8)).toEqual(["DIALLO", "Moussa", "M", "03/02/2010", "Madrid, Espagne", "—", "33 %", "Oui"]);
    expect($("#candidates-table caption").textContent).toContain("(2)");
    click(document, "#back-to-sessions");
    await flush();
    expect(document.activeElement?.id).toBe("sessions-title");
  });

  it("adds a candidate by hand with the template's fields, and keeps the input when Rust refuses", async () => {
    const list = [candidate()];
    let refuse = true;
    const { calls } = fakeConsole([session({ number: 12 })], { 12: list }, {
      candidate_add: () => {
        if (refuse) return Promise.reject({ code: "import.birthplace", message_fr: "Lieu de naissance : indiquez le code Insee, ou le code postal et la commune.", message_en: "Birthplace missing." });
        const c = candidate({ id: 7, birth_name: "N'DIAYE", first_name: "Awa" });
        list.push(c);
        return c;
      },
    });
    await signedIn();
    await openSession(12);
    const fill: Record<string, string> = { "cand-birth-name": "N'DIAYE", "cand-first-name": "Awa", "cand-birthdate": "09/11/2010", "cand-town": "Dakar", "cand-extra-time": "33", "cand-results-email": "parents@example.org" };
    for (const [id, v] of Object.entries(fill)) type($<HTMLInputElement>(`#${id}`), v);
    $<HTMLInputElement>("#cand-sex-f").click();
    $<HTMLInputElement>("#cand-adjusted").click();
    click(document, "#candidate-submit");
    await flush();
    expect(calls.find((c) => c.command === "candidate_add")?.args).toEqual({
      number: 12,
      candidate: {
        birth_name: "N'DIAYE", first_name: "Awa", sex: "F", birthdate: "09/11/2010", insee: "", postal_code: "", town: "Dakar", country: "",
        local_id: "", extra_time: "33", adjusted_questions: true, convocation_email: "", results_email: "parents@example.org",
      },
    });
    expect($("#candidate-form-error").getAttribute("role")).toBe("alert");
    expect($("#candidate-form-error").textContent).toContain("code Insee");
    expect($<HTMLInputElement>("#cand-town").value).toBe("Dakar");
    expect($<HTMLInputElement>("#cand-sex-f").checked).toBe(true);

    refuse = false;
    type($<HTMLInputElement>("#cand-country"), "Sénégal");
    click(document, "#candidate-submit");
    await flush();
    expect($("#candidate-form-error")).toBeNull();
    expect($$("#candidates-table tbody tr")).toHaveLength(2);
    expect($("#candidates-status").textContent).toBe("Candidat ajouté : Awa N'DIAYE.");
    expect($<HTMLInputElement>("#cand-town").value).toBe("");
    expect(document.activeElement?.id).toBe("cand-birth-name");
  });

  it("removes a candidate only after confirmation", async () => {
    const store = { 12: [candidate(), candidate({ id: 2, birth_name: "DIALLO", first_name: "Moussa" })] };
    const { calls } = fakeConsole([session({ number: 12 })], store, {
      candidate_remove: (a) => {
        store[12].splice(store[12].findIndex((c) => c.id === a!.id), 1);
        return null;
      },
    });
    await signedIn();
    await openSession(12);
    click(document, "#remove-2");
    await flush();
    expect($("#confirm-title").textContent).toBe("Retirer Moussa DIALLO ?");
    expect(calls.some((c) => c.command === "candidate_remove")).toBe(false);
    click(document, "#confirm-ok");
    await flush();
    expect(calls.find((c) => c.command === "candidate_remove")?.args).toEqual({ number: 12, id: 2 });
    expect($$("#candidates-table tbody tr")).toHaveLength(1);
    expect(document.activeElement?.id).toBe("candidates-title");
  });

  it("exports: shows the path Rust wrote, in a live region", async () => {
    const { calls } = fakeConsole([session({ number: 12 })], {}, {
      session_export: (a) => ({ path: `/home/certroom/exports/session-12.${a!.format}` }),
      session_attendance: () => ({ path: "/home/certroom/exports/emargement-12.pdf" }),
    });
    await signedIn();
    await openSession(12);
    click(document, "#export-xlsx");
    await flush();
    expect(calls.find((c) => c.command === "session_export")?.args).toEqual({ number: 12, format: "xlsx" });
    expect($("#export-path").textContent).toBe("/home/certroom/exports/session-12.xlsx");
    expect($("#export-status").getAttribute("aria-live")).toBe("polite");
    click(document, "#attendance-pdf");
    await flush();
    expect($("#export-path").textContent).toBe("/home/certroom/exports/emargement-12.pdf");
  });
});

describe("import", () => {
  const report: ImportError[] = [
    { line: 2, column: "Date de naissance", value: "31/02/2010", ine: null, code: "date", message_fr: "Date de naissance invalide.", message_en: "Invalid birthdate." },
    { line: 3, column: "Sexe", value: "X", ine: null, code: "sex", message_fr: "Le sexe doit être M ou F.", message_en: "Sex must be M or F." },
    { line: 5, column: null, value: null, ine: null, code: "dup", message_fr: "Candidat en double (ligne 2).", message_en: "Duplicate candidate (line 2)." },
  ];
  const bytes = new TextEncoder().encode("Nom de naissance;Prénom\nÉLÈVE;Zoé\n");
  const file = () => new File([bytes], "élèves.csv", { type: "text/csv" });

  it("asks for a file first", async () => {
    const { calls } = fakeConsole([session({ number: 12 })]);
    await signedIn();
    await openSession(12);
    click(document, "#import-button");
    await flush();
    expect($("#import-error").textContent).toBe("Choisissez d'abord un fichier.");
    expect(document.activeElement?.id).toBe("import-file");
    expect(calls.some((c) => c.command === "session_import")).toBe(false);
  });

  it("on refusal shows every error, the summary, adds no candidate, and offers the report as CSV and as text", async () => {
    let release: () => void = () => {};
    const { calls } = fakeConsole([session({ number: 12 })], { 12: [] }, {
      session_import: () => new Promise((_, reject) => (release = () => reject({ code: "import.refused", message_fr: "Import refusé.", message_en: "Import refused.", report }))),
    });
    await signedIn();
    await openSession(12);
    chooseFile($<HTMLInputElement>("#import-file"), file());
    click(document, "#import-button");
    // While Rust works: an indeterminate progress bar, the button marked busy.
    await until(() => calls.some((c) => c.command === "session_import"));
    expect($("#import-progress")).not.toBeNull();
    expect($("#import-progress").hasAttribute("value")).toBe(false);
    expect($("#import-button").getAttribute("aria-disabled")).toBe("true");
    expect(calls.find((c) => c.command === "session_import")?.args).toEqual({ number: 12, fileName: "élèves.csv", bytesBase64: bytesToBase64(bytes) });
    release();
    await flush();
    expect($("#import-progress")).toBeNull();
    expect($("#import-summary").getAttribute("role")).toBe("alert");
    expect($("#import-summary").textContent).toBe("Import refusé : aucun candidat n'a été importé (3 erreurs).");
    const rows = $$("#import-report tbody tr").map((r) => [...r.children].map((c) => c.textContent?.trim()));
    expect(rows).toEqual([
      ["2", "Date de naissance", "31/02/2010", "Date de naissance invalide."],
      ["3", "Sexe", "X", "Le sexe doit être M ou F."],
      ["5", "—", "—", "Candidat en double (ligne 2)."],
    ]);
    expect($$("#candidates-table tbody tr")).toHaveLength(0);
    expect($("#import-result").textContent).toBe("");

    // jsdom has no object URLs: the download falls back to the selectable text.
    click(document, "#import-report-csv");
    await flush();
    const text = $<HTMLTextAreaElement>("#import-report-text");
    expect(text.readOnly).toBe(true);
    expect(text.value.split("\n")[0]).toBe('"Ligne";"Colonne";"Valeur";"Message"');
    expect(text.value).toContain('"3";"Sexe";"X";"Le sexe doit être M ou F."');
    expect(document.activeElement).toBe(text);

    // The messages follow the interface language.
    await setLang("en");
    await flush();
    expect($("#import-summary").textContent).toBe("Import refused: no candidate was imported (3 errors).");
    expect($("#import-report tbody tr").textContent).toContain("Invalid birthdate.");
  });

  it("exports the report through an <a download> holding a CSV Blob", async () => {
    fakeConsole([session({ number: 12 })], { 12: [] }, {
      session_import: () => Promise.reject({ code: "import.refused", message_fr: "Import refusé.", message_en: "Import refused.", report }),
    });
    const blobs: Blob[] = [];
    const anchors: HTMLAnchorElement[] = [];
    const url = URL as unknown as { createObjectURL?: (b: Blob) => string; revokeObjectURL?: (u: string) => void };
    const saved = { create: url.createObjectURL, revoke: url.revokeObjectURL };
    url.createObjectURL = (b: Blob) => (blobs.push(b), "blob:report");
    url.revokeObjectURL = () => {};
    const click0 = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      anchors.push(this);
    };
    try {
      await signedIn();
      await openSession(12);
      chooseFile($<HTMLInputElement>("#import-file"), file());
      click(document, "#import-button");
      await until(() => !!document.querySelector("#import-report"));
      click(document, "#import-report-csv");
      await flush();
      expect(anchors).toHaveLength(1);
      expect(anchors[0].download).toBe("rapport-import-session-12.csv");
      expect(anchors[0].getAttribute("href")).toBe("blob:report");
      expect(blobs[0].type).toBe("text/csv;charset=utf-8");
      const text = await new Promise<string>((resolve) => {
        const r = new FileReader();
        r.onload = () => resolve(String(r.result));
        r.readAsText(blobs[0]);
      });
      expect(text).toContain('"5";"";"";"Candidat en double (ligne 2)."');
      expect($("#import-report-status").textContent).toContain("rapport-import-session-12.csv");
    } finally {
      HTMLAnchorElement.prototype.click = click0;
      url.createObjectURL = saved.create;
      url.revokeObjectURL = saved.revoke;
    }
  });

  it("on success announces the count and refreshes the candidates table", async () => {
    const list: ReturnType<typeof candidate>[] = [];
    fakeConsole([session({ number: 12 })], { 12: list }, {
      session_import: () => {
        list.push(candidate({ id: 1 }), candidate({ id: 2, birth_name: "DIALLO" }));
        return { imported: 2 };
      },
    });
    await signedIn();
    await openSession(12);
    expect($$("#candidates-table tbody tr")).toHaveLength(0);
    chooseFile($<HTMLInputElement>("#import-file"), file());
    click(document, "#import-button");
    await until(() => $("#import-result")?.textContent === "2 candidats importés.");
    expect($("#import-result").getAttribute("aria-live")).toBe("polite");
    expect($$("#candidates-table tbody tr")).toHaveLength(2);
    expect($("#import-report")).toBeNull();
  });
});

describe("candidate edit", () => {
  const awa = () => candidate({ id: 3, birth_name: "N'DIAYE", first_name: "Awa", sex: "F", birthdate: "09/11/2010", birthplace: "Dakar, Sénégal", local_id: "3B", extra_time_percent: 33, adjusted_questions: true, results_email: "parents@example.org" });

  it("fills the form with the candidate, saves through candidate_update, shows refusals, then returns to add mode", async () => {
    const store = { 12: [candidate(), awa()] };
    let refuse = true;
    const { calls } = fakeConsole([session({ number: 12 })], store, {
      candidate_update: () => {
        if (refuse) return Promise.reject({ code: "import.birthplace", message_fr: "Lieu de naissance : indiquez le code Insee, ou le code postal et la commune.", message_en: "Birthplace missing." });
        const c = { ...awa(), first_name: "Awa Marie" };
        store[12][1] = c;
        return c;
      },
    });
    await signedIn();
    await openSession(12);
    expect($("#edit-candidate-3").getAttribute("aria-label")).toBe("Modifier Awa N'DIAYE");
    click(document, "#edit-candidate-3");
    await flush();
    expect($("#candidate-form-title").textContent?.trim()).toBe("Modifier Awa N'DIAYE");
    expect(document.activeElement?.id).toBe("candidate-form-title");
    expect($("#candidate-submit").textContent?.trim()).toBe("Enregistrer");
    expect($<HTMLInputElement>("#cand-birth-name").value).toBe("N'DIAYE");
    expect($<HTMLInputElement>("#cand-sex-f").checked).toBe(true);
    expect($<HTMLInputElement>("#cand-birthdate").value).toBe("09/11/2010");
    expect($<HTMLInputElement>("#cand-local-id").value).toBe("3B");
    expect($<HTMLInputElement>("#cand-extra-time").value).toBe("33");
    expect($<HTMLInputElement>("#cand-adjusted").checked).toBe(true);
    expect($<HTMLInputElement>("#cand-results-email").value).toBe("parents@example.org");
    // The birthplace is only display text: its fields stay empty, and the hint says so.
    expect($<HTMLInputElement>("#cand-town").value).toBe("");
    expect($("#birthplace-edit-hint").textContent).toContain("Dakar, Sénégal");

    type($<HTMLInputElement>("#cand-first-name"), "Awa Marie");
    click(document, "#candidate-submit");
    await flush();
    expect(calls.some((c) => c.command === "candidate_add")).toBe(false);
    expect(calls.find((c) => c.command === "candidate_update")?.args).toEqual({
      number: 12,
      id: 3,
      candidate: {
        birth_name: "N'DIAYE", first_name: "Awa Marie", sex: "F", birthdate: "09/11/2010", insee: "", postal_code: "", town: "", country: "",
        local_id: "3B", extra_time: "33", adjusted_questions: true, convocation_email: "", results_email: "parents@example.org",
      },
    });
    expect($("#candidate-form-error").getAttribute("role")).toBe("alert");
    expect($("#candidate-form-error").textContent).toContain("code Insee");
    expect($("#candidate-submit").textContent?.trim()).toBe("Enregistrer");
    expect($<HTMLInputElement>("#cand-first-name").value).toBe("Awa Marie");

    refuse = false;
    type($<HTMLInputElement>("#cand-town"), "Dakar");
    type($<HTMLInputElement>("#cand-country"), "Sénégal");
    click(document, "#candidate-submit");
    await flush();
    expect(calls.filter((c) => c.command === "candidate_update")).toHaveLength(2);
    expect($("#candidate-form-error")).toBeNull();
    expect($("#candidates-status").textContent).toBe("Candidat modifié : Awa Marie N'DIAYE.");
    expect($$("#candidates-table tbody tr")[1].textContent).toContain("Awa Marie");
    expect($("#candidate-submit").textContent?.trim()).toBe("Ajouter le candidat");
    expect($("#candidate-cancel")).toBeNull();
    expect($<HTMLInputElement>("#cand-birth-name").value).toBe("");
    expect(document.activeElement?.id).toBe("edit-candidate-3");
  });

  it("cancel restores add mode, empties the form and returns focus to the row's button", async () => {
    const { calls } = fakeConsole([session({ number: 12 })], { 12: [awa()] }, { candidate_add: () => awa() });
    await signedIn();
    await openSession(12);
    click(document, "#edit-candidate-3");
    await flush();
    click(document, "#candidate-cancel");
    await flush();
    expect($("#candidate-form-title").textContent?.trim()).toBe("Ajouter un candidat");
    expect($("#candidate-submit").textContent?.trim()).toBe("Ajouter le candidat");
    expect($("#birthplace-edit-hint")).toBeNull();
    expect($<HTMLInputElement>("#cand-birth-name").value).toBe("");
    expect($<HTMLInputElement>("#cand-adjusted").checked).toBe(false);
    expect(document.activeElement?.id).toBe("edit-candidate-3");
    // The next submit adds again.
    $<HTMLFormElement>("#candidate-form").requestSubmit();
    await flush();
    expect(calls.some((c) => c.command === "candidate_add")).toBe(true);
    expect(calls.some((c) => c.command === "candidate_update")).toBe(false);
  });
});

describe("SIECLE classes", () => {
  const bytes = new TextEncoder().encode("<BEE_ELEVES/>");
  const file = () => new File([bytes], "ElevesSansAdresses.xml", { type: "text/xml" });
  const choose = { code: "import.choose_classes", message_fr: "Choisissez les classes à importer.", message_en: "Choose the classes.", classes: ["3A", "3B", "3C"] };

  it("offers one checkbox per class and sends the same bytes again with the ticked classes", async () => {
    const list: ReturnType<typeof candidate>[] = [];
    const { calls } = fakeConsole([session({ number: 12 })], { 12: list }, {
      session_import: (a) => {
        if (!a!.classes) return Promise.reject(choose);
        list.push(candidate({ id: 1 }), candidate({ id: 2 }), candidate({ id: 3 }));
        return { imported: 3 };
      },
    });
    await signedIn();
    await openSession(12);
    chooseFile($<HTMLInputElement>("#import-file"), file());
    click(document, "#import-button");
    await until(() => !!document.querySelector("#siecle-classes"));
    expect($("#siecle-classes").tagName).toBe("FIELDSET");
    expect($$("#siecle-classes input[type=checkbox]").map((c) => c.parentElement?.textContent?.trim())).toEqual(["3A", "3B", "3C"]);
    expect($("#import-error")).toBeNull();
    expect($("#import-summary")).toBeNull();

    // Nothing ticked: no call, an alert.
    click(document, "#siecle-import");
    await flush();
    expect($("#siecle-classes-error").textContent).toBe("Cochez au moins une classe.");
    expect(calls.filter((c) => c.command === "session_import")).toHaveLength(1);

    $<HTMLInputElement>("#siecle-class-0").click();
    $<HTMLInputElement>("#siecle-class-2").click();
    click(document, "#siecle-import");
    await until(() => $("#import-result")?.textContent === "3 candidats importés.");
    const imports = calls.filter((c) => c.command === "session_import");
    expect(imports).toHaveLength(2);
    expect(imports[1].args).toEqual({ number: 12, fileName: "ElevesSansAdresses.xml", bytesBase64: bytesToBase64(bytes), classes: ["3A", "3C"] });
    expect($("#siecle-classes")).toBeNull();
    expect($$("#candidates-table tbody tr")).toHaveLength(3);
  });

  it("shows the refusal report after the classes were chosen", async () => {
    fakeConsole([session({ number: 12 })], { 12: [] }, {
      session_import: (a) =>
        Promise.reject(a!.classes ? { code: "import.refused", message_fr: "Import refusé.", message_en: "Import refused.", report: [{ line: 4, column: "INE", value: "x", ine: "123456789AB", code: "ine", message_fr: "INE invalide.", message_en: "Invalid INE." }] } : choose),
    });
    await signedIn();
    await openSession(12);
    chooseFile($<HTMLInputElement>("#import-file"), file());
    click(document, "#import-button");
    await until(() => !!document.querySelector("#siecle-classes"));
    $<HTMLInputElement>("#siecle-class-1").click();
    click(document, "#siecle-import");
    await until(() => !!document.querySelector("#import-report"));
    expect($("#import-summary").textContent).toBe("Import refusé : aucun candidat n'a été importé (1 erreur).");
    expect($$("#import-report tbody tr")[0].textContent).toContain("INE invalide.");
    expect($("#siecle-classes")).toBeNull();
  });
});

describe("sessions file import", () => {
  const bytes = new TextEncoder().encode("Site;Salle;Date\n");
  const file = () => new File([bytes], "sessions.csv", { type: "text/csv" });

  it("creates the sessions, announces how many, and refreshes the list", async () => {
    const { calls, store } = fakeConsole([session({ number: 12 })], {}, {
      session_import_file: () => {
        store.sessions.push(session({ number: 13 }), session({ number: 14 }));
        return { created: [13, 14] };
      },
    });
    await signedIn();
    expect($$("#sessions-table tbody tr")).toHaveLength(1);
    chooseFile($<HTMLInputElement>("#sessions-file"), file());
    click(document, "#sessions-file-import");
    await until(() => $("#sessions-file-result")?.textContent === "2 sessions créées.");
    expect(calls.find((c) => c.command === "session_import_file")?.args).toEqual({ fileName: "sessions.csv", bytesBase64: bytesToBase64(bytes) });
    expect($("#sessions-file-result").getAttribute("aria-live")).toBe("polite");
    expect($$("#sessions-table tbody tr")).toHaveLength(3);
    expect($("#sessions-file-report")).toBeNull();
  });

  it("asks for a file first, and on refusal shows the summary and every error", async () => {
    const { calls } = fakeConsole([], {}, {
      session_import_file: () =>
        Promise.reject({
          code: "import.refused", message_fr: "Import refusé.", message_en: "Import refused.",
          report: [
            { line: 2, column: "Date", value: "31/02/2026", code: "session.date", message_fr: "Date invalide.", message_en: "Invalid date." },
            { line: 4, column: null, value: null, code: "session.room", message_fr: "Salle manquante.", message_en: "Room missing." },
          ],
        }),
    });
    await signedIn();
    click(document, "#sessions-file-import");
    await flush();
    expect($("#sessions-file-error").textContent).toBe("Choisissez d'abord un fichier.");
    expect(calls.some((c) => c.command === "session_import_file")).toBe(false);

    chooseFile($<HTMLInputElement>("#sessions-file"), file());
    click(document, "#sessions-file-import");
    await until(() => !!document.querySelector("#sessions-file-report"));
    expect($("#sessions-file-error")).toBeNull();
    expect($("#sessions-file-summary").getAttribute("role")).toBe("alert");
    expect($("#sessions-file-summary").textContent).toBe("Import refusé : aucune session n'a été créée (2 erreurs).");
    const rows = $$("#sessions-file-report tbody tr").map((r) => [...r.children].map((c) => c.textContent?.trim()));
    expect(rows.map((r) => [r[0], r[r.length - 1]])).toEqual([["2", "Date invalide."], ["4", "Salle manquante."]]);
    expect($$("#sessions-table tbody tr")).toHaveLength(0);
    expect($("#sessions-file-result").textContent).toBe("");
  });
});
