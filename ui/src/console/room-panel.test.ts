import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../shared/i18n";
import { clock } from "../kiosk/timer";
import { pick } from "../kiosk/test-support";
import type { ConsoleCommand, ConsoleEvent, RoomView } from "./room";
import { $, $$, click, fakeConsole, flush, polyfillDialog, roomInfo, roomView, session, signedIn, tile, type } from "./test-support";
import type { Handler } from "../kiosk/test-support";
import type { StandbyStatus } from "../shared/backend";

polyfillDialog();

beforeEach(async () => {
  await setLang("fr");
});

const EVENT = "room://event";

const lea = tile({ candidate: 1, first_name: "Léa", birth_name: "MARTIN", status: "in_test" });
const moussa = tile({ candidate: 2, first_name: "Moussa", birth_name: "DIALLO", status: "waiting_authorization", needs_action: true, station: "s2", test_id: null, question: 0, answered: 0, time_left_s: null });
const awa = tile({ candidate: 3, first_name: "Awa", birth_name: "NDIAYE", status: "not_arrived", station: null, present: false, test_id: null, question: 0, answered: 0, time_left_s: null, local_id: null });

/** A console whose room is already open for session 12 with `view`; `room_command` records and
 * answers with `command`'s result (resolves by default). */
function openRoom(view: RoomView = roomView({ tiles: [moussa, lea, awa] }), over: Record<string, Handler> = {}) {
  const fake = fakeConsole([session({ number: 12 })], { 12: [] }, { room_view: () => roomInfo(view), room_command: () => null, ...over });
  const commands = () => fake.calls.filter((c) => c.command === "room_command").map((c) => (c.args as { command: ConsoleCommand }).command);
  const push = async (ev: ConsoleEvent) => {
    fake.emit(EVENT, ev);
    await flush();
  };
  return { ...fake, commands, push };
}

async function openSession12() {
  await signedIn();
  click(document, "#open-12");
  await flush();
}

const tileEl = (id: number) => $(`.tile[data-candidate="${id}"]`);
const dialog = () => $<HTMLDialogElement>("console-form-dialog dialog");

describe("opening the room", () => {
  it("asks for the invigilators' password and the bank key, then shows the address, the fingerprint and the candidates", async () => {
    const { calls } = fakeConsole([session({ number: 12 })], { 12: [] }, {
      room_open: () => roomInfo(roomView({ tiles: [lea] })),
    });
    await openSession12();
    expect($("#room-title").textContent).toBe("Salle en direct");
    expect($("#room-open-form")).not.toBeNull();
    expect($<HTMLInputElement>("#room-password").type).toBe("password");
    expect($<HTMLInputElement>("#room-bind").value).toBe("0.0.0.0:7443");
    expect($("label[for=room-bank-key]").textContent).toBe("Clé de la banque de questions");
    // Nothing typed: said at once, nothing sent.
    click(document, "#room-open");
    await flush();
    expect($("#room-message").getAttribute("role")).toBe("alert");
    expect($("#room-message").textContent).toContain("« Mot de passe des surveillants » est obligatoire");
    expect(document.activeElement?.id).toBe("room-password");
    expect(calls.some((c) => c.command === "room_open")).toBe(false);

    type($<HTMLInputElement>("#room-password"), "lune-fer-42");
    type($<HTMLInputElement>("#room-bank-key"), " 9f8e7d ");
    click(document, "#room-open");
    await flush();
    expect(calls.find((c) => c.command === "room_open")?.args).toEqual({ session: 12, password: "lune-fer-42", bankKey: "9f8e7d", bind: "0.0.0.0:7443" });
    expect($("#room-open-form")).toBeNull();
    expect($("#room-address").textContent).toBe("192.168.1.10:7443");
    expect($("#room-fingerprint").textContent).toBe("ab12 cd34 ef56 7890");
    expect($("#room-message").getAttribute("role")).toBe("status");
    expect($("#room-message").textContent).toContain("Salle ouverte");
    expect(document.activeElement?.id).toBe("room-connect-title");
    expect(tileEl(1).dataset.status).toBe("in_test");
  });

  it("shows the hub's refusal and keeps the form", async () => {
    fakeConsole([session({ number: 12 })], { 12: [] }, {
      room_open: () => Promise.reject({ code: "room.password", message_fr: "Mot de passe surveillant incorrect pour cette session.", message_en: "Wrong invigilator password for this session." }),
    });
    await openSession12();
    type($<HTMLInputElement>("#room-password"), "faux");
    type($<HTMLInputElement>("#room-bank-key"), "k");
    type($<HTMLInputElement>("#room-bind"), "0.0.0.0:9000");
    click(document, "#room-open");
    await flush();
    expect($("#room-message").getAttribute("role")).toBe("alert");
    expect($("#room-message").textContent?.trim()).toBe("Mot de passe surveillant incorrect pour cette session.");
    expect($("#room-open-form")).not.toBeNull();
    expect($<HTMLInputElement>("#room-bind").value).toBe("0.0.0.0:9000");
    await setLang("en");
    await flush();
    expect($("#room-message").textContent?.trim()).toBe("Wrong invigilator password for this session.");
  });

  it("says when this console's room belongs to another session", async () => {
    fakeConsole([session({ number: 12 })], { 12: [] }, { room_view: () => roomInfo(roomView({ session: 40 })) });
    await openSession12();
    expect($("#room-open-form")).not.toBeNull();
    expect($("#room-other").textContent).toBe("Une salle est déjà ouverte sur cette console pour la session n° 40.");
  });
});

describe("live tiles", () => {
  it("shows an already open room, listens to its pushes, and stops listening once the page is left", async () => {
    const { listening } = openRoom();
    await openSession12();
    expect($("#room-open-form")).toBeNull();
    expect(listening(EVENT)).toBe(1);
    expect($$(".tile").map((t) => t.dataset.candidate)).toEqual(["2", "1", "3"]);
    click(document, "#back-to-sessions");
    await flush();
    expect(listening(EVENT)).toBe(0);
  });

  it("shows each candidate's name, local id, status in words, question, time, focus losses, incidents and station", async () => {
    openRoom(roomView({
      tiles: [
        tile({ candidate: 1, status: "focus_lost", needs_action: true, focus_losses: 2, question: 7, total: 32, time_left_s: 754, incidents: [{ code: "E10", note: "Alt+Tab", question: 7, at: "10:02" }] }),
        awa,
      ],
    }));
    await openSession12();
    const t1 = tileEl(1);
    expect(t1.dataset.status).toBe("focus_lost");
    expect(t1.classList.contains("needs-action")).toBe(true);
    expect(t1.querySelector("h5")?.textContent).toBe("Léa MARTIN");
    expect(t1.querySelector(".tile-local-id")?.textContent).toBe("Identifiant local : 3A");
    expect(t1.querySelector(".badge")?.textContent).toBe("A quitté la fenêtre du test");
    expect(t1.querySelector(".needs-action-text")?.textContent).toBe("Action requise");
    expect(t1.querySelector(".focus-losses")?.textContent).toBe("2 sorties de la fenêtre du test.");
    expect(t1.querySelector(".incidents-count")?.textContent).toBe("1 incident.");
    expect(t1.querySelector(".tile-question")?.textContent).toBe("7 / 32");
    expect(t1.querySelector(".time-left")?.textContent).toBe("12:34");
    expect(t1.querySelector(".tile-station")?.textContent).toBe("PC-01");
    expect(t1.querySelector(".tile-incidents")?.textContent).toContain("Sortie involontaire de la fenêtre");
    const t3 = tileEl(3);
    expect(t3.querySelector(".badge")?.textContent).toBe("Pas encore arrivé");
    expect(t3.querySelector(".focus-losses")?.textContent).toBe("Aucune sortie de la fenêtre du test.");
    expect(t3.querySelector(".tile-station"), "no PC yet: nothing said").toBeNull();
    expect(t3.querySelector(".time-left")).toBeNull();
    expect(t3.querySelector(".end-test")).toBeNull();
    expect($("#tiles-summary").textContent).toBe("1 candidat attend une action (en tête de liste).");
    await setLang("en");
    await flush();
    expect(tileEl(1).querySelector(".badge")?.textContent).toBe("Left the test window");
    expect(tileEl(1).querySelector(".focus-losses")?.textContent).toBe("2 exits from the test window.");
  });

  it("replaces a pushed tile, moves it to its place, announces who needs the invigilator and keeps focus", async () => {
    const { push } = openRoom();
    await openSession12();
    const endLea = tileEl(1).querySelector<HTMLElement>(".end-test")!;
    endLea.focus();
    await push({ type: "tile", tile: tile({ candidate: 1, status: "alert", needs_action: true, alert_item: "item-7" }) });
    expect($$(".tile").map((t) => t.dataset.candidate)).toEqual(["1", "2", "3"]);
    expect(tileEl(1).dataset.status).toBe("alert");
    expect(tileEl(1).querySelector(".badge")?.textContent).toBe("Alerte : problème signalé");
    expect($("#room-live").textContent).toBe("Alerte : Léa MARTIN a signalé un problème.");
    expect($("#room-live").getAttribute("role")).toBe("status");
    expect(document.activeElement).toBe(endLea);
    // A whole-room push replaces everything.
    await push({ type: "room", room: roomView({ paused: true, tiles: [lea] }) });
    expect($$(".tile").map((t) => t.dataset.candidate)).toEqual(["1"]);
    expect($("#room-paused").textContent).toContain("La salle est suspendue");
    // Another session's room is not this one.
    await push({ type: "room", room: roomView({ session: 40, tiles: [] }) });
    expect($$(".tile")).toHaveLength(1);
  });

  it("when the pushed tile no longer offers the focused action, focus lands on the candidate's name", async () => {
    const { push } = openRoom();
    await openSession12();
    tileEl(2).querySelector<HTMLElement>(".authorize")!.focus();
    await push({ type: "tile", tile: { ...moussa, status: "in_test", needs_action: false, test_id: "T2", time_left_s: 6300 } });
    expect(tileEl(2).querySelector(".authorize")).toBeNull();
    expect(document.activeElement?.id).toBe("tile-name-2");
  });

  it("shows the hub's error pushes as an alert", async () => {
    const { push } = openRoom();
    await openSession12();
    await push({ type: "error", error: { code: "hub.x", message_fr: "Le poste PC-02 ne répond plus.", message_en: "PC-02 stopped answering.", last_n: null } });
    expect($("#room-message").getAttribute("role")).toBe("alert");
    expect($("#room-message").textContent?.trim()).toBe("Le poste PC-02 ne répond plus.");
  });
});

describe("time left", () => {
  let now = 0;
  const realNow = clock.now;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    clock.now = () => now;
  });
  afterEach(() => {
    clock.now = realNow;
    vi.useRealTimers();
    document.body.replaceChildren();
  });

  it("counts down every second between pushes, restarts from each push, and stands still for a paused test", async () => {
    now = 0;
    const { push } = openRoom(roomView({ tiles: [tile({ candidate: 1, time_left_s: 600 }), tile({ candidate: 4, birth_name: "ZED", status: "paused", time_left_s: 300 })] }));
    await openSession12();
    expect(tileEl(1).querySelector(".time-left")?.textContent).toBe("10:00");
    now = 1000;
    vi.advanceTimersByTime(1000);
    await flush();
    expect(tileEl(1).querySelector(".time-left")?.textContent).toBe("09:59");
    now = 3000;
    vi.advanceTimersByTime(2000);
    await flush();
    expect(tileEl(1).querySelector(".time-left")?.textContent).toBe("09:57");
    expect(tileEl(4).querySelector(".time-left")?.textContent).toBe("05:00");
    await push({ type: "tile", tile: tile({ candidate: 1, time_left_s: 1200 }) });
    expect(tileEl(1).querySelector(".time-left")?.textContent).toBe("20:00");
    now = 4000;
    vi.advanceTimersByTime(1000);
    await flush();
    expect(tileEl(1).querySelector(".time-left")?.textContent).toBe("19:59");
  });
});

describe("actions on a candidate", () => {
  it("authorizes a waiting candidate (and a resume), and shows the result", async () => {
    const { commands } = openRoom(roomView({ tiles: [moussa, tile({ candidate: 5, birth_name: "ZED", status: "waiting_authorization", needs_action: true, resume: true })] }));
    await openSession12();
    expect(tileEl(2).querySelector(".authorize")?.textContent).toBe("Autoriser");
    expect(tileEl(5).querySelector(".authorize")?.textContent).toBe("Autoriser la reprise");
    expect(tileEl(5).querySelector(".badge")?.textContent).toBe("Attend l'autorisation de reprise");
    expect(tileEl(2).querySelector(".authorize")?.getAttribute("aria-describedby")).toBe("tile-name-2");
    click(tileEl(2), ".authorize");
    await flush();
    expect(commands()).toEqual([{ type: "authorize", candidate: 2 }]);
    expect($("#room-message").getAttribute("role")).toBe("status");
    expect($("#room-message").textContent?.trim()).toBe("Moussa DIALLO : autorisation envoyée.");
  });

  it("shows the hub's refusal of a command as an alert", async () => {
    openRoom(undefined, { room_command: () => Promise.reject({ code: "room.not_waiting", message_fr: "Ce candidat n'attend pas d'autorisation.", message_en: "x" }) });
    await openSession12();
    click(tileEl(2), ".authorize");
    await flush();
    expect($("#room-message").getAttribute("role")).toBe("alert");
    expect($("#room-message").textContent?.trim()).toBe("Ce candidat n'attend pas d'autorisation.");
  });

  it("validates an alert with the E code chosen in a dialog, or rejects it", async () => {
    const { commands } = openRoom(roomView({ tiles: [tile({ candidate: 1, status: "alert", needs_action: true })] }));
    await openSession12();
    const validate = tileEl(1).querySelector<HTMLElement>(".alert-validate")!;
    validate.click();
    await flush();
    expect(dialog().open).toBe(true);
    expect($("#dialog-title").textContent).toBe("Valider l'alerte de Léa MARTIN ?");
    expect(document.activeElement?.id).toBe("alert-incident");
    const options = [...$<HTMLSelectElement>("#alert-incident").options].map((o) => o.value);
    expect(options).toEqual(["", "E1", "E2", "E3", "E4", "E5", "E8", "E9", "E10", "E11", "E12"]);
    expect($<HTMLSelectElement>("#alert-incident").options[1].textContent).toBe("E1 — Image qui ne s'affiche pas");
    // No code chosen: said in the dialog, nothing sent.
    click(document, "#dialog-confirm");
    await flush();
    expect($("#dialog-error").getAttribute("role")).toBe("alert");
    expect($("#dialog-error").textContent).toBe("Choisissez un code d'incident.");
    expect($("#alert-incident").getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement?.id).toBe("alert-incident");
    expect(commands()).toEqual([]);
    pick($<HTMLSelectElement>("#alert-incident"), "E3");
    click(document, "#dialog-confirm");
    await flush();
    expect(commands()).toEqual([{ type: "resolve_alert", candidate: 1, validated: true, incident: "E3" }]);
    expect(dialog().open).toBe(false);
    expect(document.activeElement).toBe(validate);
    expect($("#room-message").textContent?.trim()).toBe("Léa MARTIN : alerte validée, la question est remplacée.");

    click(tileEl(1), ".alert-dismiss");
    await flush();
    expect(commands().at(-1)).toEqual({ type: "resolve_alert", candidate: 1, validated: false, incident: null });
  });

  it("ends a test only with a reason, keeps the hub's refusal in the dialog, and starts the next prompt empty", async () => {
    let refuse = true;
    const { commands } = openRoom(undefined, {
      room_command: () => (refuse ? Promise.reject({ code: "room.no_live_test", message_fr: "Ce candidat n'a pas de test en cours.", message_en: "x" }) : null),
    });
    await openSession12();
    click(tileEl(1), ".end-test");
    await flush();
    expect(document.activeElement?.id).toBe("end-reason");
    expect($("#dialog-confirm").textContent).toBe("Terminer le test");
    click(document, "#dialog-confirm");
    await flush();
    expect($("#dialog-error").textContent).toBe("Indiquez le motif.");
    expect(commands()).toEqual([]);
    type($<HTMLInputElement>("#end-reason"), "Malaise");
    click(document, "#dialog-confirm");
    await flush();
    expect(commands()).toEqual([{ type: "end_test", candidate: 1, reason: "Malaise" }]);
    expect($("#dialog-error").textContent).toBe("Ce candidat n'a pas de test en cours.");
    expect(dialog().open).toBe(true);
    refuse = false;
    click(document, "#dialog-confirm");
    await flush();
    expect(dialog().open).toBe(false);
    expect($("#room-message").textContent?.trim()).toBe("Léa MARTIN : fin du test demandée.");
    click(tileEl(2), ".end-test");
    await flush();
    expect($<HTMLTextAreaElement>("#end-reason").value).toBe("");
    click(document, "#dialog-cancel");
    await flush();
    expect(dialog().open).toBe(false);
    expect(commands()).toHaveLength(2);
  });

  it("grants extra time in minutes", async () => {
    const { commands } = openRoom();
    await openSession12();
    click(tileEl(1), ".extra-time");
    await flush();
    type($<HTMLInputElement>("#extra-minutes"), "0");
    click(document, "#dialog-confirm");
    await flush();
    expect($("#dialog-error").textContent).toBe("Indiquez un nombre de minutes entre 1 et 240.");
    type($<HTMLInputElement>("#extra-minutes"), "15");
    click(document, "#dialog-confirm");
    await flush();
    expect(commands()).toEqual([{ type: "extra_time", candidate: 1, minutes: 15 }]);
  });

  it("records an incident with its code, note and optional question number", async () => {
    const { commands } = openRoom();
    await openSession12();
    click(tileEl(1), ".record-incident");
    await flush();
    const codes = [...$<HTMLSelectElement>("#incident-code").options].map((o) => o.value);
    expect(codes).toEqual(["", "C1", "C2", "C4", "C6", "C7", "C8", "E1", "E2", "E3", "E4", "E5", "E8", "E9", "E10", "E11", "E12"]);
    expect($("#dialog-body").textContent).toContain("indiquez le numéro de la question");
    expect($("#incident-question-hint").textContent).toContain("Question en cours : 7.");
    pick($<HTMLSelectElement>("#incident-code"), "E1");
    type($<HTMLInputElement>("#incident-question"), "40");
    type($<HTMLInputElement>("#incident-note"), "Image absente");
    click(document, "#dialog-confirm");
    await flush();
    expect($("#dialog-error").textContent).toContain("Le numéro de question");
    expect(document.activeElement?.id).toBe("incident-question");
    type($<HTMLInputElement>("#incident-question"), "7");
    click(document, "#dialog-confirm");
    await flush();
    expect(commands()).toEqual([{ type: "record_incident", candidate: 1, code: "E1", note: "Image absente", question: 7 }]);
    click(tileEl(1), ".record-incident");
    await flush();
    pick($<HTMLSelectElement>("#incident-code"), "C8");
    type($<HTMLInputElement>("#incident-note"), "Bavardage");
    click(document, "#dialog-confirm");
    await flush();
    expect(commands().at(-1)).toEqual({ type: "record_incident", candidate: 1, code: "C8", note: "Bavardage", question: null });
  });

  it("corrects the identity with the birthdate typed jj/mm/aaaa and sent as YYYY-MM-DD", async () => {
    const { commands } = openRoom();
    await openSession12();
    click(tileEl(1), ".fix-identity");
    await flush();
    expect($("#dialog-body").textContent).toContain("incident C1");
    expect($<HTMLInputElement>("#fix-first-name").value).toBe("Léa");
    expect($<HTMLInputElement>("#fix-birth-name").value).toBe("MARTIN");
    type($<HTMLInputElement>("#fix-birth-name"), "MARTIN-DURAND");
    type($<HTMLInputElement>("#fix-birthdate"), "31/02/2010");
    click(document, "#dialog-confirm");
    await flush();
    expect($("#dialog-error").textContent).toContain("jj/mm/aaaa");
    expect(document.activeElement?.id).toBe("fix-birthdate");
    type($<HTMLInputElement>("#fix-birthdate"), "03/02/2010");
    click(document, "#dialog-confirm");
    await flush();
    expect(commands()).toEqual([{ type: "fix_identity", candidate: 1, first_name: "Léa", birth_name: "MARTIN-DURAND", birthdate: "2010-02-03" }]);
  });

  it("moves a candidate to another PC after confirmation, confirms presence, and sets an abort reason", async () => {
    const ended = tile({ candidate: 6, birth_name: "ZED", status: "ended", answered: 4, total: 32, time_left_s: null, ended_reason: "Malaise" });
    const { commands } = openRoom(roomView({ tiles: [lea, awa, ended] }));
    await openSession12();
    click(tileEl(1), ".move-candidate");
    await flush();
    expect($("#dialog-body").textContent).toContain("« PC-01 »");
    expect(document.activeElement?.id).toBe("dialog-cancel");
    click(document, "#dialog-confirm");
    await flush();
    expect(commands()).toEqual([{ type: "move_candidate", candidate: 1 }]);

    const presence = tileEl(3).querySelector<HTMLInputElement>(".presence")!;
    expect(presence.checked).toBe(false);
    presence.click();
    await flush();
    expect(commands().at(-1)).toEqual({ type: "confirm_presence", candidate: 3, present: true });

    expect(tileEl(1).querySelector(".abort-reason")).toBeNull();
    const abort = tileEl(6).querySelector<HTMLSelectElement>(".abort-reason")!;
    expect(tileEl(6).querySelector(".tile-ended-reason")?.textContent).toBe("Motif : Malaise");
    expect(abort.value).toBe("");
    expect($(`label[for=${abort.id}]`).textContent).toBe("Motif d'abandon");
    pick(abort, "technical");
    await flush();
    expect(commands().at(-1)).toEqual({ type: "set_abort_reason", candidate: 6, reason: "technical" });
  });
});

describe("the bank through the room", () => {
  it("sends the chosen pack's bytes, then shows each PC's progress, installation or refusal as the hub pushes them", async () => {
    const { calls, push } = openRoom(roomView(), { room_offer_bank: () => null });
    await openSession12();
    expect($("#room-host-name").textContent).toBe("salle12-console");
    expect($("label[for=room-bank-file]").textContent).toBe("Paquet de la session");
    expect($("#room-banks")).toBeNull();
    const input = $<HTMLInputElement>("#room-bank-file");
    const file = new File([new Uint8Array([1, 2, 3, 250])], "session-12.pack");
    Object.defineProperty(input, "files", { value: [file], configurable: true });
    input.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(calls.some((c) => c.command === "room_offer_bank")).toBe(true));
    expect(calls.find((c) => c.command === "room_offer_bank")?.args).toEqual({ pack: [1, 2, 3, 250] });
    await flush();
    expect($("#room-message").textContent).toContain("Banque envoyée aux postes : session-12.pack.");
    const bank = { hash: "ab".repeat(32), size: 1000 };
    const pushBanks = (banks: RoomView["banks"]) => push({ type: "room", room: roomView({ bank, banks }) });
    await pushBanks([
      { station: "s1", label: "PC-01", received: 450, state: "waiting", reason: null },
      { station: "s2", label: "PC-02", received: 0, state: "waiting", reason: null },
    ]);
    const line = (s: string) => $(`.bank-station[data-station="${s}"]`).textContent?.trim();
    expect(line("s1")).toBe("PC-01 : réception : 45 %");
    expect(line("s2")).toBe("PC-02 : en attente");
    await pushBanks([
      { station: "s1", label: "PC-01", received: 1000, state: "installed", reason: null },
      { station: "s2", label: "PC-02", received: 1000, state: "refused", reason: "banque refusée : signature de l'éditeur invalide" },
    ]);
    expect(line("s1")).toBe("PC-01 : installée");
    expect(line("s2")).toBe("PC-02 : refusée : banque refusée : signature de l'éditeur invalide");
  });

  it("says why the console refuses a pack that does not open with the session's key", async () => {
    openRoom(roomView(), {
      room_offer_bank: () => Promise.reject({ code: "room.bank_pack", message_fr: "Ce paquet ne s'ouvre pas avec la clé de la session : clé incorrecte", message_en: "x" }),
    });
    await openSession12();
    const input = $<HTMLInputElement>("#room-bank-file");
    Object.defineProperty(input, "files", { value: [new File([new Uint8Array([9])], "autre.pack")], configurable: true });
    input.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect($("#room-message").getAttribute("role")).toBe("alert"));
    expect($("#room-message").textContent).toContain("ne s'ouvre pas avec la clé de la session");
  });
});

describe("the state of the PCs", () => {
  it("lists each PC's check, ready or with what blocks, in the reader's language", async () => {
    const item = (name: string, ok: boolean, fr: string) => ({ item: name, ok, fr, en: `${name} (en)` });
    const { push } = openRoom(roomView());
    await openSession12();
    expect($("#room-readiness")).toBeNull();
    await push({
      type: "room",
      room: roomView({
        readiness: [
          { station: "s1", label: "PC-01", at: "2026-12-05T08:00:00Z", items: [item("fsync", true, "Écriture durable : 3 ms")] },
          {
            station: "s2",
            label: "PC-02",
            at: "2026-12-05T08:00:00Z",
            items: [item("fsync", true, "ok"), item("cage", false, "cage absent : installez le paquet cage."), item("clock", false, "Horloge décalée de 5 s.")],
          },
        ],
      }),
    });
    const line = (s: string) => $(`.readiness-station[data-station="${s}"]`);
    expect(line("s1").textContent?.trim()).toBe("PC-01 : prêt");
    expect(line("s1").dataset.ready).toBe("true");
    expect(line("s2").dataset.ready).toBe("false");
    expect(line("s2").textContent).toContain("PC-02 : 2 points bloquent");
    expect([...line("s2").querySelectorAll(".readiness-item")].map((li) => li.textContent)).toEqual(["cage absent : installez le paquet cage.", "Horloge décalée de 5 s."]);
    await setLang("en");
    await flush();
    expect([...line("s2").querySelectorAll(".readiness-item")].map((li) => li.textContent)).toEqual(["cage (en)", "clock (en)"]);
  });
});

describe("the screen reader of each PC", () => {
  it("turns speech on for one PC, shows it pressed once the hub says so, and off again", async () => {
    const { commands, push } = openRoom(roomView());
    await openSession12();
    const toggle = (s: string) => $(`.speech-station[data-station="${s}"] .speech-toggle`);
    expect(toggle("s1").textContent?.trim()).toBe("Synthèse vocale sur PC-01");
    expect(toggle("s1").getAttribute("aria-pressed")).toBe("false");
    expect(toggle("s2").getAttribute("aria-pressed")).toBe("false");
    toggle("s2").click();
    await flush();
    expect(commands().at(-1)).toEqual({ type: "speech", station: "s2", on: true });
    expect($("#room-message").textContent?.trim()).toBe("Synthèse vocale activée sur PC-02.");
    await push({ type: "room", room: roomView({ speech: ["s2"] }) });
    expect(toggle("s2").getAttribute("aria-pressed")).toBe("true");
    expect(toggle("s1").getAttribute("aria-pressed")).toBe("false");
    toggle("s2").click();
    await flush();
    expect(commands().at(-1)).toEqual({ type: "speech", station: "s2", on: false });
    await setLang("en");
    await flush();
    expect(toggle("s1").textContent?.trim()).toBe("Speech on PC-01");
  });
});

describe("pairing and the room", () => {
  it("shows pushed pairing requests with their code and confirms them", async () => {
    const { commands, push } = openRoom(roomView({ tiles: [lea] }));
    await openSession12();
    expect($$(".pairing")).toHaveLength(0);
    expect($("#room-stations").textContent).toBe("2 postes appairés.");
    await push({ type: "pairing", station: "s3", label: "PC-03", code: "482913" });
    expect($(".pairing").textContent).toContain("PC-03");
    expect($(".pairing .pairing-code").textContent).toBe("482913");
    expect($("#room-live").textContent).toBe("Demande d'appairage du poste « PC-03 ».");
    click(document, ".pairing-confirm");
    await flush();
    expect(commands()).toEqual([{ type: "confirm_pairing", station: "s3" }]);
    await push({ type: "room", room: roomView({ tiles: [lea], stations: [["s1", "PC-01"], ["s2", "PC-02"], ["s3", "PC-03"]] }) });
    expect($$(".pairing")).toHaveLength(0);
    expect($("#room-stations").textContent).toBe("3 postes appairés.");
  });

  it("opens pairing for 15 minutes, shows until when, and closes it; an expired window shows closed", async () => {
    const { commands, push } = openRoom(roomView({ tiles: [lea] }));
    await openSession12();
    expect($("#pairing-window-state").textContent).toContain("Appairage fermé");
    click(document, "#pairing-open");
    await flush();
    expect(commands().at(-1)).toEqual({ type: "open_pairing", minutes: 15 });
    const until = new Date(Date.now() + 15 * 60_000).toISOString();
    await push({ type: "room", room: roomView({ tiles: [lea], pairing_until: until }) });
    expect($("#pairing-window-state").textContent).toMatch(/^Appairage ouvert jusqu'à \d\d:\d\d/);
    expect($("#pairing-open")).toBeNull();
    click(document, "#pairing-close");
    await flush();
    expect(commands().at(-1)).toEqual({ type: "close_pairing" });
    await push({ type: "room", room: roomView({ tiles: [lea], pairing_until: new Date(Date.now() - 1000).toISOString() }) });
    expect($("#pairing-window-state").textContent).toContain("Appairage fermé");
    expect($("#pairing-open")).not.toBeNull();
  });

  it("pauses with a reason and resumes, ends all tests after confirmation, saves the comment", async () => {
    const { commands, push } = openRoom(roomView({ tiles: [lea], comment: "RAS" }));
    await openSession12();
    click(document, "#room-pause");
    await flush();
    type($<HTMLInputElement>("#pause-reason"), "Alarme incendie");
    click(document, "#dialog-confirm");
    await flush();
    expect(commands().at(-1)).toEqual({ type: "pause_room", reason: "Alarme incendie" });
    await push({ type: "room", room: roomView({ tiles: [lea], paused: true, comment: "RAS" }) });
    expect($("#room-paused")).not.toBeNull();
    click(document, "#room-resume");
    await flush();
    expect(commands().at(-1)).toEqual({ type: "resume_room" });

    click(document, "#room-end-all");
    await flush();
    expect($("#dialog-title").textContent).toBe("Terminer tous les tests ?");
    click(document, "#dialog-confirm");
    await flush();
    expect($("#dialog-error").textContent).toBe("Indiquez le motif.");
    type($<HTMLInputElement>("#end-all-reason"), "Coupure réseau");
    click(document, "#dialog-confirm");
    await flush();
    expect(commands().at(-1)).toEqual({ type: "end_all", reason: "Coupure réseau" });

    const comment = $<HTMLTextAreaElement>("#room-comment");
    expect(comment.value).toBe("RAS");
    type(comment as unknown as HTMLInputElement, "Deux candidats absents.");
    // A push does not wipe what is being typed.
    await push({ type: "tile", tile: { ...lea, answered: 7 } });
    expect(comment.value).toBe("Deux candidats absents.");
    click(document, "#room-comment-save");
    await flush();
    expect(commands().at(-1)).toEqual({ type: "set_comment", text: "Deux candidats absents." });
    expect($("#room-message").textContent?.trim()).toBe("Commentaire enregistré.");
  });

  it("shows why finalizing is refused, then once finalized writes the report and shows its path", async () => {
    let refuse = true;
    const ended = tile({ candidate: 6, status: "ended", answered: 4, total: 32, time_left_s: null });
    const { calls, commands, push } = openRoom(roomView({ tiles: [ended] }), {
      room_command: () =>
        refuse ? Promise.reject({ code: "room.abort_reasons_missing", message_fr: "Motif d'abandon manquant pour 1 candidat(s) dont le test n'est pas terminé.", message_en: "Abort reason missing for 1 candidate(s) whose test is unfinished." }) : null,
      room_report: () => ({ path: "/data/exports/session-12-proces-verbal.pdf" }),
      room_bundle: () => ({ path: "/data/exports/session-12.bundle" }),
      room_send: () => ({
        service_url: "https://certification.example.fr",
        items: [{ id: 1, bundle_id: "0750654D-12-abc", session: 12, content_hash: "ab", state: "sent", attempts: 2, next_attempt_ms: 0, last_error: null, receipt: '{"status":"published"}' }],
      }),
    });
    await openSession12();
    expect($("#room-report")).toBeNull();
    click(document, "#room-finalize");
    await flush();
    expect(commands()).toEqual([{ type: "finalize" }]);
    expect($("#room-message").getAttribute("role")).toBe("alert");
    expect($("#room-message").textContent?.trim()).toBe("Motif d'abandon manquant pour 1 candidat(s) dont le test n'est pas terminé.");
    refuse = false;
    click(document, "#room-finalize");
    await flush();
    await push({ type: "room", room: roomView({ tiles: [{ ...ended, abort_reason: "candidate" }], finalized: "14/05/2026 11:02" }) });
    expect($("#room-finalized").textContent).toBe("Session finalisée (14/05/2026 11:02).");
    expect($("#room-finalize")).toBeNull();
    expect($("#room-pause")).toBeNull();
    expect(tileEl(6).querySelector(".tile-actions button")).toBeNull();
    click(document, "#room-report");
    await flush();
    expect(calls.some((c) => c.command === "room_report")).toBe(true);
    expect($("#room-message").getAttribute("role")).toBe("status");
    expect($("#room-report-path").textContent).toBe("/data/exports/session-12-proces-verbal.pdf");
    click(document, "#room-bundle");
    await flush();
    expect(calls.some((c) => c.command === "room_bundle")).toBe(true);
    expect($("#room-message").textContent).toContain("Lot de résultats signé enregistré");
    expect($("#room-report-path").textContent).toBe("/data/exports/session-12.bundle");
    const url = $("#room-service-url") as HTMLInputElement;
    url.value = "https://certification.example.fr/";
    ($("#room-send-form") as HTMLFormElement).requestSubmit();
    await flush();
    expect(calls.find((c) => c.command === "room_send")?.args).toEqual({ serviceUrl: "https://certification.example.fr/" });
    expect($("#room-message").textContent).toContain("reçu signé est enregistré");
    const item = $(".outbox-item[data-state=sent]");
    expect(item.textContent).toContain("reçu par le service");
    expect(item.textContent).toContain("reçu : published");
    expect(item.textContent).toContain("2 tentative(s)");
  });
});

describe("the standby copy", () => {
  const status = (over: Partial<StandbyStatus> = {}): StandbyStatus => ({
    folder: "/media/cle/certroom-secours/session-12",
    code: "BCDF-2346-GHJK-7896-MPQR",
    inputs_copied: 3,
    last_copy_at: "2026-12-05T09:15:02.000Z",
    error: null,
    ...over,
  });

  it("starts the copy on the medium the invigilator chooses and shows the recovery code to write down", async () => {
    const { calls } = openRoom(roomView(), { standby_status: () => null, standby_choose: () => status() });
    await openSession12();
    expect($("#standby-code")).toBeNull();
    const choose = $<HTMLButtonElement>("#standby-choose");
    expect(choose.textContent?.trim()).toBe("Choisir le support de la copie…");
    choose.click();
    await vi.waitFor(() => expect(calls.some((c) => c.command === "standby_choose")).toBe(true));
    await flush();
    expect($("#standby-code").textContent).toBe("BCDF-2346-GHJK-7896-MPQR");
    expect($("#standby-folder").textContent).toBe("/media/cle/certroom-secours/session-12");
    expect($("#standby-last").textContent).toContain("3 décisions copiées");
    expect($("#room-message").textContent).toContain("Copie de secours en cours dans /media/cle/certroom-secours/session-12.");
    expect($("#standby-choose").textContent?.trim()).toBe("Changer de support…");
    expect($("#standby-error")).toBeNull();
  });

  it("says above the candidates, as an alert, when the copy can no longer be written", async () => {
    openRoom(roomView({ tiles: [lea] }), {
      standby_status: () => status({ error: ["La copie de secours ne s'écrit plus dans /media/cle : clé retirée. Vérifiez le support.", "x"] }),
    });
    await openSession12();
    await flush();
    const alert = $("#standby-error");
    expect(alert.getAttribute("role")).toBe("alert");
    expect(alert.textContent).toContain("ne s'écrit plus");
    // Outside the folded set-up, before the candidates.
    expect(alert.closest("details")).toBeNull();
    expect(alert.compareDocumentPosition($("#tiles-title")) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });
});
