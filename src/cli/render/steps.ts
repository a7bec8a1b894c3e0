// `moe steps`'s list: each step type and its parameters.
import type { StepInfo } from '../../app/step-infos.js';
import { colors } from './format.js';

export function renderSteps(infos: readonly StepInfo[], color: boolean): string {
  const c = colors(color);
  const out: string[] = [];
  for (const s of infos) {
    out.push(
      `${c.bold(s.name)} ${c.dim(`v${s.version}${s.origin === 'built-in' ? '' : ` from ${s.origin}`}`)}  ${s.description}`,
    );
    for (const p of s.params) {
      const def = p.default !== undefined ? c.dim(` (default ${JSON.stringify(p.default)})`) : '';
      out.push(
        `    ${p.name}${p.required ? '' : '?'}: ${p.type}${def}${p.description ? c.dim(`  ${p.description}`) : ''}`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}
