// A minimal Language Server Protocol client for tests: starts the real yaml-language-server over stdio
// (JSON-RPC with Content-Length framing), answers its configuration requests with settings that keep it
// off the network (no schema store, no Kubernetes CRD store), and exposes the requests a test needs.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Position {
  readonly line: number;
  readonly character: number;
}
export interface Range {
  readonly start: Position;
  readonly end: Position;
}
export interface LspDiagnostic {
  readonly range: Range;
  readonly message: string;
  readonly severity?: number;
  readonly source?: string;
}
export interface CompletionItem {
  readonly label: string;
  readonly insertText?: string;
  readonly documentation?: string | { readonly value: string };
}
export interface Hover {
  readonly contents: { readonly kind: string; readonly value: string } | string;
}

/** The settings a user gets from the README's editor set-up, minus anything that would reach the network. */
export const SETTINGS = {
  validate: true,
  hover: true,
  completion: true,
  schemaStore: { enable: false },
  kubernetesCRDStore: { enable: false },
};

const require = createRequire(import.meta.url);

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class LspClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly diagnostics = new Map<string, LspDiagnostic[][]>();
  private readonly waiters: (() => void)[] = [];
  private stderr = '';
  private exited: Error | undefined;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    child.on('exit', (code, signal) => {
      this.exited = new Error(
        `yaml-language-server exited (${signal ?? `code ${String(code)}`}): ${this.stderr.slice(-2000)}`,
      );
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
      this.wake();
    });
  }

  /** Starts the server and completes the initialize handshake with `root` as the workspace. */
  static async start(root: string): Promise<LspClient> {
    const pkg = require.resolve('yaml-language-server/package.json');
    const bin = join(dirname(pkg), 'bin', 'yaml-language-server');
    const child = spawn(process.execPath, [bin, '--stdio'], { stdio: 'pipe', env: { ...process.env } });
    const client = new LspClient(child);
    const rootUri = pathToFileURL(root).href;
    await client.request('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'moe' }],
      capabilities: {
        workspace: { configuration: true },
        textDocument: {
          completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          publishDiagnostics: {},
        },
      },
    });
    client.notify('initialized', {});
    return client;
  }

  /** A request and its result; an error when the server answers with one or not within `timeoutMs`. */
  request<T = unknown>(method: string, params: unknown, timeoutMs = 60_000): Promise<T> {
    if (this.exited !== undefined) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle =
        <A>(f: (a: A) => void) =>
        (a: A): void => {
          clearTimeout(timer);
          f(a);
        };
      this.pending.set(id, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject) });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  open(uri: string, text: string): void {
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  }

  /** The first diagnostics published for `uri` (the server validates a document once it is opened). */
  async diagnosticsFor(uri: string, timeoutMs: number): Promise<LspDiagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.diagnostics.get(uri);
      if (got !== undefined && got.length > 0) return got[0] ?? [];
      if (this.exited !== undefined) throw this.exited;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no diagnostics for ${uri} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  completion(uri: string, position: Position): Promise<{ items: CompletionItem[] }> {
    return this.request('textDocument/completion', { textDocument: { uri }, position });
  }

  hover(uri: string, position: Position): Promise<Hover | null> {
    return this.request('textDocument/hover', { textDocument: { uri }, position });
  }

  async close(): Promise<void> {
    if (this.exited === undefined) {
      const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      try {
        await this.request('shutdown', null, 5000);
        this.notify('exit', null);
      } catch {
        // already gone
      }
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await done;
      clearTimeout(timer);
    }
  }

  private send(message: object): void {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const length = Number(/Content-Length: *(\d+)/i.exec(header)?.[1]);
      if (!Number.isFinite(length)) throw new Error(`bad LSP header: ${header}`);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.dispatch(JSON.parse(body) as Message);
    }
  }

  private dispatch(message: Message): void {
    if (message.method !== undefined && message.id !== undefined) {
      this.send({ jsonrpc: '2.0', id: message.id, result: this.answer(message.method, message.params) });
      return;
    }
    if (message.method === 'textDocument/publishDiagnostics') {
      const p = message.params as { uri: string; diagnostics: LspDiagnostic[] };
      const list = this.diagnostics.get(p.uri) ?? [];
      list.push(p.diagnostics);
      this.diagnostics.set(p.uri, list);
      this.wake();
      return;
    }
    if (message.id !== undefined && message.method === undefined) {
      const p = this.pending.get(Number(message.id));
      if (p === undefined) return;
      this.pending.delete(Number(message.id));
      if (message.error !== undefined) p.reject(new Error(`LSP error: ${JSON.stringify(message.error)}`));
      else p.resolve(message.result);
    }
  }

  /** Requests from the server: its configuration, capability registration, progress; null otherwise. */
  private answer(method: string, params: unknown): unknown {
    if (method === 'workspace/configuration') {
      const items = (params as { items: { section?: string }[] }).items;
      return items.map((i) => (i.section === 'yaml' ? SETTINGS : null));
    }
    return null;
  }
}

interface Message {
  readonly id?: number | string;
  readonly method?: string;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: unknown;
}
