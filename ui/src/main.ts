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
  if (role === "kiosk") afterFirstPaint(reportFirstPaint);
}

function afterFirstPaint(then: (epochMs: number) => void) {
  // Two frames: the first callback runs before the first paint, the second after it.
  requestAnimationFrame(() => requestAnimationFrame(() => then(performance.timeOrigin + performance.now())));
}

/** Cold-start measurement (BENCHMARKS.md): the Rust side records when the kiosk was first painted.
 * Served over plain HTTP (the side-by-side browser run), the page reports to its own origin. */
function reportFirstPaint(epochMs: number) {
  if ("__TAURI_INTERNALS__" in window) {
    void import("./shared/backend").then(({ backend }) => backend.kioskReady(epochMs)).catch(() => {});
  } else if (window.location.protocol === "http:") {
    void fetch(`/__first-paint?t=${Math.round(epochMs)}`, { method: "POST" }).catch(() => {});
  }
}

void boot();
