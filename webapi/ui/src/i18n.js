// i18next with two catalogues; the choice is remembered in localStorage, else taken from the browser.
import i18next from "i18next";
import { initReactI18next } from "react-i18next";
import zhCN from "./locales/zh-CN.json";
import en from "./locales/en.json";
import { AREAS } from "./areas/index.js";

export const LANGUAGES = ["zh-CN", "en"];
const STORAGE_KEY = "wutong.language";

function initialLanguage() {
  const saved = window.localStorage.getItem(STORAGE_KEY);
  if (LANGUAGES.includes(saved)) return saved;
  const browser = (navigator.languages || [navigator.language || ""]).find(Boolean) || "";
  return browser.toLowerCase().startsWith("en") ? "en" : "zh-CN";
}

export function setLanguage(language) {
  window.localStorage.setItem(STORAGE_KEY, language);
  document.documentElement.lang = language;
  return i18next.changeLanguage(language);
}

// The shell's catalogue with every area's (each area's keys sit under its own top-level key).
function catalogue(shell, language) {
  const merged = { ...shell };
  for (const area of AREAS) Object.assign(merged, area.catalogues[language]);
  return merged;
}

export function initI18n() {
  const lng = initialLanguage();
  document.documentElement.lang = lng;
  return i18next.use(initReactI18next).init({
    resources: {
      "zh-CN": { translation: catalogue(zhCN, "zh-CN") },
      en: { translation: catalogue(en, "en") },
    },
    lng,
    fallbackLng: false,
    interpolation: { escapeValue: false },
    returnNull: false,
  });
}

export default i18next;
