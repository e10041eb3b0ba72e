import { html, nothing } from "lit";
import type { CompetenceTitle, RosterRow } from "../shared/backend";
import { t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";

/** What the certificate will say, before printing: the same fields as the PDF, in the language
 * chosen for the certificates (not necessarily the screen's). */
export class CertificatePreview extends LocalizedElement {
  static properties = { row: { attribute: false }, competences: { attribute: false }, lang: {}, centre: {} };
  row: RosterRow | null = null;
  competences: CompetenceTitle[] = [];
  lang: "fr" | "en" = "fr";
  centre = "";

  private close = () => this.dispatchEvent(new CustomEvent("close", { bubbles: true }));

  private onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") this.close();
  };

  render() {
    const r = this.row;
    const c = r?.certificate;
    if (!r || !c) return nothing;
    const tr = (key: string, opts: Record<string, unknown> = {}) => t(key, { ...opts, lng: this.lang });
    return html`<section class="card certificate-preview" id="certificate-preview" aria-labelledby="preview-title" @keydown=${this.onKey}>
      <h3 id="preview-title" tabindex="-1">${tr("office.preview.heading")}</h3>
      <div class="sheet" lang=${this.lang}>
        <p class="sheet-title">${tr("office.preview.title")}</p>
        <p class="sheet-name" id="preview-name">${r.first_name} ${r.birth_name.toUpperCase()}</p>
        <dl>
          <dt>${tr("office.preview.born")}</dt><dd>${r.birthdate}</dd>
          <dt>${tr("office.preview.centre")}</dt><dd>${this.centre}</dd>
          <dt>${tr("office.preview.issued")}</dt><dd>${c.issued}</dd>
          <dt>${tr("office.preview.score")}</dt><dd>${c.pix} / ${c.pix_max}</dd>
          <dt>${tr("office.preview.level")}</dt><dd>${c.global_level}</dd>
          <dt>${tr("office.preview.code")}</dt><dd class="mono" id="preview-code">${c.verification_code}</dd>
        </dl>
        <table>
          <caption>${tr("office.preview.competences")}</caption>
          <thead><tr><th scope="col">${tr("office.preview.competence")}</th><th scope="col">${tr("office.preview.levelCol")}</th></tr></thead>
          <tbody>${this.competences.map(
            (comp, i) => html`<tr><th scope="row">${comp.code} ${this.lang === "en" ? comp.en : comp.fr}</th><td>${c.levels[i] ?? 0}</td></tr>`,
          )}</tbody>
        </table>
        ${r.no_qr ? html`<p class="hint">${tr("office.noQr")}</p>` : nothing}
      </div>
      <p><button type="button" class="secondary" id="preview-close" @click=${this.close}>${t("office.preview.close")}</button></p>
    </section>`;
  }
}
customElements.define("certificate-preview", CertificatePreview);
