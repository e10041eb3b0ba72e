import { defineConfig } from "vite";

// One app, one bundle: the role is chosen by the Rust side through the URL hash.
// No external origin is ever loaded, so the kiosk's navigation filter can allow only the app's own pages.
export default defineConfig({
  clearScreen: false,
  build: {
    target: "safari15",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    globals: true,
    // The design tokens' test reads the stylesheet itself (src/shared/design.test.ts).
    css: { include: [/design\.css/] },
  },
});
