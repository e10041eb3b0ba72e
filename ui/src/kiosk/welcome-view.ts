import { html } from "lit";
import { backend, errorText, type Identity } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { emitScreen } from "./flow";
import { checkJoinForm, type JoinForm } from "./identity";

const FIELD_LABEL: Record<keyof JoinForm, string> = {
  session: "kiosk.session",
  firstName: "kiosk.firstName",
  birthName: "kiosk.birthName",
  birthdate: "kiosk.birthdate",
};

export function toIdentity(form: JoinForm): Identity {
  return {
    session: form.session.trim(),
    first_name: form.firstName.trim(),
    birth_name: form.birthName.trim(),
    birthdate: form.birthdate.trim(),
  };
}

/** Rust's `welcome` screen, in two local steps: the identity form, then the instructions to
 * acknowledge. Only then is `kiosk_join` called; a refusal brings the candidate back to the form. */
export class KioskWelcome extends LocalizedElement {
  static properties = {
    step: { state: true },
    problems: { state: true },
    acknowledged: { state: true },
    busy: { state: true },
  };
  step: "form" | "instructions" = "form";
  problems: string[] = [];
  acknowledged = false;
  busy = false;
  private form: JoinForm = { session: "", firstName: "", birthName: "", birthdate: "" };

  private async focusOn(selector: string) {
    // Move focus to what changed, so keyboard and screen-reader users land on it.
    await this.updateComplete;
    this.querySelector<HTMLElement>(selector)?.focus();
  }

  private check(e: Event) {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    this.form = {
      session: String(data.get("session") ?? ""),
      firstName: String(data.get("firstName") ?? ""),
      birthName: String(data.get("birthName") ?? ""),
      birthdate: String(data.get("birthdate") ?? ""),
    };
    const problems = checkJoinForm(this.form);
    this.problems = problems.map((p) => t(p.key, { field: t(FIELD_LABEL[p.field]) }));
    if (problems.length === 0) this.step = "instructions";
    void this.focusOn(problems.length ? "#join-errors" : "#instr-title");
  }

  private async join() {
    this.busy = true;
    try {
      emitScreen(this, await backend.kioskJoin(toIdentity(this.form), lang()));
    } catch (err) {
      // Rust refused the identity or the session: the fix is on the form.
      this.problems = [errorText(err, lang())];
      this.step = "form";
      void this.focusOn("#join-errors");
    } finally {
      this.busy = false;
    }
  }

  private renderForm() {
    const field = (name: keyof JoinForm) => html`
      <label for=${name}>${t(FIELD_LABEL[name])}</label>
      <input id=${name} name=${name} type="text" autocomplete="off" spellcheck="false" .value=${this.form[name]} />`;
    return html`<form class="card" @submit=${this.check} novalidate aria-labelledby="welcome-title" aria-describedby="welcome-text">
      <h2 id="welcome-title" tabindex="-1" data-screen-heading>${t("kiosk.welcomeTitle")}</h2>
      <p id="welcome-text">${t("kiosk.welcome")}</p>
      ${this.problems.length
        ? html`<div id="join-errors" class="error" role="alert" tabindex="-1"><ul>${this.problems.map((p) => html`<li>${p}</li>`)}</ul></div>`
        : null}
      ${field("session")} ${field("firstName")} ${field("birthName")} ${field("birthdate")}
      <p><button type="submit">${t("kiosk.join")}</button></p>
    </form>`;
  }

  private renderInstructions() {
    return html`<section class="card" aria-labelledby="instr-title">
      <h2 id="instr-title" tabindex="-1">${t("kiosk.instructionsTitle")}</h2>
      <ul>
        <li>${t("kiosk.instructions1")}</li>
        <li>${t("kiosk.instructions2")}</li>
        <li>${t("kiosk.instructions3")}</li>
      </ul>
      <p><label class="inline"><input type="checkbox" id="ack" .checked=${this.acknowledged}
        @change=${(e: Event) => (this.acknowledged = (e.target as HTMLInputElement).checked)} /> ${t("kiosk.acknowledge")}</label></p>
      <p class="row">
        <button type="button" id="start" ?disabled=${!this.acknowledged || this.busy} @click=${this.join}>${t("kiosk.continue")}</button>
        <button type="button" class="secondary" @click=${() => { this.step = "form"; void this.focusOn("#welcome-title"); }}>${t("kiosk.back")}</button>
      </p>
    </section>`;
  }

  render() {
    return this.step === "form" ? this.renderForm() : this.renderInstructions();
  }
}
customElements.define("kiosk-welcome", KioskWelcome);
