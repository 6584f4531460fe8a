// A problem+json answer split for a small form: the messages of the fields it shows, by JSON Pointer,
// and the rest as one message for the form.
export function splitProblem(problem, shown) {
  const byField = {};
  const other = [];
  for (const item of (problem && problem.errors) || []) {
    if (item.field && shown.includes(item.field)) byField[item.field] = item.message;
    else other.push(item.field ? `${item.field}: ${item.message}` : item.message);
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
