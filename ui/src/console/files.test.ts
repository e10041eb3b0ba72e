import { describe, expect, it } from "vitest";
import type { ImportError } from "../shared/backend";
import { bytesToBase64, bytesToBase64Async, readFileBytes, reportToCsv } from "./files";

/** A plain, obviously correct RFC 4648 encoder to check against. */
function reference(bytes: Uint8Array): string {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += abc[(n >> 18) & 63] + abc[(n >> 12) & 63] + (b === undefined ? "=" : abc[(n >> 6) & 63]) + (c === undefined ? "=" : abc[n & 63]);
  }
  return out;
}

describe("base64 of a file's bytes", () => {
  it("encodes non-ASCII and binary bytes exactly, with padding", () => {
    // "Élève" in UTF-8, then bytes that are not text at all.
    expect(bytesToBase64(new TextEncoder().encode("Élève"))).toBe("w4lsw6h2ZQ==");
    expect(bytesToBase64(new Uint8Array([0xff, 0xfe, 0x00, 0x80]))).toBe("//4AgA==");
    expect(bytesToBase64(new Uint8Array([0xe9]))).toBe("6Q==");
    expect(bytesToBase64(new Uint8Array([]))).toBe("");
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(bytesToBase64(all)).toBe(reference(all));
  });

  it("gives the same text across chunk boundaries, sync or yielding", async () => {
    // Over a megabyte, a length that is not a multiple of 3 nor of any chunk size.
    const big = Uint8Array.from({ length: 0x8000 * 40 + 7 }, (_, i) => (i * 131 + 7) % 256);
    const expected = reference(big);
    // Booleans: a mismatch would otherwise print megabytes.
    expect(bytesToBase64(big) === expected).toBe(true);
    const seen: number[] = [];
    expect((await bytesToBase64Async(big, (d) => seen.push(d))) === expected).toBe(true);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toBe(big.length);
  });

  it("reads a file's raw bytes", async () => {
    const bytes = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0xc3, 0xa9]);
    expect([...(await readFileBytes(new File([bytes], "a.zip")))]).toEqual([...bytes]);
  });
});

describe("import report as CSV", () => {
  const report: ImportError[] = [
    { line: 0, column: null, value: null, ine: null, code: "file", message_fr: "Fichier illisible.", message_en: "Unreadable file." },
    { line: 3, column: "Nom de naissance", value: 'Dupont "Jr"; fils', ine: null, code: "x", message_fr: "Nom « invalide ».", message_en: "Bad name." },
    { line: 4, column: "Temps majoré (%)", value: "=1+1", ine: null, code: "y", message_fr: "Pourcentage invalide.", message_en: "Bad percent." },
  ];
  const labels = { line: "Ligne", column: "Colonne", value: "Valeur", message: "Message", ine: "INE", wholeFile: "Fichier entier" };

  it("quotes every field, keeps accents, neutralises formulas and uses the chosen language", () => {
    const csv = reportToCsv(report, "fr", labels);
    expect(csv.startsWith("\uFEFF")).toBe(true);
    const lines = csv.slice(1).trimEnd().split("\r\n");
    expect(lines).toEqual([
      '"Ligne";"Colonne";"Valeur";"Message"',
      '"Fichier entier";"";"";"Fichier illisible."',
      '"3";"Nom de naissance";"Dupont ""Jr""; fils";"Nom « invalide »."',
      `"4";"Temps majoré (%)";"'=1+1";"Pourcentage invalide."`,
    ]);
    expect(reportToCsv(report, "en", labels)).toContain('"Unreadable file."');
  });

  it("adds the INE column only when a SIECLE error carries one", () => {
    const csv = reportToCsv([{ ...report[1], ine: "123456789AB" }], "fr", labels);
    expect(csv).toContain('"Ligne";"Colonne";"Valeur";"INE";"Message"');
    expect(csv).toContain('"123456789AB"');
  });
});
