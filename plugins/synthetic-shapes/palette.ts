// The vocabulary of the synthetic scenes: a few well-separated colours and simple shapes, few enough that a
// tiny model can learn every word, distinct enough that a classical classifier can read them back.

export type Rgb = readonly [number, number, number];

/** Six colours, pairwise at least ~170 apart in RGB, so neither the model nor the scorer confuses them. */
export const COLOURS = {
  red: [220, 40, 40],
  green: [40, 170, 60],
  blue: [40, 80, 220],
  yellow: [240, 210, 40],
  white: [245, 245, 245],
  black: [20, 20, 20],
} as const satisfies Record<string, Rgb>;

export type ColourName = keyof typeof COLOURS;
export const COLOUR_NAMES = Object.keys(COLOURS) as ColourName[];

export const SHAPE_NAMES = ['circle', 'square', 'triangle', 'cross'] as const;
export type ShapeName = (typeof SHAPE_NAMES)[number];

/** One scene combination: a shape in one colour on a background of another. */
export interface Combo {
  readonly shape: ShapeName;
  readonly colour: ColourName;
  readonly background: ColourName;
}

/** "a red circle on a blue background". */
export function caption(c: Combo): string {
  return `a ${c.colour} ${c.shape} on a ${c.background} background`;
}

/** Every word a caption or evaluation prompt uses: what a tiny text encoder's vocabulary must cover. */
export const VOCABULARY: readonly string[] = ['a', 'on', 'background', ...COLOUR_NAMES, ...SHAPE_NAMES];

/** The words a data set draws its scenes from: a subset of the palette's colours and of the shapes. */
export interface Vocabulary {
  readonly colours: readonly ColourName[];
  readonly shapes: readonly ShapeName[];
}

/** Every colour and every shape. */
export const FULL_VOCABULARY: Vocabulary = { colours: COLOUR_NAMES, shapes: SHAPE_NAMES };

/**
 * All shape × colour × background combinations with colour ≠ background, in a fixed order (the
 * palette's order, whatever order `vocabulary` lists its words in).
 */
export function allCombos(vocabulary: Vocabulary = FULL_VOCABULARY): Combo[] {
  const shapes = SHAPE_NAMES.filter((s) => vocabulary.shapes.includes(s));
  const colours = COLOUR_NAMES.filter((c) => vocabulary.colours.includes(c));
  const out: Combo[] = [];
  for (const shape of shapes) {
    for (const colour of colours) {
      for (const background of colours) if (background !== colour) out.push({ shape, colour, background });
    }
  }
  return out;
}

export function isColour(word: string): word is ColourName {
  return Object.hasOwn(COLOURS, word);
}

export function isShape(word: string): word is ShapeName {
  return (SHAPE_NAMES as readonly string[]).includes(word);
}

/** The palette colour nearest to `rgb` (squared Euclidean distance in RGB). */
export function nearestColour(rgb: Rgb): ColourName {
  let best: ColourName = 'black';
  let bestD = Infinity;
  for (const name of COLOUR_NAMES) {
    const [r, g, b] = COLOURS[name];
    const d = (rgb[0] - r) ** 2 + (rgb[1] - g) ** 2 + (rgb[2] - b) ** 2;
    if (d < bestD) {
      bestD = d;
      best = name;
    }
  }
  return best;
}
