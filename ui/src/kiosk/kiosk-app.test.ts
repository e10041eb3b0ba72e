import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../shared/i18n";
import type { KioskScreen } from "./screen";
import { clock } from "./timer";
import { click, fakeTransport, flush, mountApp, polyfillDialog, question, questionScreen, type } from "./test-support";

polyfillDialog();

const $ = <T extends Element = HTMLElement>(s: string) => document.querySelector<T>(s) as T;
const status = { kiosk_status: () => ({ demo: false, station: "PC-01" }) };
const waiting = (resume: boolean, accessCodeNeeded = false): KioskScreen => ({ screen: "waiting_authorization", resume, candidate: "Léa MARTIN", access_code_needed: accessCodeNeeded });

beforeEach(async () => {
  await setLang("fr");
});

function fill(values: Record<string, string>) {
  for (const [id, v] of Object.entries(values)) type($<HTMLInputElement>(`#${id}`), v);
}

describe("welcome", () => {
  it("checks the form, asks for the instructions to be acknowledged, then joins with the identity", async () => {
    const { calls } = fakeTransport({ ...status, kiosk_screen: () => ({ screen: "welcome" }), kiosk_join: () => waiting(false) });
    await mountApp();
    click(document, 'form button[type="submit"]');
    await flush();
    expect($("#join-errors").getAttribute("role")).toBe("alert");
    expect($("#join-errors").textContent).toContain("« Numéro de session » est obligatoire");
    expect(calls.some((c) => c.command === "kiosk_join")).toBe(false);

    fill({ session: " S-2024-17 ", firstName: "Léa", birthName: "Martin", birthdate: "03/02/2010" });
    click(document, 'form button[type="submit"]');
    await flush();
    expect(document.activeElement?.id).toBe("instr-title");
    const start = $<HTMLButtonElement>("#start");
    expect(start.disabled).toBe(true);
    $<HTMLInputElement>("#ack").click();
    await flush();
    expect(start.disabled).toBe(false);
    start.click();
    await flush();
    expect(calls.find((c) => c.command === "kiosk_join")?.args).toEqual({
      identity: { session: "S-2024-17", first_name: "Léa", birth_name: "Martin", birthdate: "03/02/2010" },
      lang: "fr",
    });
    expect($("#waiting-title")).not.toBeNull();
    expect(document.activeElement?.id).toBe("waiting-title");
  });

  it("brings the candidate back to the form with Rust's reason when the join is refused", async () => {
    fakeTransport({
      ...status,
      kiosk_screen: () => ({ screen: "welcome" }),
      kiosk_join: () => Promise.reject({ code: "session", message_fr: "Session inconnue.", message_en: "Unknown session." }),
    });
    await mountApp();
    fill({ session: "X", firstName: "Léa", birthName: "Martin", birthdate: "03/02/2010" });
    click(document, 'form button[type="submit"]');
    await flush();
    $<HTMLInputElement>("#ack").click();
    await flush();
    click(document, "#start");
    await flush();
    expect($("#join-errors").textContent).toContain("Session inconnue.");
    expect($<HTMLInputElement>("#session").value).toBe("X");
  });
});

describe("waiting for the invigilator", () => {
  it("asks to call the invigilator and sends the typed code", async () => {
    const { calls } = fakeTransport({ ...status, kiosk_screen: () => waiting(false), kiosk_authorize: () => questionScreen() });
    await mountApp();
    expect($("kiosk-authorization").textContent).toContain("appelez le surveillant");
    expect($("kiosk-authorization").textContent).toContain("Léa MARTIN");
    expect($("#resume-text")).toBeNull();
    expect($("#authorize-code").getAttribute("type")).toBe("password");
    click(document, 'kiosk-authorization button[type="submit"]');
    await flush();
    expect($("#authorize-error").textContent).toBe("Saisissez le code de session.");
    expect(calls.some((c) => c.command === "kiosk_authorize")).toBe(false);
    type($<HTMLInputElement>("#authorize-code"), "ABC123");
    click(document, 'kiosk-authorization button[type="submit"]');
    await flush();
    expect(calls.find((c) => c.command === "kiosk_authorize")?.args).toEqual({ code: "ABC123", lang: "fr" });
    expect(document.activeElement?.id).toBe("question-title");
  });

  it("says the test will resume after a restart, and shows a refused code as an alert", async () => {
    fakeTransport({
      ...status,
      kiosk_screen: () => waiting(true),
      kiosk_authorize: () => Promise.reject({ code: "code", message_fr: "Code incorrect.", message_en: "Wrong code." }),
    });
    await mountApp();
    expect($("#resume-text").textContent).toContain("reprendra là où il s'est arrêté");
    type($<HTMLInputElement>("#authorize-code"), "nope");
    click(document, 'kiosk-authorization button[type="submit"]');
    await flush();
    expect($("#authorize-error").getAttribute("role")).toBe("alert");
    expect($("#authorize-error").textContent).toBe("Code incorrect.");
    expect($<HTMLInputElement>("#authorize-code").value).toBe("");
  });
});

describe("end screens", () => {
  it("thanks the candidate and asks them to wait", async () => {
    fakeTransport({ ...status, kiosk_screen: () => ({ screen: "ended", reason: "time_up" }) });
    await mountApp();
    const text = $("#screen").textContent ?? "";
    expect(text).toContain("Merci");
    expect(text).toContain("Le temps du test est écoulé.");
    expect(text).toContain("attendez les consignes du surveillant");
  });

  it("shows Rust's damaged message in the current language and asks to tell the invigilator", async () => {
    fakeTransport({ ...status, kiosk_screen: () => ({ screen: "damaged", message_fr: "Journal illisible.", message_en: "Unreadable journal." }) });
    await mountApp();
    expect($("#screen").textContent).toContain("Journal illisible.");
    expect($("#screen").textContent).toContain("Prévenez le surveillant");
    await setLang("en");
    await flush();
    expect($("#screen").textContent).toContain("Unreadable journal.");
    expect($("#screen").textContent).toContain("Tell the invigilator");
  });

  it("offers a retry when the first screen cannot be loaded", async () => {
    let fail = true;
    fakeTransport({
      ...status,
      kiosk_screen: () => (fail ? Promise.reject({ code: "x", message_fr: "Service indisponible.", message_en: "Unavailable." }) : { screen: "welcome" }),
    });
    await mountApp();
    expect($('[role="alert"]').textContent).toBe("Service indisponible.");
    fail = false;
    click(document, "#load-retry");
    await flush();
    expect($("#welcome-title")).not.toBeNull();
  });
});

describe("time left", () => {
  let now = 0;
  const realNow = clock.now;
  beforeEach(() => {
    // Only the ticker is faked: the helpers still need real timeouts.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    clock.now = () => now;
  });
  afterEach(() => {
    clock.now = realNow;
    vi.useRealTimers();
  });

  it("ticks every second and speaks only when crossing a threshold", async () => {
    now = 0;
    fakeTransport({ ...status, kiosk_screen: () => questionScreen(question(), { time: { remaining_s: 602, question_remaining_s: null } }) });
    await mountApp();
    expect($("#test-clock").textContent).toBe("10:02");
    expect($("#clock-announce").textContent?.trim()).toBe("");
    now = 1000;
    vi.advanceTimersByTime(1000);
    await flush();
    expect($("#test-clock").textContent).toBe("10:01");
    expect($("#clock-announce").textContent?.trim()).toBe("");
    now = 2000;
    vi.advanceTimersByTime(1000);
    await flush();
    expect($("#test-clock").textContent).toBe("10:00");
    expect($("#clock-announce").textContent?.trim()).toBe("Il reste 10 minutes pour terminer le test.");
    expect($("#clock-announce").getAttribute("aria-live")).toBe("polite");
    document.body.replaceChildren();
  });

  it("asks Rust for the screen when the test's time reaches zero", async () => {
    now = 0;
    let first = true;
    const { calls } = fakeTransport({
      ...status,
      kiosk_screen: () => {
        const s: KioskScreen = first ? questionScreen(question(), { time: { remaining_s: 2, question_remaining_s: null } }) : { screen: "ended", reason: "time_up" };
        first = false;
        return s;
      },
    });
    await mountApp();
    expect(calls.filter((c) => c.command === "kiosk_screen")).toHaveLength(1);
    now = 1500;
    vi.advanceTimersByTime(1000);
    await flush();
    expect(calls.filter((c) => c.command === "kiosk_screen")).toHaveLength(1);
    now = 2000;
    vi.advanceTimersByTime(1000);
    await flush();
    expect(calls.filter((c) => c.command === "kiosk_screen").at(-1)?.args).toEqual({ lang: "fr" });
    expect($("#screen").textContent).toContain("Le temps du test est écoulé.");
    expect(document.activeElement?.id).toBe("ended-title");
  });
});

describe("live room", () => {
  const roomStatus = { kiosk_status: () => ({ demo: false, station: "PC-01", room: true }) };
  const refused = { code: "room.access_code", message_fr: "Code d'accès incorrect : recopiez celui que donne le surveillant.", message_en: "Wrong access code." };

  it("asks the candidate for the access code, clears it when refused, then only says the invigilator will authorize", async () => {
    let accept = false;
    const { calls } = fakeTransport({
      ...roomStatus,
      kiosk_screen: () => waiting(false, true),
      kiosk_access_code: () => (accept ? waiting(false, false) : Promise.reject(refused)),
    });
    await mountApp();
    expect($("#waiting-title").textContent).toBe("Code d'accès de la session");
    expect($("#authorize-code")).toBeNull();
    expect($("label[for=access-code]").textContent).toBe("Code d'accès");
    // Empty: refused without asking Rust.
    click(document, "#access-code-submit");
    await flush();
    expect($("#access-code-error").textContent).toBe("Saisissez le code d'accès.");
    expect(document.activeElement?.id).toBe("access-code");
    expect(calls.some((c) => c.command === "kiosk_access_code")).toBe(false);
    // Refused by the hub: its message, the field cleared and focused for another try.
    type($<HTMLInputElement>("#access-code"), "WRONG");
    click(document, "#access-code-submit");
    await flush();
    expect($("#access-code-error").getAttribute("role")).toBe("alert");
    expect($("#access-code-error").textContent).toBe(refused.message_fr);
    expect($<HTMLInputElement>("#access-code").value).toBe("");
    expect($("#access-code").getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement?.id).toBe("access-code");
    accept = true;
    type($<HTMLInputElement>("#access-code"), " K7QP-2M ");
    click(document, "#access-code-submit");
    await flush();
    expect(calls.filter((c) => c.command === "kiosk_access_code").at(-1)?.args).toEqual({ code: "K7QP-2M", lang: "fr" });
    expect($("#access-code")).toBeNull();
    expect($("#authorize-code")).toBeNull();
    expect($("#waiting-room").textContent).toBe("Le surveillant va autoriser le début du test depuis son poste.");
    expect($("#waiting-room").getAttribute("role")).toBe("status");
    expect($("#waiting-title").textContent).toBe("En attente du surveillant");
    expect(document.activeElement?.id).toBe("waiting-title");
  });

  it("after a restart says the invigilator will authorize resuming, with no code field", async () => {
    fakeTransport({ ...roomStatus, kiosk_screen: () => waiting(true) });
    await mountApp();
    expect($("#waiting-room").textContent).toBe("Le surveillant va autoriser la reprise du test depuis son poste.");
    expect($("#resume-text")).not.toBeNull();
    expect($("#authorize-code")).toBeNull();
    expect($("#access-code")).toBeNull();
    await setLang("en");
    await flush();
    expect($("#waiting-room").textContent).toBe("The invigilator will authorise resuming the test from their console.");
  });

  it("outside a room keeps the invigilator's code at the kiosk", async () => {
    fakeTransport({ ...status, kiosk_screen: () => waiting(false) });
    await mountApp();
    expect($("#authorize-code")).not.toBeNull();
    expect($("#waiting-room")).toBeNull();
  });

  it("shows the screen again when the hub changes the sitting, and stops listening once gone", async () => {
    let screen: KioskScreen = waiting(false);
    const { calls, emit, listening } = fakeTransport({ ...roomStatus, kiosk_screen: () => screen });
    await mountApp();
    expect(listening("kiosk://screen")).toBe(1);
    expect(calls.filter((c) => c.command === "kiosk_screen")).toHaveLength(1);
    // The invigilator authorized from the console.
    screen = questionScreen();
    emit("kiosk://screen", null);
    await flush();
    expect(calls.filter((c) => c.command === "kiosk_screen")).toHaveLength(2);
    expect(calls.at(-1)?.args).toEqual({ lang: "fr" });
    expect($("#question-title")).not.toBeNull();
    expect(document.activeElement?.id).toBe("question-title");
    // Ended by the invigilator.
    screen = { screen: "ended", reason: "interrupted" };
    emit("kiosk://screen", null);
    await flush();
    expect($("#screen").textContent).toContain("Le test a été interrompu.");
    expect(document.activeElement?.id).toBe("ended-title");
    document.body.replaceChildren();
    await flush();
    expect(listening("kiosk://screen")).toBe(0);
  });

  it("a push that keeps the same question (extra time) refreshes the clock and leaves focus on the answer", async () => {
    let screen = questionScreen(question(), { time: { remaining_s: 600, question_remaining_s: null } });
    const { emit } = fakeTransport({ ...roomStatus, kiosk_screen: () => screen });
    await mountApp();
    const choice = document.querySelector<HTMLInputElement>('input[type="radio"]')!;
    choice.click();
    choice.focus();
    await flush();
    screen = questionScreen(question(), { time: { remaining_s: 1200, question_remaining_s: null } });
    emit("kiosk://screen", null);
    await flush();
    expect($("#test-clock").textContent).toBe("20:00");
    expect(document.activeElement).toBe(choice);
    expect(choice.checked).toBe(true);
  });

  it("an alert is handled from the console: no code field, the candidate is told to wait, the push brings the question back", async () => {
    let screen = questionScreen(question(), { alert_open: true });
    const { emit } = fakeTransport({ ...roomStatus, kiosk_screen: () => screen });
    await mountApp();
    expect($("#alert-waiting").textContent).toBe("Le surveillant a été prévenu et traite le problème depuis son poste. Attendez.");
    expect($("#alert-waiting").getAttribute("role")).toBe("status");
    expect($("#alert-code")).toBeNull();
    expect($("#alert-validate")).toBeNull();
    expect(document.activeElement?.id).toBe("alert-title");
    screen = questionScreen(question({ item_id: "item-2" }));
    emit("kiosk://screen", null);
    await flush();
    expect($(".alert-panel")).toBeNull();
    expect(document.activeElement?.id).toBe("question-title");
  });

  it("after the test, Finish brings back a clean welcome screen with focus on its heading", async () => {
    let fail = true;
    const { calls } = fakeTransport({
      ...roomStatus,
      kiosk_screen: () => ({ screen: "ended", reason: "completed" }),
      kiosk_finish: () => (fail ? Promise.reject({ code: "kiosk.hub_unreachable", message_fr: "Le poste surveillant est injoignable : appelez le surveillant.", message_en: "x" }) : { screen: "welcome" }),
    });
    await mountApp();
    expect($("#screen").textContent).toContain("Vous avez traité toutes les questions.");
    expect($("#finish").textContent).toBe("Terminer");
    click(document, "#finish");
    await flush();
    expect($("#finish-error").getAttribute("role")).toBe("alert");
    expect($("#finish-error").textContent).toContain("injoignable");
    expect(document.activeElement?.id).toBe("finish");
    fail = false;
    click(document, "#finish");
    await flush();
    expect(calls.filter((c) => c.command === "kiosk_finish").at(-1)?.args).toEqual({ lang: "fr" });
    expect($("#welcome-title")).not.toBeNull();
    expect(document.activeElement?.id).toBe("welcome-title");
  });

  it("outside a room the ended screen has no Finish button", async () => {
    fakeTransport({ ...status, kiosk_screen: () => ({ screen: "ended", reason: "completed" }) });
    await mountApp();
    expect($("#finish")).toBeNull();
  });
});

describe("display settings", () => {
  const scale = () => document.documentElement.style.getPropertyValue("--scale");
  const contrast = () => document.documentElement.classList.contains("contrast");
  const larger = () => click(document, 'display-controls button[aria-label="Agrandir le texte"]');
  const contrastButton = () => click(document, "display-controls button[aria-pressed]");

  it("are the candidate's: chosen on the welcome screen, kept through their resume, reset for the next one", async () => {
    localStorage.clear();
    let screen: KioskScreen = { screen: "welcome" };
    fakeTransport({ ...status, kiosk_screen: () => screen });
    await mountApp();
    larger();
    larger();
    contrastButton();
    await flush();
    expect(scale()).toBe("1.3");
    expect(contrast()).toBe(true);
    expect($("display-controls button[aria-pressed]").getAttribute("aria-pressed")).toBe("true");
    // Léa joins: the settings become hers.
    screen = { screen: "waiting_authorization", resume: false, candidate: "Léa Martin", access_code_needed: false };
    await mountApp();
    expect(scale()).toBe("1.3");
    // The kiosk restarts mid-test (a crash): her test resumes with her settings.
    document.documentElement.style.setProperty("--scale", "1");
    document.documentElement.classList.remove("contrast");
    screen = { screen: "waiting_authorization", resume: true, candidate: "Léa Martin", access_code_needed: false };
    await mountApp();
    expect(scale()).toBe("1.3");
    expect(contrast()).toBe(true);
    // Her test is over; the next candidate starts from the defaults.
    screen = { screen: "welcome" };
    await mountApp();
    expect(scale()).toBe("1");
    expect(contrast()).toBe(false);
    screen = { screen: "waiting_authorization", resume: false, candidate: "Moussa Diallo", access_code_needed: false };
    await mountApp();
    expect(scale()).toBe("1");
    expect(contrast()).toBe(false);
  });
});
