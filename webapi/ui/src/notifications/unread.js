// The unread count is read by the navigation's badge; the page tells it to look again after marking.
export const UNREAD_CHANGED = "wutong:notifications-read";
export const POLL_MS = 10000;

export function announceRead() {
  window.dispatchEvent(new Event(UNREAD_CHANGED));
}
