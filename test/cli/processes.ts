// Finding the processes one test started, and only those (other tests and other people's processes run
// beside it): everything moe starts inherits its environment, so a marker variable set on the moe a
// test runs names that test's processes. Linux only (/proc).
import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

/** A fresh marker: `{ MOE_TEST_MARK: <uuid> }` to pass in moe's environment. */
export function newMark(): Record<string, string> {
  return { MOE_TEST_MARK: randomUUID() };
}

/** Live (not zombie) processes whose environment holds the marker, as `pid command`. */
export function markedProcesses(mark: Record<string, string>): string[] {
  const [[key, value]] = Object.entries(mark) as [[string, string]];
  const needle = `${key}=${value}`;
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(needle)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').join(' ').trim();
      found.push(`${name} ${cmd}`);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** Waits up to `ms` for every marked process to end; returns those still running then. */
export async function markedAfter(mark: Record<string, string>, ms: number): Promise<string[]> {
  const until = Date.now() + ms;
  let left = markedProcesses(mark);
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    left = markedProcesses(mark);
  }
  return left;
}
