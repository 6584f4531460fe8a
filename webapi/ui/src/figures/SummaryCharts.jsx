// The summary's charts: cases per month, the rates, handling days per department and per category,
// and satisfaction per department; every bar is a number of GET /reports/summary.
import { useTranslation } from "react-i18next";
import BarChart from "./BarChart.jsx";
import { RATES, formatPercent } from "./Totals.jsx";

export default function SummaryCharts({ summary, deptName }) {
  const { t, i18n } = useTranslation();
  const catName = (key) => (key ? t(`figures.category.${key}`, key) : t("figures.none"));
  const months = summary.by_month;
  const handling = (rows, name) => ({
    labels: rows.map((r) => name(r.key)),
    series: [
      { label: t("figures.summary.median"), data: rows.map((r) => r.handling_days_median) },
      { label: t("figures.summary.p90"), data: rows.map((r) => r.handling_days_p90) },
    ],
  });
  const charts = [
    { id: "months", title: t("figures.chart.months"), keyLabel: t("figures.chart.month"),
      labels: months.map((m) => m.month),
      series: [
        { label: t("figures.summary.received"), data: months.map((m) => m.received) },
        { label: t("figures.summary.closed"), data: months.map((m) => m.closed) },
      ] },
    { id: "rates", title: t("figures.chart.rates"), keyLabel: t("figures.chart.rate"),
      labels: RATES.map((name) => t(`figures.summary.${name}`)),
      series: [{ label: t("figures.chart.percent"), data: RATES.map((name) => summary[name].percent) }],
      format: (v) => formatPercent(v, i18n.language) },
    { id: "handling-department", title: t("figures.chart.handlingDepartment"), keyLabel: t("figures.col.department"),
      ...handling(summary.by_department, deptName) },
    { id: "handling-category", title: t("figures.chart.handlingCategory"), keyLabel: t("figures.col.category"),
      ...handling(summary.by_category, catName) },
    { id: "satisfaction", title: t("figures.chart.satisfaction"), keyLabel: t("figures.col.department"),
      labels: summary.by_department.map((r) => deptName(r.key)),
      series: [
        { label: t("figures.summary.satisfaction"), data: summary.by_department.map((r) => r.satisfaction_average) },
        { label: t("figures.chart.rated"), data: summary.by_department.map((r) => r.rated) },
      ] },
  ];
  return (
    <div className="row g-3 mb-3">
      {charts.map((chart) => (
        <div className="col-12 col-lg-6" key={chart.id}>
          <BarChart {...chart} />
        </div>
      ))}
    </div>
  );
}
