// The language switch (zh-CN / English); the choice is remembered in localStorage.
import { useTranslation } from "react-i18next";
import { LANGUAGES, setLanguage } from "../i18n.js";

export default function LanguageSwitch({ className = "" }) {
  const { t, i18n } = useTranslation();
  return (
    <div className={`btn-group btn-group-sm ${className}`} role="group" aria-label={t("nav.language")}>
      {LANGUAGES.map((language) => (
        <button
          key={language}
          type="button"
          lang={language}
          className={`btn ${i18n.language === language ? "btn-light" : "btn-outline-light"}`}
          aria-pressed={i18n.language === language}
          data-language={language}
          onClick={() => setLanguage(language)}
        >
          {t(`language.${language}`)}
        </button>
      ))}
    </div>
  );
}
