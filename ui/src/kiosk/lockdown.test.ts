import { describe, expect, it, beforeEach } from "vitest";
import { installLockdown, isBlockedShortcut, KioskClipboard } from "./lockdown";

const key = (k: string, mods: Partial<KeyboardEvent> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });

describe("browser shortcuts", () => {
  it.each([
    ["reload", key("F5")],
    ["reload ctrl", key("r", { ctrlKey: true })],
    ["zoom in", key("+", { ctrlKey: true })],
    ["zoom reset", key("0", { ctrlKey: true })],
    ["find", key("f", { ctrlKey: true })],
    ["print", key("p", { ctrlKey: true })],
    ["back", key("ArrowLeft", { altKey: true })],
    ["close tab", key("w", { ctrlKey: true })],
    ["quit", key("q", { ctrlKey: true })],
    ["devtools", key("I", { ctrlKey: true, shiftKey: true })],
    ["fullscreen toggle", key("F11")],
  ])("blocks %s", (_name, e) => {
    expect(isBlockedShortcut(e, false)).toBe(true);
    expect(isBlockedShortcut(e, true)).toBe(true);
  });

  it("lets the candidate type, and copy or paste inside answer fields", () => {
    expect(isBlockedShortcut(key("a"), true)).toBe(false);
    expect(isBlockedShortcut(key("c", { ctrlKey: true }), true)).toBe(false);
    expect(isBlockedShortcut(key("v", { ctrlKey: true }), true)).toBe(false);
    expect(isBlockedShortcut(key("Backspace"), true)).toBe(false);
  });

  it("blocks copy shortcuts and backspace outside answer fields", () => {
    expect(isBlockedShortcut(key("c", { ctrlKey: true }), false)).toBe(true);
    expect(isBlockedShortcut(key("Backspace"), false)).toBe(true);
  });
});

describe("installed guards", () => {
  let remove: () => void;
  let clipboard: KioskClipboard;
  beforeEach(() => {
    document.body.innerHTML = `<p id="text">Question text</p><input id="a" type="text" value="bonjour le monde"><input id="b" type="text" value="">`;
    clipboard = new KioskClipboard();
    remove?.();
    remove = installLockdown(document, clipboard);
  });

  it("prevents the context menu and reload key", () => {
    const menu = new MouseEvent("contextmenu", { bubbles: true, cancelable: true });
    expect(document.getElementById("text")!.dispatchEvent(menu)).toBe(false);
    const f5 = new KeyboardEvent("keydown", { key: "F5", bubbles: true, cancelable: true });
    expect(document.body.dispatchEvent(f5)).toBe(false);
  });

  it("refuses selection outside answer fields but allows it inside", () => {
    const outside = new Event("selectstart", { bubbles: true, cancelable: true });
    expect(document.getElementById("text")!.dispatchEvent(outside)).toBe(false);
    const inside = new Event("selectstart", { bubbles: true, cancelable: true });
    expect(document.getElementById("a")!.dispatchEvent(inside)).toBe(true);
  });

  it("copies and pastes between fields through the kiosk clipboard only", () => {
    const a = document.getElementById("a") as HTMLInputElement;
    const b = document.getElementById("b") as HTMLInputElement;
    a.setSelectionRange(0, 7);
    const copy = new Event("copy", { bubbles: true, cancelable: true });
    expect(a.dispatchEvent(copy)).toBe(false); // the system clipboard is never written
    expect(clipboard.content).toBe("bonjour");
    b.focus();
    const paste = new Event("paste", { bubbles: true, cancelable: true });
    expect(b.dispatchEvent(paste)).toBe(false); // the system clipboard is never read
    expect(b.value).toBe("bonjour");
  });

  it("cuts text out of the field", () => {
    const a = document.getElementById("a") as HTMLInputElement;
    a.setSelectionRange(7, 16);
    a.dispatchEvent(new Event("cut", { bubbles: true, cancelable: true }));
    expect(a.value).toBe("bonjour");
    expect(clipboard.content).toBe(" le monde");
  });

  it("refuses drops from outside", () => {
    const drop = new Event("drop", { bubbles: true, cancelable: true });
    expect(document.getElementById("b")!.dispatchEvent(drop)).toBe(false);
  });
});
