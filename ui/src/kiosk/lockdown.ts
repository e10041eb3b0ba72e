// In-page half of the kiosk lockdown. The Rust half (navigation filter, new-window and download
// refusal, close guard, focus recording) holds even if this script were bypassed; this half removes
// the browser's own affordances that the window manager cannot see: shortcuts, context menu,
// selection and drag outside answer fields, and the system clipboard.

/** Keys that would reload, zoom, find, print, navigate, open tools or close. */
export function isBlockedShortcut(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">, inEditable: boolean): boolean {
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  const mod = e.ctrlKey || e.metaKey;
  if (["F1", "F3", "F5", "F6", "F7", "F11", "F12", "BrowserBack", "BrowserForward", "BrowserRefresh", "BrowserSearch"].includes(key)) return true;
  if (e.altKey && ["ArrowLeft", "ArrowRight", "Home", "F4"].includes(key)) return true;
  if (mod) {
    // Copy, cut, paste, select-all and undo stay usable in answer fields (the clipboard is ours).
    if (inEditable && ["c", "x", "v", "a", "z", "y"].includes(key)) return false;
    return true;
  }
  if (key === "Backspace" && !inEditable) return true; // "back" in some engines
  if (key === "Escape") return false;
  return false;
}

export function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLTextAreaElement) return !target.readOnly;
  if (target instanceof HTMLInputElement) {
    return !target.readOnly && ["text", "search", "number", "password", "email", "tel", ""].includes(target.type);
  }
  return target.isContentEditable;
}

/** A clipboard that lives and dies with the kiosk page: nothing goes to or comes from the system. */
export class KioskClipboard {
  private text = "";

  copy(field: HTMLInputElement | HTMLTextAreaElement, cut: boolean): void {
    const start = field.selectionStart ?? 0;
    const end = field.selectionEnd ?? 0;
    if (end <= start) return;
    this.text = field.value.slice(start, end);
    if (cut) {
      field.setRangeText("", start, end, "end");
      field.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  paste(field: HTMLInputElement | HTMLTextAreaElement): void {
    if (!this.text) return;
    const start = field.selectionStart ?? field.value.length;
    const end = field.selectionEnd ?? start;
    field.setRangeText(this.text, start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  get content(): string {
    return this.text;
  }
}

function textField(target: EventTarget | null): HTMLInputElement | HTMLTextAreaElement | null {
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement) {
    return isEditable(target) ? target : null;
  }
  return null;
}

/** Installs every in-page guard on `doc`; returns a function that removes them (tests, console role). */
export function installLockdown(doc: Document, clipboard = new KioskClipboard()): () => void {
  const opts = { capture: true } as const;
  const handlers: [string, EventListener][] = [
    ["keydown", (ev) => {
      const e = ev as KeyboardEvent;
      if (isBlockedShortcut(e, isEditable(e.target))) {
        e.preventDefault();
        e.stopPropagation();
      }
    }],
    ["contextmenu", (e) => e.preventDefault()],
    ["selectstart", (e) => { if (!isEditable(e.target)) e.preventDefault(); }],
    ["dragstart", (e) => e.preventDefault()],
    ["dragover", (e) => e.preventDefault()],
    ["drop", (e) => e.preventDefault()],
    // Middle-click pastes the X11 primary selection: refuse it, it comes from outside the kiosk.
    ["auxclick", (e) => e.preventDefault()],
    ["mousedown", (ev) => { if ((ev as MouseEvent).button === 1) ev.preventDefault(); }],
    ["wheel", (ev) => { if ((ev as WheelEvent).ctrlKey) ev.preventDefault(); }],
    ["copy", (e) => { e.preventDefault(); const f = textField(e.target); if (f) clipboard.copy(f, false); }],
    ["cut", (e) => { e.preventDefault(); const f = textField(e.target); if (f) clipboard.copy(f, true); }],
    ["paste", (e) => { e.preventDefault(); const f = textField(e.target); if (f) clipboard.paste(f); }],
  ];
  for (const [name, h] of handlers) doc.addEventListener(name, h, { capture: true, passive: false });
  return () => {
    for (const [name, h] of handlers) doc.removeEventListener(name, h, opts);
  };
}
