// The signed-in user's inbox counts per status (GET /tasks/inbox-counts: all, open, mine, due_soon, overdue,
// counted by the server), polled every POLL_MS by ONE poller shared by every component that shows them (the
// inbox and the navigation). Each answer bumps ``tick``, so the inbox fetches its page again with it.
import { useEffect, useState } from "react";
import { get } from "../api.js";

export const POLL_MS = 10000;
const EMPTY = { counts: null, failed: false, tick: 0 };
const listeners = new Set();
let state = EMPTY;
let timer = null;
let owner = null; // the user the counts belong to

function publish(next) {
  state = next;
  for (const listener of listeners) listener(state);
}

async function refresh(user) {
  try {
    const counts = await get("/tasks/inbox-counts");
    if (owner === user.id) publish({ counts, failed: false, tick: state.tick + 1 });
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

// {counts, failed, tick, refresh}: counts is null until the first answer ({all, open, mine, due_soon, overdue,
// capped}); tick counts the answers.
export function useInboxCounts(user) {
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
