// Which parameters a node's `with` block reads, found by walking its expressions.
import type { Expr, WithTemplate } from '../pipeline/types.js';

export function paramsRead(template: WithTemplate): string[] {
  const found = new Set<string>();
  const visitExpr = (e: Expr): void => {
    switch (e.kind) {
      case 'literal':
        return;
      case 'ref':
        if (e.path[0] === 'params' && e.path[1] !== undefined) found.add(e.path[1]);
        return;
      case 'unary':
        visitExpr(e.arg);
        return;
      case 'binary':
        visitExpr(e.left);
        visitExpr(e.right);
        return;
      case 'call':
        e.args.forEach(visitExpr);
        return;
    }
  };
  const visit = (t: WithTemplate): void => {
    switch (t.kind) {
      case 'literal':
        return;
      case 'interpolated':
        for (const p of t.parts) if (typeof p !== 'string') visitExpr(p);
        return;
      case 'list':
        t.items.forEach(visit);
        return;
      case 'map':
        for (const [, v] of t.entries) visit(v);
        return;
    }
  };
  visit(template);
  return [...found].sort();
}
