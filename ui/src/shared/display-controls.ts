import { LitElement, html } from "lit";
import { LANG_NAMES, LANGS, lang, setLang, t, type Lang } from "./i18n";

const MIN_SCALE = 0.85;
const MAX_SCALE = 2;

/** Clamps and steps the text scale; the kiosk's own control for pupils with poor sight. */
export function nextScale(current: number, direction: 1 | -1): number {
  const next = Math.round((current + direction * 0.15) * 100) / 100;
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, next));
}

export function applyDisplay(scale: number, contrast: boolean): void {
  const root = document.documentElement;
  root.style.setProperty("--scale", String(scale));
  root.classList.toggle("contrast", contrast);
}

export interface DisplaySettings {
  scale: number;
  contrast: boolean;
}

/** What this PC keeps: the console's and the office's settings, or, in the kiosk, those of the
 *  candidate named `owner` (none yet: chosen on the welcome screen, before joining). */
interface Kept extends DisplaySettings {
  owner?: string;
}

const KEY = "certroom.display";
const DEFAULT: DisplaySettings = { scale: 1, contrast: false };
const CHANGED = "certroom-display";
let current: Kept = { ...DEFAULT };

function stored(): Kept | null {
  try {
    const k = JSON.parse(localStorage.getItem(KEY) ?? "null") as Kept | null;
    if (!k || typeof k.scale !== "number" || typeof k.contrast !== "boolean") return null;
    return { ...k, scale: Math.min(MAX_SCALE, Math.max(MIN_SCALE, k.scale)) };
  } catch {
    return null;
  }
}

function set(next: Kept) {
  current = next;
  applyDisplay(next.scale, next.contrast);
  try {
    localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // A webview without storage still shows the settings; they only do not outlive the window.
  }
  window.dispatchEvent(new CustomEvent(CHANGED));
}

export function displaySettings(): DisplaySettings {
  return { scale: current.scale, contrast: current.contrast };
}

/** The console and the office: the settings this PC kept, as its user left them. */
export function restoreStationDisplay(): void {
  set(stored() ?? { ...DEFAULT });
}

/** The kiosk between candidates: back to the defaults, nothing of the last candidate kept. */
export function displayForNewCandidate(): void {
  set({ ...DEFAULT });
}

/** The kiosk once it knows who sits: the settings kept for that candidate come back (a resume on
 *  this PC), or the ones chosen on the welcome screen become theirs. */
export function displayForCandidate(name: string): void {
  const k = stored();
  if (k?.owner === name) set(k);
  else set({ ...displaySettings(), owner: name });
}

/** Text size, contrast and language: the same controls on every screen of every role. */
export class DisplayControls extends LitElement {
  private readonly onChange = () => this.requestUpdate();

  createRenderRoot() {
    return this;
  }

  connectedCallback() {
    super.connectedCallback();
    window.addEventListener(CHANGED, this.onChange);
  }

  disconnectedCallback() {
    window.removeEventListener(CHANGED, this.onChange);
    super.disconnectedCallback();
  }

  private step(direction: 1 | -1) {
    set({ ...current, scale: nextScale(current.scale, direction) });
  }

  private toggleContrast() {
    set({ ...current, contrast: !current.contrast });
  }

  render() {
    return html`<div class="row" role="group" aria-label=${t("a11y.textSize")}>
      <button class="secondary" @click=${() => this.step(-1)} aria-label=${t("a11y.smaller")}>A−</button>
      <button class="secondary" @click=${() => this.step(1)} aria-label=${t("a11y.larger")}>A+</button>
      <button class="secondary" aria-pressed=${current.contrast ? "true" : "false"} @click=${this.toggleContrast}>${t("a11y.contrast")}</button>
      <label class="visually-hidden" for="lang-select">${t("a11y.language")}</label>
      <select id="lang-select" style="width:auto;min-height:2.75rem" @change=${(e: Event) => setLang((e.target as HTMLSelectElement).value as Lang)}>
        ${LANGS.map((l) => html`<option value=${l} ?selected=${l === lang()}>${LANG_NAMES[l]}</option>`)}
      </select>
    </div>`;
  }
}
customElements.define("display-controls", DisplayControls);
