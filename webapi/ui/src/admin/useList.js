// Loading a list from the API once, with a reload after each change.
import { useCallback, useEffect, useState } from "react";
import { get } from "../api.js";

export default function useList(path) {
  const [items, setItems] = useState(null);
  const [failed, setFailed] = useState(false);
  const reload = useCallback(async () => {
    if (!path) return setItems(null);
    try {
      setItems(await get(path));
      setFailed(false);
    } catch {
      setFailed(true);
    }
  }, [path]);
  useEffect(() => {
    reload();
  }, [reload]);
  return { items, failed, reload };
}
