// The signed-in user's inbox tasks (open tasks of their departments and the tasks they claimed), polled
// every POLL_MS by ONE poller shared by every component that shows them (the inbox and its counts in
// the navigation), with the counts per status.
import { useEffect, useState } from "react";
import { get, getPage } from "../api.js";

export const POLL_MS = 10000;
export const OPEN_LIMIT = 200; // open tasks fetched, due first; more are announced, not silently dropped
const EMPTY = { rows: null, failed: false, openShown: 0, openTotal: 0, openCapped: false };
const listeners = new Set();
let state = EMPTY;
let timer = null;
let owner = null; // the user the rows belong to

function byDue(a, b) {
  if (!a.due_at && !b.due_at) return (a.created_at || "").localeCompare(b.created_at || "");
  if (!a.due_at) return 1;
  if (!b.due_at) return -1;
  return a.due_at.localeCompare(b.due_at);
}

function publish(next) {
  state = next;
  for (const listener of listeners) listener(state);
}

async function refresh(user) {
  try {
    const [openPage, mine] = await Promise.all([
      getPage(`/tasks?state=open&page_size=${OPEN_LIMIT}&sort=due_at`),
      get("/tasks?state=claimed&assignee=me&page_size=200&sort=due_at"),
    ]);
    const open = openPage.items;
    const mineIds = new Set(mine.map((task) => task.id));
    const rows = [...open.filter((task) => user.departments.includes(task.department)), ...mine]
      .filter((task) => task.kind !== "escalation")
      .map((task) => ({ ...task, mine: mineIds.has(task.id) }))
      .sort(byDue);
    if (owner === user.id) {
      publish({ rows, failed: false, openShown: open.length, openTotal: openPage.total, openCapped: openPage.capped });
    }
  } catch {
    if (owner === user.id) publish({ ...state, failed: true });
  }
}

function start(user) {
  owner = user.id;
  refresh(user);
  timer = window.setInterval(() => refresh(user), POLL_MS);
}

function stop() {
  window.clearInterval(timer);
  timer = null;
  owner = null;
  state = EMPTY;
}

// {rows, failed, openShown, openTotal, openCapped, refresh}: rows is null until the first answer; openTotal is the
// server's count of the open tasks (openCapped: at least that many), of which openShown were fetched.
export function useInboxTasks(user) {
  const [current, setCurrent] = useState(owner === user.id ? state : EMPTY);
  useEffect(() => {
    if (owner !== user.id) {
      if (timer !== null) stop();
      start(user);
    }
    listeners.add(setCurrent);
    setCurrent(state);
    return () => {
      listeners.delete(setCurrent);
      if (listeners.size === 0) stop();
    };
  }, [user]);
  return { ...current, refresh: () => refresh(user) };
}

// How many rows per status: all, open, mine (claimed by me), due_soon, overdue.
export function countTasks(rows) {
  const all = rows || [];
  return {
    all: all.length,
    open: all.filter((r) => r.state === "open").length,
    mine: all.filter((r) => r.mine).length,
    due_soon: all.filter((r) => r.due_status === "due_soon").length,
    overdue: all.filter((r) => r.due_status === "overdue").length,
  };
}
