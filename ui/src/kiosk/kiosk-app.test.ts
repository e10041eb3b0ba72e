import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../shared/i18n";
import type { KioskScreen } from "./screen";
import { clock } from "./timer";
import { click, fakeTransport, flush, mountApp, polyfillDialog, question, questionScreen, type } from "./test-support";

polyfillDialog();

const $ = <T extends Element = HTMLElement>(s: string) => document.querySelector<T>(s) as T;
const status = { kiosk_status: () => ({ demo: false, station: "PC-01" }) };
const waiting = (resume: boolean): KioskScreen => ({ screen: "waiting_authorization", resume, candidate: "Léa MARTIN" });

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
