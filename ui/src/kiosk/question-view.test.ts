import { beforeEach, describe, expect, it } from "vitest";
import { setLang } from "../shared/i18n";
import type { AnswerAck, AttachmentView, KioskScreen } from "./screen";
import { click, fakeTransport, flush, mountApp, pick, polyfillDialog, question, questionScreen, type } from "./test-support";

polyfillDialog();

const ended: KioskScreen = { screen: "ended", reason: "completed" };
const qrocm = question({
  item_id: "item-9",
  kind: "qrocm",
  instruction_html: "<p>Complétez la facture.</p>",
  proposals: [],
  form: [{ text_html: "Prix : " }, { field: "price" }, { text_html: " payé par " }, { field: "mode" }, { text_html: "." }],
  fields: [
    { key: "price", aria_label: "Prix en euros", placeholder: "0,00", options: null, numeric: true },
    { key: "mode", aria_label: "Moyen de paiement", placeholder: null, options: ["carte", "chèque"], numeric: false },
  ],
});

function start(screen: KioskScreen, answer: (args: Record<string, unknown> | undefined) => AnswerAck = () => ({ saved: true, next: ended })) {
  return fakeTransport({
    kiosk_status: () => ({ demo: false, station: "PC-01" }),
    kiosk_screen: () => screen,
    kiosk_answer: answer,
  });
}

const $ = <T extends Element = HTMLElement>(s: string) => document.querySelector<T>(s) as T;
const $$ = <T extends Element = HTMLElement>(s: string) => [...document.querySelectorAll<T>(s)];

beforeEach(async () => {
  await setLang("fr");
});

describe("QCU", () => {
  it("renders radios in a fieldset with a legend, labels wrapping the proposals, heading and timer", async () => {
    start(questionScreen());
    await mountApp();
    expect($("#question-title").textContent).toContain("Question 3 sur 32");
    expect($("#test-clock").textContent).toBe("60:00");
    expect($("#test-clock").getAttribute("role")).toBe("timer");
    const fieldset = $("#answer-form fieldset");
    expect(fieldset.querySelector("legend")?.textContent).toBe("Choisissez une seule réponse");
    expect(fieldset.getAttribute("aria-describedby")).toBe("instruction");
    expect($("#instruction").innerHTML).toContain("<strong>ouvert</strong>");
    const radios = $$<HTMLInputElement>('fieldset input[type="radio"]');
    expect(radios).toHaveLength(3);
    // The label wraps the input and the proposal's HTML, so clicking the text picks it.
    expect(radios[1].closest("label")?.querySelector("code")?.textContent).toBe(".odt");
    expect($("progress").getAttribute("max")).toBe("32");
    // Focus lands on the question heading.
    expect(document.activeElement?.id).toBe("question-title");
  });

  it("enables Validate only once a choice is made and sends { choice } 1-based", async () => {
    const { calls } = start(questionScreen());
    await mountApp();
    const validate = $<HTMLButtonElement>("#validate");
    expect(validate.disabled).toBe(true);
    validate.click();
    await flush();
    expect(calls.some((c) => c.command === "kiosk_answer")).toBe(false);

    $$<HTMLInputElement>('input[type="radio"]')[1].click();
    await flush();
    expect(validate.disabled).toBe(false);
    validate.click();
    await flush();
    const sent = calls.find((c) => c.command === "kiosk_answer")?.args;
    expect(sent).toMatchObject({ itemId: "item-1", response: { choice: 2 }, lang: "fr" });
    expect(typeof sent?.timeSpentMs).toBe("number");
    expect(Number.isInteger(sent?.timeSpentMs)).toBe(true);
  });
});

describe("saved status", () => {
  it("says the answer is saved when Rust acknowledges it, and renders the next screen", async () => {
    const next = questionScreen(question({ item_id: "item-2", kind: "qcm" }), { progress: { index: 4, total: 32, answered: 3 } });
    start(questionScreen(), () => ({ saved: true, next }));
    await mountApp();
    expect($("#kiosk-status").textContent?.trim()).toBe("");
    $$<HTMLInputElement>('input[type="radio"]')[0].click();
    await flush();
    click(document, "#validate");
    await flush();
    expect($("#kiosk-status").getAttribute("aria-live")).toBe("polite");
    expect($("#kiosk-status").textContent?.trim()).toBe("Réponse enregistrée.");
    expect($("#question-title").textContent).toContain("Question 4 sur 32");
    expect($$('input[type="checkbox"]')).toHaveLength(3);
    expect(document.activeElement?.id).toBe("question-title");
  });

  it("says nothing when the answer was not saved", async () => {
    start(questionScreen(), () => ({ saved: false, next: questionScreen(question({ item_id: "item-2" })) }));
    await mountApp();
    $$<HTMLInputElement>('input[type="radio"]')[0].click();
    await flush();
    click(document, "#validate");
    await flush();
    expect($("#kiosk-status").textContent?.trim()).toBe("");
  });

  it("shows Rust's error as an alert and keeps the answer", async () => {
    fakeTransport({
      kiosk_status: () => ({ demo: false, station: "PC-01" }),
      kiosk_screen: () => questionScreen(),
      kiosk_answer: () => Promise.reject({ code: "journal", message_fr: "Journal indisponible.", message_en: "Journal unavailable." }),
    });
    await mountApp();
    $$<HTMLInputElement>('input[type="radio"]')[2].click();
    await flush();
    click(document, "#validate");
    await flush();
    expect($("#answer-error").getAttribute("role")).toBe("alert");
    expect($("#answer-error").textContent).toBe("Journal indisponible.");
    expect($$<HTMLInputElement>('input[type="radio"]')[2].checked).toBe(true);
    expect($("#kiosk-status").textContent?.trim()).toBe("");
  });
});

describe("QCM", () => {
  it("renders checkboxes and sends the sorted choices", async () => {
    const { calls } = start(questionScreen(question({ kind: "qcm" })));
    await mountApp();
    expect($("fieldset legend").textContent).toBe("Choisissez une ou plusieurs réponses");
    const boxes = $$<HTMLInputElement>('fieldset input[type="checkbox"]');
    expect(boxes).toHaveLength(3);
    expect($<HTMLButtonElement>("#validate").disabled).toBe(true);
    boxes[2].click();
    boxes[0].click();
    await flush();
    expect($<HTMLButtonElement>("#validate").disabled).toBe(false);
    click(document, "#validate");
    await flush();
    expect(calls.find((c) => c.command === "kiosk_answer")?.args?.response).toEqual({ choices: [1, 3] });
  });
});

describe("QROCM", () => {
  it("puts each field where the form places it, with its aria-label, placeholder and input mode", async () => {
    start(questionScreen(qrocm));
    await mountApp();
    const form = $(".fill-form");
    const parts = [...form.children].map((el) => (el.localName === "span" ? `text:${el.textContent}` : `${el.localName}:${el.getAttribute("aria-label")}`));
    expect(parts).toEqual(["text:Prix : ", "input:Prix en euros", "text: payé par ", "select:Moyen de paiement", "text:."]);
    const price = $<HTMLInputElement>('input[data-field="price"]');
    expect(price.getAttribute("placeholder")).toBe("0,00");
    expect(price.getAttribute("inputmode")).toBe("decimal");
    const select = $<HTMLSelectElement>('select[data-field="mode"]');
    expect(select.options[0].value).toBe("");
    expect(select.value).toBe("");
    expect([...select.options].slice(1).map((o) => o.value)).toEqual(["carte", "chèque"]);
    expect(select.hasAttribute("inputmode")).toBe(false);
  });

  it("enables Validate only when every field is filled, then sends the fields", async () => {
    const { calls } = start(questionScreen(qrocm));
    await mountApp();
    const validate = $<HTMLButtonElement>("#validate");
    type($<HTMLInputElement>('input[data-field="price"]'), "12,50");
    await flush();
    expect(validate.disabled).toBe(true);
    pick($<HTMLSelectElement>('select[data-field="mode"]'), "chèque");
    await flush();
    expect(validate.disabled).toBe(false);
    type($<HTMLInputElement>('input[data-field="price"]'), "  ");
    await flush();
    expect(validate.disabled).toBe(true);
    type($<HTMLInputElement>('input[data-field="price"]'), "12,50");
    await flush();
    click(document, "#validate");
    await flush();
    expect(calls.find((c) => c.command === "kiosk_answer")?.args).toMatchObject({
      itemId: "item-9",
      response: { fields: { price: "12,50", mode: "chèque" } },
    });
  });
});

describe("illustration and attachments", () => {
  const table: AttachmentView = { kind: "table", name: "ventes.csv", rows: [["Mois", "Total"], ["Janvier", "12"], ["Février", "15"]] };

  it("always gives the illustration an alt and opens a table attachment in the in-kiosk viewer", async () => {
    const { calls } = fakeTransport({
      kiosk_status: () => ({ demo: false, station: "PC-01" }),
      kiosk_screen: () =>
        questionScreen(question({ illustration: { src: "data:image/png;base64,AA==", alt: "Un tableur" }, attachments: [{ id: 7, name: "ventes.csv", media_type: "text/csv" }] })),
      kiosk_attachment: () => table,
    });
    await mountApp();
    expect($(".illustration img").getAttribute("alt")).toBe("Un tableur");
    const opener = $$<HTMLButtonElement>(".attachments button")[0];
    expect(opener.textContent).toBe("Ouvrir : ventes.csv");
    opener.focus();
    opener.click();
    await flush();
    expect(calls.find((c) => c.command === "kiosk_attachment")?.args).toEqual({ itemId: "item-1", id: 7, lang: "fr" });
    const dialog = $<HTMLDialogElement>("dialog.viewer");
    expect(dialog.open).toBe(true);
    expect(dialog.querySelector("caption")?.textContent).toBe("ventes.csv");
    const ths = [...dialog.querySelectorAll("thead th")];
    expect(ths.map((th) => [th.textContent, th.getAttribute("scope")])).toEqual([["Mois", "col"], ["Total", "col"]]);
    expect([...dialog.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent))).toEqual([
      ["Janvier", "12"],
      ["Février", "15"],
    ]);
    expect(document.activeElement?.id).toBe("viewer-title");

    click(dialog, "#viewer-close");
    await flush();
    expect(dialog.open).toBe(false);
    expect(document.activeElement).toBe(opener);

    // Escape closes it too, and focus goes back to the opener.
    opener.click();
    await flush();
    expect(dialog.open).toBe(true);
    dialog.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    await flush();
    expect(dialog.open).toBe(false);
    expect(document.activeElement).toBe(opener);
  });

  it("shows text in a wrapping <pre> and an image with the document's name as alt", async () => {
    let next: AttachmentView = { kind: "text", name: "note.txt", text: "ligne 1\nligne 2" };
    fakeTransport({
      kiosk_status: () => ({ demo: false, station: "PC-01" }),
      kiosk_screen: () => questionScreen(question({ attachments: [{ id: 1, name: "note.txt", media_type: "text/plain" }] })),
      kiosk_attachment: () => next,
    });
    await mountApp();
    click(document, ".attachments button");
    await flush();
    expect($("dialog.viewer pre").textContent).toBe("ligne 1\nligne 2");
    click(document, "#viewer-close");
    next = { kind: "image", name: "Capture de l'explorateur", src: "data:image/png;base64,AA==", alt: "Documents contient Collège et Musique." };
    click(document, ".attachments button");
    await flush();
    // The image is described by its alt text, not by its name (the heading says that already).
    expect($("dialog.viewer img").getAttribute("alt")).toBe("Documents contient Collège et Musique.");
  });
});

describe("skip", () => {
  it("asks for confirmation, says a skipped question is wrong and final, then sends { skip: true }", async () => {
    const { calls } = start(questionScreen());
    await mountApp();
    click(document, "#skip");
    await flush();
    const dialog = $<HTMLDialogElement>("#skip-dialog");
    expect(dialog.open).toBe(true);
    expect(dialog.textContent).toContain("compte comme une réponse fausse");
    expect(dialog.textContent).toContain("pas y revenir");
    expect(document.activeElement?.id).toBe("skip-cancel");
    click(dialog, "#skip-cancel");
    await flush();
    expect(dialog.open).toBe(false);
    expect(calls.some((c) => c.command === "kiosk_answer")).toBe(false);
    expect(document.activeElement?.id).toBe("skip");

    click(document, "#skip");
    await flush();
    click(dialog, "#skip-confirm");
    await flush();
    expect(calls.find((c) => c.command === "kiosk_answer")?.args).toMatchObject({ itemId: "item-1", response: { skip: true } });
    expect($("#ended-title")).not.toBeNull();
  });
});

describe("problem report", () => {
  it("locks the answer while the alert is open and lets the invigilator resolve it", async () => {
    const replaced = questionScreen(question({ item_id: "item-5" }), { progress: { index: 3, total: 32, answered: 2 } });
    const { calls } = fakeTransport({
      kiosk_status: () => ({ demo: false, station: "PC-01" }),
      kiosk_screen: () => questionScreen(),
      kiosk_report_problem: () => questionScreen(question(), { alert_open: true }),
      kiosk_resolve_alert: (args) =>
        args?.code === "ABC123" ? replaced : Promise.reject({ code: "code", message_fr: "Code de session incorrect.", message_en: "Wrong session code." }),
    });
    await mountApp();
    $$<HTMLInputElement>('input[type="radio"]')[0].click();
    await flush();
    click(document, "#report");
    await flush();
    expect(calls.find((c) => c.command === "kiosk_report_problem")?.args).toEqual({ itemId: "item-1", lang: "fr" });
    expect($$<HTMLInputElement>('input[type="radio"]').every((r) => r.disabled)).toBe(true);
    expect($<HTMLButtonElement>("#validate").disabled).toBe(true);
    expect($<HTMLButtonElement>("#skip").disabled).toBe(true);
    expect($<HTMLButtonElement>("#report").disabled).toBe(true);
    expect($(".alert-panel").textContent).toContain("Le surveillant va venir");
    expect(document.activeElement?.id).toBe("alert-title");
    // The draft survives the alert on the same question.
    expect($$<HTMLInputElement>('input[type="radio"]')[0].checked).toBe(true);

    type($<HTMLInputElement>("#alert-code"), "WRONG");
    click(document, "#alert-validate");
    await flush();
    expect($("#alert-error").getAttribute("role")).toBe("alert");
    expect($("#alert-error").textContent).toBe("Code de session incorrect.");

    $<HTMLInputElement>("#alert-code").value = "ABC123";
    click(document, "#alert-validate");
    await flush();
    expect(calls.filter((c) => c.command === "kiosk_resolve_alert").at(-1)?.args).toEqual({ code: "ABC123", validated: true, lang: "fr" });
    expect($(".alert-panel")).toBeNull();
    expect($$<HTMLInputElement>('input[type="radio"]').some((r) => r.disabled || r.checked)).toBe(false);
    expect(document.activeElement?.id).toBe("question-title");
  });
});

describe("focus lost and per-question timer", () => {
  it("says that leaving the window was recorded when Rust reports it", async () => {
    start(questionScreen(question(), { focus_lost: true }));
    await mountApp();
    expect($("#focus-lost").getAttribute("role")).toBe("alert");
    expect($("#focus-lost").textContent).toContain("quitté la fenêtre");
  });

  it("shows the question's own countdown and, at zero, that a late answer counts as wrong", async () => {
    start(questionScreen(question({ timer_s: 60 }), { time: { remaining_s: 1200, question_remaining_s: 0 } }));
    await mountApp();
    expect($("#question-clock").textContent).toBe("00:00");
    expect($("#question-late").textContent).toContain("comptera comme fausse");
    // Still answerable.
    $$<HTMLInputElement>('input[type="radio"]')[0].click();
    await flush();
    expect($<HTMLButtonElement>("#validate").disabled).toBe(false);
  });
});
