/**
 * The dense linear algebra the tiny VAE fit needs, on row-major Float64Arrays: symmetric eigen-
 * decomposition (cyclic Jacobi) and a ridge-regularised least-squares solve (Cholesky). Sizes are a few
 * dozen, so clarity wins over speed.
 */

/**
 * Eigenvalues (descending) and eigenvectors (columns of `vectors`, n × n row-major) of a symmetric
 * matrix. Cyclic Jacobi rotations until the off-diagonal mass is negligible. Each eigenvector's sign is
 * fixed (largest-magnitude component positive) so the result is unique.
 */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const at = (i: number, j: number) => m[i * n + j] ?? 0;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += at(i, j) ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = at(p, q);
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (at(q, q) - at(p, p)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = at(k, p);
          const mkq = at(k, q);
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = at(p, k);
          const mqk = at(q, k);
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p] ?? 0;
          const vkq = v[k * n + q] ?? 0;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => at(y, y) - at(x, x) || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = at(src, src);
    let big = 0;
    for (let k = 0; k < n; k++) if (Math.abs(v[k * n + src] ?? 0) > Math.abs(big)) big = v[k * n + src] ?? 0;
    const sign = big < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[k * n + dst] = sign * (v[k * n + src] ?? 0);
  });
  return { values, vectors };
}

/**
 * Solves (XᵀX + λI) W = XᵀY for W (d × k) given the accumulated Gram matrix G = XᵀX (d × d) and
 * XᵀY (d × k), by Cholesky factorisation. λ keeps the system positive definite.
 */
export function ridgeSolve(
  gram: Float64Array,
  xty: Float64Array,
  d: number,
  k: number,
  lambda: number,
): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = (gram[i * d + j] ?? 0) + (i === j ? lambda : 0);
      for (let p = 0; p < j; p++) sum -= (l[i * d + p] ?? 0) * (l[j * d + p] ?? 0);
      if (i === j) {
        if (sum <= 0) throw new Error('ridgeSolve: matrix is not positive definite');
        l[i * d + i] = Math.sqrt(sum);
      } else l[i * d + j] = sum / (l[j * d + j] ?? 1);
    }
  }
  const w = new Float64Array(d * k);
  for (let col = 0; col < k; col++) {
    const y = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let sum = xty[i * k + col] ?? 0;
      for (let p = 0; p < i; p++) sum -= (l[i * d + p] ?? 0) * (y[p] ?? 0);
      y[i] = sum / (l[i * d + i] ?? 1);
    }
    for (let i = d - 1; i >= 0; i--) {
      let sum = y[i] ?? 0;
      for (let p = i + 1; p < d; p++) sum -= (l[p * d + i] ?? 0) * (w[p * k + col] ?? 0);
      w[i * k + col] = sum / (l[i * d + i] ?? 1);
    }
  }
  return w;
}
