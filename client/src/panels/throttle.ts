// Live panels redraw at most a few times a second however often files change. Pure, for tests.

export interface Throttled {
  (): void;
  cancel(): void;
}

/**
 * `fn` at most once per `ms`: a call when idle runs at once; calls during the pause that follows
 * run once, at its end (so the last change is never lost).
 */
export function throttle(fn: () => void, ms: number): Throttled {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending = false;
  // The pause starts before fn runs: a call from inside fn (fn fires an event that calls back) waits too.
  const pause = () => {
    timer = setTimeout(() => {
      timer = undefined;
      if (pending) { pending = false; pause(); fn(); }
    }, ms);
  };
  const call = () => {
    if (timer) { pending = true; return; }
    pause();
    fn();
  };
  call.cancel = () => { clearTimeout(timer); timer = undefined; pending = false; };
  return call;
}
