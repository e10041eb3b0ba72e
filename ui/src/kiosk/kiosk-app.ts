import { html } from "lit";
import { backend, errorText, type DemoQuestion } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { checkJoinForm, type JoinForm } from "./identity";

type Screen = "welcome" | "instructions" | "question";

const FIELD_LABEL: Record<keyof JoinForm, string> = {
  session: "kiosk.session",
  firstName: "kiosk.firstName",
  birthName: "kiosk.birthName",
  birthdate: "kiosk.birthdate",
};

export class KioskApp extends LocalizedElement {
  static properties = {
    screen: { state: true },
    problems: { state: true },
    acknowledged: { state: true },
    question: { state: true },
    status: { state: true },
    exitMessage: { state: true },
    focusLost: { state: true },
  };
  screen: Screen = "welcome";
  problems: string[] = [];
  acknowledged = false;
  question: DemoQuestion | null = null;
  status = "";
  exitMessage = "";
  focusLost = false;
  private form: JoinForm = { session: "", firstName: "", birthName: "", birthdate: "" };

  connectedCallback() {
    super.connectedCallback();
    void backend.onCloseRequested(() => this.openExitDialog());
    void backend.onFocusChanged((focused) => {
      if (!focused) this.focusLost = true;
    });
  }

  private openExitDialog() {
    this.exitMessage = "";
    const dialog = this.querySelector<HTMLDialogElement>("#exit-dialog");
    if (dialog && !dialog.open) dialog.showModal();
    this.querySelector<HTMLInputElement>("#exit-code")?.focus();
  }

  private async submitExit(e: Event) {
    e.preventDefault();
    const input = this.querySelector<HTMLInputElement>("#exit-code");
    try {
      await backend.kioskExit(input?.value ?? "");
    } catch (err) {
      this.exitMessage = errorText(err, lang()) || t("kiosk.exitRefused");
      if (input) input.value = "";
    }
  }

  private join(e: Event) {
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
    if (problems.length === 0) this.screen = "instructions";
    // Move focus to what changed, so keyboard and screen-reader users land on it.
    void this.updateComplete.then(() => this.querySelector<HTMLElement>(problems.length ? "#join-errors" : "#instr-title")?.focus());
  }

  private async start() {
    this.question = await backend.kioskDemoQuestion();
    this.screen = "question";
    await this.updateComplete;
    this.querySelector<HTMLElement>("#question-title")?.focus();
  }

  private async answer(e: Event) {
    e.preventDefault();
    const value = this.querySelector<HTMLInputElement>("#answer")?.value ?? "";
    const ack = await backend.kioskDemoAnswer(value);
    // Only a committed answer is reported as saved.
    this.status = ack.saved ? t("kiosk.saved") : "";
  }

  private renderWelcome() {
    const field = (name: keyof JoinForm, autocomplete = "off") => html`
      <label for=${name}>${t(FIELD_LABEL[name])}</label>
      <input id=${name} name=${name} type="text" autocomplete=${autocomplete} spellcheck="false" .value=${this.form[name]} />`;
    return html`<form class="card" @submit=${this.join} novalidate aria-describedby="welcome-text">
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
      <p><label style="display:inline;font-weight:400"><input type="checkbox" id="ack" .checked=${this.acknowledged}
        @change=${(e: Event) => (this.acknowledged = (e.target as HTMLInputElement).checked)} /> ${t("kiosk.acknowledge")}</label></p>
      <button ?disabled=${!this.acknowledged} @click=${this.start}>${t("kiosk.continue")}</button>
    </section>`;
  }

  private renderQuestion() {
    const q = this.question;
    if (!q) return null;
    return html`<form class="card" @submit=${this.answer}>
      <h2 id="question-title" tabindex="-1">${t("kiosk.question", { n: q.index, total: q.total })}</h2>
      <p>${q.instruction}</p>
      <label for="answer">${t("kiosk.answerLabel")}</label>
      <input id="answer" type="text" autocomplete="off" spellcheck="false" />
      <label for="scratch">${t("kiosk.scratch")}</label>
      <textarea id="scratch" rows="3"></textarea>
      <p class="row"><button type="submit">${t("kiosk.validate")}</button></p>
      <p role="status" aria-live="polite" class="ok">${this.status}</p>
    </form>`;
  }

  render() {
    const body =
      this.screen === "welcome" ? this.renderWelcome() : this.screen === "instructions" ? this.renderInstructions() : this.renderQuestion();
    return html`
      <header class="toolbar"><strong>${t("kiosk.title")}</strong><display-controls></display-controls></header>
      <main id="kiosk-main" class="kiosk">
        <h1>${t("kiosk.title")}</h1>
        <p class="notice">${t("kiosk.demoNotice")}</p>
        ${this.focusLost ? html`<p class="error" role="alert">${t("kiosk.focusLost")}</p>` : null}
        ${body}
      </main>
      <dialog id="exit-dialog" aria-labelledby="exit-title">
        <form @submit=${this.submitExit}>
          <h2 id="exit-title">${t("kiosk.closeTitle")}</h2>
          <p>${t("kiosk.closeBody")}</p>
          <label for="exit-code">${t("kiosk.exitCode")}</label>
          <input id="exit-code" type="password" autocomplete="off" />
          ${this.exitMessage ? html`<p class="error" role="alert" id="exit-error">${this.exitMessage}</p>` : null}
          <p class="row">
            <button type="submit">${t("kiosk.exitConfirm")}</button>
            <button type="button" class="secondary" @click=${() => this.querySelector<HTMLDialogElement>("#exit-dialog")?.close()}>${t("kiosk.exitCancel")}</button>
          </p>
        </form>
      </dialog>`;
  }
}
customElements.define("kiosk-app", KioskApp);
