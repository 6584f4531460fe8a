// The engine's error codes these forms get, said in the page's language (others: the server's words).
export const KNOWN_CODES = ["required", "format", "past", "too_far", "one_of", "unknown_user", "unknown_department",
  "not_a_member"];

// A problem+json answer split for a small form: the messages of the fields it shows, by JSON Pointer,
// and the rest as one message for the form. ``t`` says known codes in the page's language.
export function splitProblem(problem, shown, t) {
  const byField = {};
  const other = [];
  for (const item of (problem && problem.errors) || []) {
    const message = KNOWN_CODES.includes(item.code) ? t(`supervision.error.${item.code}`) : item.message;
    if (item.field && shown.includes(item.field)) byField[item.field] = message;
    else other.push(item.field ? `${item.field}: ${message}` : message);
  }
  return { byField, other };
}

// "2026-03-06T18:00" as typed in Asia/Shanghai (no daylight saving) to ISO 8601 with its zone.
export function shanghaiIso(local) {
  return local ? `${local}:00+08:00` : "";
}

// An instant as a datetime-local value in Asia/Shanghai.
export function shanghaiLocal(instant) {
  return new Date(instant.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 16);
}
