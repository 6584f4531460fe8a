// The summary's totals and rates as GET /reports/summary gives them: counts, and each rate as a
// percentage with its numerator / denominator and the fraction.
import { useTranslation } from "react-i18next";

export const RATES = ["acceptance_rate", "closure_rate", "on_time_closure_rate", "on_time_closure_rate_original"];
const COUNTS = ["received", "accepted", "closed", "open", "cancelled", "terminated", "closed_no_limit"];

// The API's percentage (rounded by it to one decimal) shown with that one decimal.
export const formatPercent = (percent, language) =>
  percent === null ? "—"
    : `${new Intl.NumberFormat(language, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(percent)}%`;

export function RateText({ rate }) {
  const { t, i18n } = useTranslation();
  if (rate.percent === null) return t("figures.summary.noRate", rate);
  return t("figures.summary.rate", { ...rate, percent: formatPercent(rate.percent, i18n.language) });
}

export default function Totals({ summary }) {
  const { t, i18n } = useTranslation();
  const days = (value) => (value === null ? "—" : t("figures.summary.days", { count: value }));
  return (
    <div className="row g-2 mb-3">
      {COUNTS.map((name) => (
        <div className="col-6 col-md-3 col-xl" key={name}>
          <div className="border rounded p-2 h-100 bg-white" data-testid={`total-${name}`}>
            <div className="small text-muted">{t(`figures.summary.${name}`)}</div>
            <div className="figures-number">{summary[name]}</div>
          </div>
        </div>
      ))}
      {RATES.map((name) => (
        <div className="col-12 col-md-6 col-xl-3" key={name}>
          <div className="border rounded p-2 h-100 bg-white" data-testid={`rate-${name}`}>
            <div className="small text-muted">{t(`figures.summary.${name}`)}</div>
            <div className="figures-number">
              {formatPercent(summary[name].percent, i18n.language)}
            </div>
            <div className="small"><RateText rate={summary[name]} /></div>
          </div>
        </div>
      ))}
      <div className="col-6 col-md-4">
        <div className="border rounded p-2 h-100 bg-white" data-testid="total-handling">
          <div className="small text-muted">{t("figures.summary.handling")}</div>
          <div>{t("figures.summary.median")}: <strong>{days(summary.handling_days_median)}</strong></div>
          <div>{t("figures.summary.p90")}: <strong>{days(summary.handling_days_p90)}</strong></div>
        </div>
      </div>
      <div className="col-6 col-md-4">
        <div className="border rounded p-2 h-100 bg-white" data-testid="total-satisfaction">
          <div className="small text-muted">{t("figures.summary.satisfaction")}</div>
          <div className="figures-number">{summary.satisfaction_average ?? "—"}</div>
          <div className="small">{t("figures.summary.rated", { count: summary.rated })}</div>
        </div>
      </div>
    </div>
  );
}
