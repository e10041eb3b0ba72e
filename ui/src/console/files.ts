// Files in and out of the page: reading an import file, encoding it for Rust, and the refused
// import's report as CSV. Pure functions except `readFileBytes` and `downloadText`.
import type { ImportError } from "../shared/backend";

// A multiple of 3, so that chunks encode independently (no padding inside the text), and small
// enough for String.fromCharCode.apply's argument limit.
const CHUNK = 3 * 0x2000;

/** Standard base64 (RFC 4648, with padding) of raw bytes, whatever they are. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += CHUNK) out += chunkToBase64(bytes.subarray(i, i + CHUNK));
  return out;
}

/** The same, yielding to the event loop every ~1 MB so the progress bar and the keyboard stay alive. */
export async function bytesToBase64Async(bytes: Uint8Array, onProgress?: (done: number) => void): Promise<string> {
  const parts: string[] = [];
  const perSlice = CHUNK * 32;
  for (let i = 0; i < bytes.length; i += perSlice) {
    const end = Math.min(bytes.length, i + perSlice);
    for (let j = i; j < end; j += CHUNK) parts.push(chunkToBase64(bytes.subarray(j, Math.min(end, j + CHUNK))));
    onProgress?.(end);
    if (end < bytes.length) await new Promise((r) => setTimeout(r, 0));
  }
  return parts.join("");
}

function chunkToBase64(chunk: Uint8Array): string {
  // Each byte becomes one code unit 0–255 ("binary string"), which btoa encodes byte for byte.
  return btoa(String.fromCharCode.apply(null, chunk as unknown as number[]));
}

/** Reads a chosen file into bytes, reporting progress (bytes loaded, total). */
export function readFileBytes(file: Blob, onProgress?: (loaded: number, total: number) => void): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    reader.onerror = () => reject(reader.error ?? new Error("read failed"));
    reader.onabort = () => reject(new Error("read aborted"));
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.readAsArrayBuffer(file);
  });
}

export interface ReportLabels {
  line: string;
  column: string;
  value: string;
  message: string;
  ine: string;
  wholeFile: string;
}

/** The refused import's report as CSV for a spreadsheet: `;` separated (French spreadsheet
 * default), UTF-8 with a BOM, CRLF, every field quoted. A value from the file that starts like a
 * formula is prefixed with `'` so the spreadsheet shows it instead of running it. */
export function reportToCsv(report: ImportError[], lang: string, labels: ReportLabels): string {
  const withIne = report.some((e) => e.ine);
  const head = [labels.line, labels.column, labels.value, ...(withIne ? [labels.ine] : []), labels.message];
  const rows = report.map((e) => [
    e.line === 0 ? labels.wholeFile : String(e.line),
    e.column ?? "",
    e.value ?? "",
    ...(withIne ? [e.ine ?? ""] : []),
    lang === "en" ? e.message_en : e.message_fr,
  ]);
  return "\uFEFF" + [head, ...rows].map((r) => r.map(csvField).join(";")).join("\r\n") + "\r\n";
}

function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** Offers text as a file through an `<a download>`. Returns false where the page cannot do it
 * (no object URLs); the Tauri window may also ignore it, hence the copy fallback next to it. */
export function downloadText(text: string, fileName: string, mime = "text/csv;charset=utf-8"): boolean {
  if (typeof URL.createObjectURL !== "function") return false;
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return true;
}
