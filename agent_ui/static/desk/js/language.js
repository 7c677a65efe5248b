// The language menu (desk top bar, login form): the installation's languages, each in its own
// name; choosing one re-renders the screen from the data it holds (no reload) and, for a signed-in
// user, stores the choice (PATCH /api/v1/me).

import { h, replace } from "./dom.js";
import {
  availableLanguages, currentLanguage, languageName, onLanguageChange, setLanguage,
} from "/ui/i18n/i18n.js";

/**
 * Fill a <select> with the languages and switch when it changes.
 * @param {HTMLSelectElement} select
 * @param {(lang: string) => void} chosen called after each switch the user makes
 */
export function languageMenu(select, chosen = () => {}) {
  replace(select, availableLanguages().map((lang) => h("option", { value: lang, lang }, languageName(lang))));
  select.value = currentLanguage();
  select.addEventListener("change", async () => {
    const lang = await setLanguage(select.value);
    chosen(lang);
  });
  onLanguageChange((lang) => { select.value = lang; });
  return select;
}
