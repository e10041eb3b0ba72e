import "./shared/display-controls";
import { installLockdown } from "./kiosk/lockdown";

export type Role = "kiosk" | "console" | "office";

/** The Rust side opens `index.html#/<role>`; anything else falls back to the harmless office view. */
export function roleFromHash(hash: string): Role {
  const role = hash.replace(/^#\/?/, "").split("/")[0];
  return role === "kiosk" || role === "console" ? role : "office";
}

async function boot() {
  const role = roleFromHash(window.location.hash);
  const root = document.getElementById("app");
  if (!root) return;
  document.body.dataset.role = role;
  if (role === "kiosk") {
    installLockdown(document);
    await import("./kiosk/kiosk-app");
  } else if (role === "console") {
    await import("./console/console-app");
  } else {
    await import("./office/office-app");
  }
  root.replaceChildren(document.createElement(`${role}-app`));
}

void boot();
