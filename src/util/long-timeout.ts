// setTimeout for any delay: Node runs a callback whose delay is over 2^31 − 1 ms (24.8 days) after 1 ms
// instead (with a TimeoutOverflowWarning), so a `timeout: 600h` ended its node at once.

const MAX_DELAY = 2 ** 31 - 1;

export interface LongTimeout {
  clear(): void;
}

/** Calls `fn` after `ms` milliseconds, however many; `clear` cancels it. */
export function longTimeout(fn: () => void, ms: number): LongTimeout {
  let timer: NodeJS.Timeout;
  const arm = (left: number): void => {
    timer = setTimeout(() => (left > MAX_DELAY ? arm(left - MAX_DELAY) : fn()), Math.min(left, MAX_DELAY));
  };
  arm(ms);
  return { clear: () => clearTimeout(timer) };
}
