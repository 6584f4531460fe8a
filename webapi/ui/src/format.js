// Dates, times and durations formatted per locale, in the organisation's time zone.
export const TIME_ZONE = "Asia/Shanghai";

export function formatDateTime(value, language) {
  if (!value) return "";
  return new Intl.DateTimeFormat(language, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: TIME_ZONE,
  }).format(new Date(value));
}

// "3 hours", "2 days": how long since `value`, in the page's language.
export function formatWaiting(value, language, now = Date.now()) {
  if (!value) return "";
  const minutes = Math.max(0, Math.round((now - new Date(value).getTime()) / 60000));
  const format = (amount, unit) =>
    new Intl.NumberFormat(language, { style: "unit", unit, unitDisplay: "long" }).format(amount);
  if (minutes < 60) return format(minutes, "minute");
  if (minutes < 48 * 60) return format(Math.floor(minutes / 60), "hour");
  return format(Math.floor(minutes / 1440), "day");
}
