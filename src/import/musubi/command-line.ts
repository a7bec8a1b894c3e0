// Reads a musubi-tuner training command as written in a shell script or a README: shell words (quotes,
// `\` line continuations, # comments), the launcher before the script (`accelerate launch … python`) and
// the script's `--option value`, `--option=value` and `--flag` words after it. Every option keeps where it
// was written (line and column), for messages. Nothing is executed and no variable is expanded.
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';

export interface Word {
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

export interface CommandOption {
  /** A bare flag is `true`; several words after one option (nargs) are a list. */
  readonly value: string | true | readonly string[];
  readonly line: number;
  readonly col: number;
}

export interface TrainingCommand {
  /** The script, e.g. src/musubi_tuner/wan_train_network.py. */
  readonly script: Word;
  readonly options: ReadonlyMap<string, CommandOption>;
}

/** Splits the text into commands (one per logical line) of words with their positions. */
export function shellCommands(text: string): Result<Word[][], string> {
  const commands: Word[][] = [];
  let words: Word[] = [];
  let line = 1;
  let col = 1;
  let i = 0;
  const advance = (): string => {
    const ch = text[i++] ?? '';
    if (ch === '\n') {
      line++;
      col = 1;
    } else col++;
    return ch;
  };
  const endCommand = () => {
    if (words.length > 0) commands.push(words);
    words = [];
  };
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (ch === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      advance();
      if (text[i] === '\r') advance();
      advance();
    } else if (ch === '\n' || ch === ';') {
      advance();
      endCommand();
    } else if (ch === ' ' || ch === '\t' || ch === '\r') advance();
    else if (ch === '#') while (i < text.length && text[i] !== '\n') advance();
    else {
      const at = { line, col };
      let word = '';
      while (i < text.length && !/[\s;]/.test(text[i] ?? '')) {
        const c = text[i] ?? '';
        if (c === '\\' && text[i + 1] === '\n') break;
        if (c === '"' || c === "'") {
          advance();
          while (i < text.length && text[i] !== c) {
            if (c === '"' && text[i] === '\\' && text[i + 1] !== undefined) advance();
            word += advance();
          }
          if (i >= text.length) return err(`${at.line}:${at.col}: unterminated ${c} quote`);
          advance();
        } else if (c === '\\') {
          advance();
          word += advance();
        } else word += advance();
      }
      words.push({ text: word, ...at });
    }
  }
  endCommand();
  return ok(commands);
}

/** The training script: a path to …train….py, or the module after `python -m` (musubi_tuner.wan_train_network). */
const TRAIN_SCRIPT = /(^|\/)[a-z0-9_]*train[a-z0-9_]*\.py$|^musubi_tuner\.[a-z0-9_]*train[a-z0-9_]*$/;

/**
 * The training command in `text`: the one logical line that runs a musubi-tuner training script
 * (wan_train_network.py and its siblings). Errors are `line:col: what`.
 */
export function readTrainingCommand(text: string): Result<TrainingCommand, string> {
  const commands = shellCommands(text);
  if (!commands.ok) return commands;
  const training = commands.value.filter((words) => words.some((w) => TRAIN_SCRIPT.test(w.text)));
  if (training.length === 0) {
    return err(
      '1:1: no musubi-tuner training command here (expected a line running wan_train_network.py, with `\\` at the end of continued lines)',
    );
  }
  if (training.length > 1) {
    const second = training[1]?.[0] as Word;
    return err(
      `${second.line}:${second.col}: a second training command; give one command per file (one expert, or both with --dit_high_noise)`,
    );
  }
  const words = training[0] as Word[];
  const at = words.findIndex((w) => TRAIN_SCRIPT.test(w.text));
  const options = new Map<string, CommandOption>();
  let current: { name: string; word: Word; values: string[] } | undefined;
  const flush = () => {
    if (current === undefined) return;
    const { name, word, values } = current;
    const value = values.length === 0 ? true : values.length === 1 ? (values[0] as string) : values;
    options.set(name, { value, line: word.line, col: word.col });
  };
  for (const word of words.slice(at + 1)) {
    if (word.text.startsWith('--')) {
      flush();
      const eq = word.text.indexOf('=');
      const name = word.text.slice(2, eq > 0 ? eq : undefined);
      if (name === '') return err(`${word.line}:${word.col}: expected an option name after --`);
      if (options.has(name)) return err(`${word.line}:${word.col}: --${name} is given twice`);
      current = { name, word, values: eq > 0 ? [word.text.slice(eq + 1)] : [] };
    } else if (current === undefined) {
      return err(`${word.line}:${word.col}: expected an --option after the script, got "${word.text}"`);
    } else current.values.push(word.text);
  }
  flush();
  return ok({ script: words[at] as Word, options });
}
