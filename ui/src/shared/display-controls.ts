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

/** Text size, contrast and language: the same controls on every screen of every role. */
export class DisplayControls extends LitElement {
  static properties = { scale: { state: true }, contrast: { state: true } };
  scale = 1;
  contrast = false;

  createRenderRoot() {
    return this;
  }

  private step(direction: 1 | -1) {
    this.scale = nextScale(this.scale, direction);
    applyDisplay(this.scale, this.contrast);
  }

  private toggleContrast() {
    this.contrast = !this.contrast;
    applyDisplay(this.scale, this.contrast);
  }

  render() {
    return html`<div class="row" role="group" aria-label=${t("a11y.textSize")}>
      <button class="secondary" @click=${() => this.step(-1)} aria-label=${t("a11y.smaller")}>A−</button>
      <button class="secondary" @click=${() => this.step(1)} aria-label=${t("a11y.larger")}>A+</button>
      <button class="secondary" aria-pressed=${this.contrast ? "true" : "false"} @click=${this.toggleContrast}>${t("a11y.contrast")}</button>
      <label class="visually-hidden" for="lang-select">${t("a11y.language")}</label>
      <select id="lang-select" style="width:auto;min-height:2.75rem" @change=${(e: Event) => setLang((e.target as HTMLSelectElement).value as Lang)}>
        ${LANGS.map((l) => html`<option value=${l} ?selected=${l === lang()}>${LANG_NAMES[l]}</option>`)}
      </select>
    </div>`;
  }
}
customElements.define("display-controls", DisplayControls);
