// Test fixtures of the office window (imported by *.test.ts only, never by the app): rows of a
// centre's published results, and the window mounted and signed in on a fake backend.
import type { Roster, RosterRow } from "../shared/backend";
import { fakeTransport, flush, type Handler } from "../kiosk/test-support";

export function row(over: Partial<RosterRow> = {}): RosterRow {
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

export const zoe = row();
export const lea = row({ candidate_id: 2, class: "3B", birth_name: "Martin", first_name: "Léa", certificate: { ...zoe.certificate!, verification_code: "P-CDFGHJKM" } });
export const leo = row({ candidate_id: 3, class: "3B", birth_name: "Martin", first_name: "Léo", status: "absent", certificate: null, printable: false });
export const mei = row({ session_id: "0750654D-4218", session_number: 4218, candidate_id: 7, class: "3A", birth_name: "王", first_name: "Mei", missing_glyphs: ["王"], printable: false });
export const rows = [zoe, lea, leo, mei];

export function roster(list: RosterRow[] = rows): Roster {
  return {
    uai: "0750654D",
    centre_name: "Collège Jean Moulin",
    generated_at: "2027-03-20T10:00:00Z",
    competences: Array.from({ length: 16 }, (_, i) => ({ code: `${1 + Math.floor(i / 4)}.${1 + (i % 4)}`, fr: `Compétence ${i}`, en: `Competence ${i}` })),
    rows: list,
  };
}

export const settings = { uai: "0750654D", centre_name: "Collège Jean Moulin", service_url: "", has_token: false, service_key: "", validity_years: 0 };

/** The office window on a fake backend keeping `kept`, signed in unless `signIn` is false. */
export async function office(over: Record<string, Handler> = {}, kept: Roster | null = roster(), signIn = true) {
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
  if (!signIn) return fake;
  const form = document.querySelector<HTMLFormElement>("form")!;
  document.querySelector<HTMLInputElement>("#password")!.value = "administrateur-2026";
  form.requestSubmit();
  await flush();
  return fake;
}
