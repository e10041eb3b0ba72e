import { beforeEach, describe, expect, it } from "vitest";
import { setLang } from "../shared/i18n";
import type { OutboxItem, OutboxStatus } from "../shared/backend";
import { $, click, fakeConsole, flush, polyfillDialog, session, signedIn } from "./test-support";
import { latestUpload } from "./upload-panel";

polyfillDialog();

beforeEach(async () => {
  await setLang("fr");
});

function item(over: Partial<OutboxItem> = {}): OutboxItem {
  return {
    id: 1,
    bundle_id: "B-7f3a",
    session: 12,
    content_hash: "ab",
    state: "sent",
    attempts: 1,
    next_attempt_ms: 0,
    last_error: null,
    receipt: JSON.stringify({ bundle_id: "B-7f3a", status: "pending_jury", received_at: "2026-12-05T09:40:00Z" }),
    service_status: null,
    service_status_as_of: null,
    ...over,
  };
}

const box = (...items: OutboxItem[]): OutboxStatus => ({ items, service_url: "https://certif.example.fr", service_key: "00", sender_error: null });

async function openSession12() {
  await signedIn();
  click(document, "#open-12");
  await flush();
  await flush();
}

describe("the sessions list", () => {
  it("says where each session stands, the service's word included", async () => {
    fakeConsole([session({ number: 12, stage: "waiting_jury" }), session({ number: 13, stage: "published" }), session({ number: 14, stage: "in_progress" })], {});
    await signedIn();
    const stages = [...document.querySelectorAll("#sessions-table tbody tr")].map((r) => r.children[7]?.textContent?.trim());
    expect(stages).toEqual(["En attente du jury", "Publiée", "En cours"]);
  });
});

describe("the session page's upload", () => {
  it("asks the service on opening and shows the receipt and the stage it read back", async () => {
    const { calls } = fakeConsole([session({ number: 12, status: "finalized", stage: "published" })], { 12: [] }, {
      outbox_refresh: () => box(item({ service_status: "validated", service_status_as_of: "2026-12-05T10:02:00Z" })),
    });
    await openSession12();
    expect(calls.some((c) => c.command === "outbox_refresh")).toBe(true);
    expect($("#session-stage").textContent).toBe("Publiée");
    expect($("#upload-state").dataset.state).toBe("sent");
    expect($("#upload-state").textContent).toContain("Reçu par le service le 2026-12-05T09:40:00Z (lot B-7f3a)");
    expect($("#upload-stage").textContent).toBe("Selon le service (2026-12-05T10:02:00Z) : Publiée.");
    expect($("#upload-send-again")).toBeNull();
    expect($("#upload-status").getAttribute("aria-live")).toBe("polite");
  });

  it("shows a refusal in the service's French and sends it again on request", async () => {
    let refused = true;
    const { calls } = fakeConsole([session({ number: 12, status: "finalized", stage: "finalized" })], { 12: [] }, {
      outbox_refresh: () => box(refused ? item({ state: "rejected", receipt: null, last_error: "Console inconnue du service : enrôlez sa clé." }) : item({ state: "pending", receipt: null, attempts: 0 })),
      outbox_send_again: () => {
        refused = false;
        return box(item({ state: "pending", receipt: null, attempts: 0 }));
      },
    });
    await openSession12();
    expect($("#upload-state").textContent).toBe("Refusé par le service : Console inconnue du service : enrôlez sa clé.");
    const again = $("#upload-send-again");
    expect(again.getAttribute("aria-label")).toBe("Renvoyer le lot de la session 12 au service");
    click(document, "#upload-send-again");
    await flush();
    await flush();
    expect(calls.find((c) => c.command === "outbox_send_again")?.args).toEqual({ item: 1 });
    expect($("#upload-state").dataset.state).toBe("pending");
    expect($("#upload-status").textContent).toContain("Le lot est de nouveau en file d'envoi.");
  });

  it("falls back to what the outbox kept when the service cannot be asked, and says why", async () => {
    fakeConsole([session({ number: 12, status: "finalized", stage: "waiting_jury" })], { 12: [] }, {
      outbox_refresh: () => {
        throw { code: "outbox", message_fr: "service injoignable", message_en: "unreachable" };
      },
      outbox_list: () => box(item()),
    });
    await openSession12();
    expect($("#upload-error").textContent).toBe("service injoignable");
    expect($("#upload-stage").textContent).toContain("En attente du jury");
  });

  it("takes the session's latest bundle only", () => {
    const b = box(item({ id: 3, session: 12 }), item({ id: 9, session: 12, state: "pending" }), item({ id: 11, session: 13 }));
    expect(latestUpload(b, 12)?.id).toBe(9);
    expect(latestUpload(b, 14)).toBeNull();
  });
});
