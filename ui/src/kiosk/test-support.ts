// Test helpers for the kiosk views (imported by *.test.ts only, never by the app).
import { useTransport, type Transport } from "../shared/backend";
import { settled } from "./flow";
import type { KioskScreen, QuestionView } from "./screen";

export interface Call {
  command: string;
  args: Record<string, unknown> | undefined;
}

export type Handler = (args: Record<string, unknown> | undefined) => unknown;

/** A Transport answering from `handlers` and recording every call; an unknown command rejects.
 * `emit` pushes an event to the page as Rust would; `listening` counts the page's live listeners. */
export function fakeTransport(handlers: Record<string, Handler>): { calls: Call[]; emit: (event: string, payload?: unknown) => void; listening: (event: string) => number } {
  const calls: Call[] = [];
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const transport: Transport = {
    call: async <T>(command: string, args?: Record<string, unknown>) => {
      calls.push({ command, args });
      const h = handlers[command];
      if (!h) throw { code: "unknown", message_fr: `inconnu : ${command}`, message_en: `unknown: ${command}` };
      return (await h(args)) as T;
    },
    on: async <T>(event: string, handler: (payload: T) => void) => {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      const h = handler as (payload: unknown) => void;
      set.add(h);
      return () => void set.delete(h);
    },
  };
  useTransport(transport);
  return {
    calls,
    emit: (event, payload = null) => [...(listeners.get(event) ?? [])].forEach((h) => h(payload)),
    listening: (event) => listeners.get(event)?.size ?? 0,
  };
}

/** jsdom has <dialog> but not its methods: the minimum the views rely on. */
export function polyfillDialog(): void {
  const proto = HTMLDialogElement.prototype as HTMLDialogElement & { __poly?: boolean };
  if (proto.__poly) return;
  proto.__poly = true;
  proto.showModal = function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  proto.close = function (this: HTMLDialogElement) {
    if (!this.hasAttribute("open")) return;
    this.removeAttribute("open");
    this.dispatchEvent(new Event("close"));
  };
}

/** Lets pending transport promises resolve, then waits for every view to render. */
export async function flush(root: Element = document.body): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await settled(root);
  }
}

export async function mountApp(): Promise<HTMLElement> {
  await import("./kiosk-app");
  document.body.replaceChildren(document.createElement("kiosk-app"));
  await flush();
  return document.body.querySelector("kiosk-app") as HTMLElement;
}

export function question(over: Partial<QuestionView> = {}): QuestionView {
  return {
    item_id: "item-1",
    kind: "qcu",
    instruction_html: "<p>Quel est le format <strong>ouvert</strong> ?</p>",
    proposals: ["<code>.docx</code>", "<code>.odt</code>", "<code>.pages</code>"],
    form: [],
    fields: [],
    illustration: null,
    attachments: [],
    timer_s: null,
    ...over,
  };
}

export function questionScreen(q: QuestionView = question(), over: Partial<Extract<KioskScreen, { screen: "question" }>> = {}): KioskScreen {
  return {
    screen: "question",
    question: q,
    progress: { index: 3, total: 32, answered: 2 },
    time: { remaining_s: 3600, question_remaining_s: null },
    alert_open: false,
    focus_lost: false,
    ...over,
  };
}

export function click(root: ParentNode, selector: string): void {
  const el = root.querySelector<HTMLElement>(selector);
  if (!el) throw new Error(`no ${selector}`);
  el.click();
}

export function type(input: HTMLInputElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

export function pick(select: HTMLSelectElement, value: string): void {
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
}
