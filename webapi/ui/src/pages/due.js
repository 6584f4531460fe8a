// A task's due status in words (colour is never the only carrier of meaning).
export const DUE_BADGE = { overdue: "bg-danger", due_soon: "bg-warning text-dark", on_time: "bg-success" };

export function dueKey(status) {
  return status ? `due.${status}` : "due.none";
}
