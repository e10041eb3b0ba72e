import { beforeEach, describe, expect, it } from "vitest";
import { setLang } from "../shared/i18n";
import type { LabStation } from "../shared/backend";
import { $, click, fakeConsole, flush, polyfillDialog, signedIn } from "./test-support";

polyfillDialog();

beforeEach(async () => {
  await setLang("fr");
});

const pc = (label: string, key: string): LabStation => ({ public_key: key.repeat(64), label, paired_at: "2026-12-01T08:00:00.000Z" });

describe("the lab's PCs", () => {
  it("lists the paired PCs and removes one on request, naming it for screen readers", async () => {
    let stations = [pc("PC-01", "a"), pc("PC-02", "b")];
    const { calls } = fakeConsole([], {}, {
      lab_stations: () => stations,
      outbox_list: () => ({ items: [], service_url: "https://certif.example.fr", service_key: null, sender_error: null }),
      lab_forget: (a) => {
        stations = stations.filter((s) => s.public_key !== a!.publicKey);
        return stations;
      },
    });
    await signedIn();
    await flush();
    const rows = [...document.querySelectorAll("#lab-table tbody tr")].map((r) => r.querySelector("th")?.textContent);
    expect(rows).toEqual(["PC-01", "PC-02"]);
    expect(($("#lab-service-url") as HTMLInputElement).value).toBe("https://certif.example.fr");
    const remove = document.querySelector<HTMLButtonElement>('#lab-table button[aria-label="Retirer le poste PC-01"]');
    expect(remove).not.toBeNull();
    remove!.click();
    await flush();
    await flush();
    expect(calls.find((c) => c.command === "lab_forget")?.args).toEqual({ publicKey: "a".repeat(64) });
    expect([...document.querySelectorAll("#lab-table tbody tr")].length).toBe(1);
    expect($("#lab-status").textContent).toContain("Poste PC-01 retiré");
  });

  it("declares the PCs to the service, or says why it could not, and exports the signed file", async () => {
    let online = false;
    const { calls } = fakeConsole([], {}, {
      lab_stations: () => [pc("PC-01", "a")],
      outbox_list: () => ({ items: [], service_url: null, service_key: null, sender_error: null }),
      lab_declare: () => {
        if (!online) throw { code: "lab.declare", message_fr: "Les postes n'ont pas pu être déclarés au service : injoignable", message_en: "unreachable" };
        return 1;
      },
      lab_export: () => ({ path: "/home/secretariat/exports/postes-declares.json" }),
    });
    await signedIn();
    await flush();
    const url = $("#lab-service-url") as HTMLInputElement;
    url.value = "https://certif.example.fr";
    url.dispatchEvent(new Event("input"));
    ($("#lab-declare") as HTMLFormElement).requestSubmit();
    await flush();
    await flush();
    expect($("#lab-error").textContent).toContain("n'ont pas pu être déclarés");
    online = true;
    ($("#lab-declare") as HTMLFormElement).requestSubmit();
    await flush();
    await flush();
    expect(calls.filter((c) => c.command === "lab_declare").at(-1)?.args).toEqual({ serviceUrl: "https://certif.example.fr" });
    expect($("#lab-status").textContent).toContain("1 poste(s) déclaré(s) au service.");
    expect($("#lab-error")).toBeNull();
    click(document, "#lab-export");
    await flush();
    await flush();
    expect($("#lab-status").textContent).toContain("postes-declares.json");
  });

  it("says how to pair when no PC is paired yet", async () => {
    fakeConsole([], {}, { lab_stations: () => [] });
    await signedIn();
    await flush();
    expect($("#lab-none").textContent).toContain("appairez les postes");
  });
});
