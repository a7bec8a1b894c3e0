// Which scenes the data set holds: a held-out set of combinations for evaluation, the training images
// cycling evenly through the rest, and each image's placement drawn from its own seeded generator.
import { allCombos, caption, FULL_VOCABULARY, type Combo, type Vocabulary } from './palette.js';
import { generator, mix, shuffle } from './random.js';
import { EXTENT, type Scene } from './render.js';

export interface SceneOptions {
  readonly count: number;
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  /** Share of the combinations kept out of training, 0…0.5. */
  readonly evalFraction: number;
  /** The shape's size r as a share of the shorter side (before jitter). */
  readonly size: number;
  /** r shrinks by up to this share, uniformly. */
  readonly sizeJitter: number;
  /** The centre moves by up to this share of the side, uniformly, as far as the shape stays inside. */
  readonly positionJitter: number;
}

const pairKeys = (c: Combo) => [
  `sc:${c.shape}:${c.colour}`,
  `sb:${c.shape}:${c.background}`,
  `cb:${c.colour}:${c.background}`,
];

/**
 * Splits the combinations into training and held-out ones. A combination is held out only while every
 * pair inside it (shape–colour, shape–background, colour–background) still occurs in some training
 * combination: an evaluation prompt is then new as a whole but made of parts the model has seen together.
 * The held-out set is spread out: a pair gives up a second combination only once no combination that
 * leaves every pair at most one down can be found, and so on, so that no pair is left with a single
 * training context while others keep all of theirs (a yellow triangle seen on one background only).
 * `vocabulary` restricts the colours and shapes (all of them by default).
 */
export function holdOut(
  seed: number,
  fraction: number,
  vocabulary: Vocabulary = FULL_VOCABULARY,
): { train: Combo[]; held: Combo[] } {
  const combos = shuffle(allCombos(vocabulary), generator(mix(seed, 0x401d)));
  const wanted = Math.round(Math.min(0.5, Math.max(0, fraction)) * combos.length);
  const uses = new Map<string, number>();
  for (const c of combos) for (const k of pairKeys(c)) uses.set(k, (uses.get(k) ?? 0) + 1);
  const taken = new Map<string, number>();
  const held = new Set<Combo>();
  const most = Math.max(0, ...uses.values());
  for (let allowance = 1; allowance < most && held.size < wanted; allowance++) {
    for (const c of combos) {
      if (held.size >= wanted) break;
      if (held.has(c)) continue;
      const keys = pairKeys(c);
      if (!keys.every((k) => (uses.get(k) ?? 0) > 1 && (taken.get(k) ?? 0) < allowance)) continue;
      held.add(c);
      for (const k of keys) {
        uses.set(k, (uses.get(k) ?? 0) - 1);
        taken.set(k, (taken.get(k) ?? 0) + 1);
      }
    }
  }
  return { train: combos.filter((c) => !held.has(c)), held: combos.filter((c) => held.has(c)) };
}

/** Image `index`'s scene: combinations in a seeded order, cycled, so counts per combination differ by ≤ 1. */
export function sceneAt(index: number, train: readonly Combo[], o: SceneOptions): Scene {
  const combo = train[index % train.length];
  if (!combo) throw new RangeError('no training combinations');
  const rand = generator(mix(o.seed, 0x5ce7e, index));
  const side = Math.min(o.width, o.height);
  const r = side * o.size * (1 - o.sizeJitter * rand());
  const reach = EXTENT * r + 1;
  const place = (extent: number, u: number) => {
    const free = Math.max(0, extent / 2 - reach);
    return extent / 2 + Math.max(-free, Math.min(free, (2 * u - 1) * o.positionJitter * extent));
  };
  return { ...combo, r, cx: place(o.width, rand()), cy: place(o.height, rand()) };
}

/** Captions for evaluation: the held-out combinations, or when none are held out, a seeded sample of all. */
export function evalPrompts(
  seed: number,
  held: readonly Combo[],
  train: readonly Combo[],
  count: number,
): string[] {
  const pool = held.length > 0 ? held : shuffle([...train], generator(mix(seed, 0xe7a1)));
  return pool.slice(0, count).map(caption);
}
