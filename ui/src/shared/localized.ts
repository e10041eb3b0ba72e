import { LitElement } from "lit";

/** Base for screens: light DOM (so the design system applies) and a re-render on language change. */
export class LocalizedElement extends LitElement {
  private readonly onLang = () => this.requestUpdate();

  createRenderRoot() {
    return this;
  }

  connectedCallback() {
    super.connectedCallback();
    window.addEventListener("certroom-lang", this.onLang);
  }

  disconnectedCallback() {
    window.removeEventListener("certroom-lang", this.onLang);
    super.disconnectedCallback();
  }
}
