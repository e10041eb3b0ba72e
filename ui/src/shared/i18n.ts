import i18next from "i18next";
import type { Lang } from "../generated";
import fr from "./locales/fr.json";
import en from "./locales/en.json";

// The page offers the languages Rust writes its texts and errors in.
export type { Lang };
export const LANGS: readonly Lang[] = ["fr", "en"];
/** Each language by its own name, whatever the screen's language: a reader looks for the name
 * they can read. */
export const LANG_NAMES: Readonly<Record<Lang, string>> = { fr: "Français", en: "English" };

// Resources are bundled: the kiosk loads nothing from outside its own pages.
void i18next.init({
  lng: "fr",
  fallbackLng: "fr",
  resources: { fr: { translation: fr }, en: { translation: en } },
  interpolation: { escapeValue: false }, // lit escapes text bindings itself
  initImmediate: false,
  showSupportNotice: false,
});

export function t(key: string, vars?: Record<string, unknown>): string {
  return i18next.t(key, vars ?? {});
}

export function lang(): Lang {
  return (i18next.language as Lang) ?? "fr";
}

export async function setLang(next: Lang): Promise<void> {
  await i18next.changeLanguage(next);
  document.documentElement.lang = next;
  window.dispatchEvent(new CustomEvent("certroom-lang"));
}
