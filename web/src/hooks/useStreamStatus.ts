import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/http';
import { getStreamStatus, type StreamStatus } from '../api/stream';

export interface StreamStatusState {
  /** null until the first answer arrives. */
  status: StreamStatus | null;
  /** performance.now() when the request that produced `status` was sent. */
  requestedAt: number;
  /** Message of the last failed poll; cleared by the next successful one. */
  error: string | null;
}

const initialState: StreamStatusState = { status: null, requestedAt: Number.NEGATIVE_INFINITY, error: null };

/**
 * Polls GET /stream/status every `intervalMs` (the next poll is scheduled when the previous one ends, so
 * requests never pile up). `refresh()` polls at once, e.g. right after start or stop. An answer older than
 * one already applied is dropped, so a slow poll cannot undo a newer state.
 */
export function useStreamStatus(intervalMs = 2000) {
  const [state, setState] = useState<StreamStatusState>(initialState);
  const sent = useRef(0);
  const applied = useRef(0);
  const unmounted = useRef(new AbortController());

  const refresh = useCallback(async () => {
    const sequence = ++sent.current;
    const requestedAt = performance.now();
    try {
      const status = await getStreamStatus(unmounted.current.signal);
      if (sequence < applied.current) return;
      applied.current = sequence;
      setState({ status, requestedAt, error: null });
    } catch (error) {
      if (unmounted.current.signal.aborted || sequence < applied.current) return;
      applied.current = sequence;
      setState((previous) => ({ ...previous, error: errorMessage(error) }));
    }
  }, []);

  useEffect(() => {
    // A fresh controller per mount: StrictMode mounts, unmounts and mounts again in development.
    unmounted.current = new AbortController();
    const controller = unmounted.current;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      await refresh();
      if (!controller.signal.aborted) timer = setTimeout(() => void tick(), intervalMs);
    };
    void tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [refresh, intervalMs]);

  return { ...state, refresh };
}
