/**
 * The text assembler: NASM-like Intel syntax to flat binary.
 *
 *   label:  .local:  name equ expr   db/dw/dd items   times N stmt   align N[, fill]   bits 16|32   org N
 *
 * Lines are parsed once into statements; then passes lay them out with the label values of the previous
 * pass until nothing moves (sizes only grow, see encoder.ts), and the stable pass reports its errors.
 */
import { encodeInstruction, type Instruction, type Value } from './encoder.js';
import { type EvalContext, type Expr, evaluate, isConstant, parseExpr } from './expr.js';
import { FORMS, PREFIX_BYTES } from './forms.js';
import { AsmError, Tok, TokenStream, tokenize } from './lexer.js';
import { parseOperand } from './operands.js';
import { REGISTERS } from './registers.js';

export interface AssembleOptions {
  /** Address of the first byte (as `org`); default 0. */
  origin?: number;
  /** Code size at the start; default 16. */
  bits?: 16 | 32;
}

export interface AssembleResult {
  bytes: Uint8Array;
  /** Every label and `equ` constant by full name (local labels as `global.local`). */
  labels: Record<string, number>;
}

type Body =
  | { k: 'none' }
  | { k: 'insn'; insn: Instruction }
  | { k: 'data'; unit: 1 | 2 | 4; items: (Expr | string)[] }
  | { k: 'align'; to: Expr; fill: Expr | undefined }
  | { k: 'equ'; name: string; value: Expr }
  | { k: 'bits'; bits: 16 | 32 }
  | { k: 'times'; count: Expr; body: Body };

interface Statement {
  line: number;
  label: string | undefined;
  body: Body;
}

const MAX_PASSES = 64;
/** Larger output is a mistake (a runaway `times` or `align`), not a program. */
const MAX_OUTPUT = 64 * 1024 * 1024;
const DATA_UNITS: Record<string, 1 | 2 | 4> = { db: 1, dw: 2, dd: 4 };
const DIRECTIVES = new Set(['db', 'dw', 'dd', 'times', 'align', 'equ', 'bits', 'org']);

export function assemble(source: string, opts: AssembleOptions = {}): AssembleResult {
  let origin = opts.origin ?? 0;
  const statements = parse(source, (o) => (origin = o));
  return layout(statements, origin, opts.bits ?? 16);
}

function parse(source: string, setOrigin: (origin: number) => void): Statement[] {
  const statements: Statement[] = [];
  const defined = new Set<string>();
  let scope = '';
  const resolve = (name: string) => (name.startsWith('.') && !name.startsWith('..') ? scope + name : name);
  const define = (name: string) => {
    if (REGISTERS.has(name.toLowerCase())) throw new AsmError(`'${name}' is a register, not a label`);
    const full = resolve(name);
    if (defined.has(full)) throw new AsmError(`label '${full}' is defined twice`);
    defined.add(full);
    if (!name.startsWith('.')) scope = name;
    return full;
  };
  source.split('\n').forEach((text, i) => {
    const line = i + 1;
    try {
      const ts = new TokenStream(tokenize(text));
      if (ts.atEnd()) return;
      let label: string | undefined;
      const first = ts.peek();
      if (first.kind === Tok.Ident && ts.isPunct(':', 1) && !REGISTERS.has(first.text.toLowerCase())) {
        label = define(first.text);
        ts.pos += 2;
      } else if (first.kind === Tok.Ident && ts.isWord('equ', 1)) {
        const name = define(first.text);
        ts.pos += 2;
        statements.push({ line, label: undefined, body: { k: 'equ', name, value: parseExpr(ts, resolve) } });
        expectEnd(ts);
        return;
      } else if (first.kind === Tok.Ident && isDataWord(ts, 1) && !isKeyword(first.text)) {
        label = define(first.text);
        ts.pos += 1;
      }
      if (ts.isWord('org')) {
        ts.next();
        if (statements.length || label) throw new AsmError('org must come before any code or data');
        setOrigin(evaluate(parseExpr(ts, resolve), { lookup: () => undefined, here: 0, origin: 0, unknown: false }));
        expectEnd(ts);
        return;
      }
      const body = ts.atEnd() ? ({ k: 'none' } as const) : parseBody(ts, resolve);
      expectEnd(ts);
      statements.push({ line, label, body });
    } catch (e) {
      throw e instanceof AsmError ? e.atLine(line) : e;
    }
  });
  return statements;
}

function isDataWord(ts: TokenStream, offset: number): boolean {
  const t = ts.peek(offset);
  return t.kind === Tok.Ident && ['db', 'dw', 'dd', 'times'].includes(t.text.toLowerCase());
}

function isKeyword(word: string): boolean {
  const w = word.toLowerCase();
  return FORMS.has(w) || PREFIX_BYTES.has(w) || DIRECTIVES.has(w) || REGISTERS.has(w);
}

function expectEnd(ts: TokenStream): void {
  if (!ts.atEnd()) throw new AsmError(`unexpected text ${ts.describeNext()}`);
}

function parseBody(ts: TokenStream, resolve: (n: string) => string): Body {
  const t = ts.peek();
  if (t.kind !== Tok.Ident) throw new AsmError(`expected an instruction or directive ${ts.describeNext()}`);
  const word = t.text.toLowerCase();
  if (word in DATA_UNITS) {
    ts.next();
    const items: (Expr | string)[] = [];
    do {
      const s = ts.peek();
      // A string alone is data bytes; a string inside an expression ('a'+1) is a number.
      if (s.kind === Tok.String && (ts.isPunct(',', 1) || ts.peek(1).kind === Tok.End)) {
        ts.next();
        items.push(s.text);
      } else items.push(parseExpr(ts, resolve));
    } while (ts.eatPunct(','));
    return { k: 'data', unit: DATA_UNITS[word], items };
  }
  if (word === 'times') {
    ts.next();
    const count = parseExpr(ts, resolve);
    return { k: 'times', count, body: parseBody(ts, resolve) };
  }
  if (word === 'align') {
    ts.next();
    const to = parseExpr(ts, resolve);
    const fill = ts.eatPunct(',') ? parseExpr(ts, resolve) : undefined;
    return { k: 'align', to, fill };
  }
  if (word === 'bits') {
    ts.next();
    const n = ts.next();
    if (n.kind !== Tok.Number || (n.value !== 16 && n.value !== 32)) throw new AsmError('bits must be 16 or 32');
    return { k: 'bits', bits: n.value };
  }
  return { k: 'insn', insn: parseInstruction(ts, resolve) };
}

function parseInstruction(ts: TokenStream, resolve: (n: string) => string): Instruction {
  const insn: Instruction = { mnemonic: '', prefixes: [], osize: 0, asize: 0, operands: [], rejected: new Set(), dispMin: 0 };
  for (;;) {
    const t = ts.next();
    if (t.kind !== Tok.Ident) throw new AsmError(`expected an instruction ${ts.describeNext()}`);
    const word = t.text.toLowerCase();
    const prefix = PREFIX_BYTES.get(word);
    const more = ts.peek().kind === Tok.Ident;
    if (prefix !== undefined && (more || !REGISTERS.has(word))) {
      insn.prefixes.push(prefix);
      if (ts.atEnd()) return { ...insn, mnemonic: '' };
      continue;
    }
    if (word === 'o16' || word === 'o32') insn.osize = word === 'o16' ? 16 : 32;
    else if (word === 'a16' || word === 'a32') insn.asize = word === 'a16' ? 16 : 32;
    else {
      if (!FORMS.has(word)) throw new AsmError(`unknown instruction '${t.text}'`);
      insn.mnemonic = word;
      break;
    }
  }
  if (!ts.atEnd()) {
    do insn.operands.push(parseOperand(ts, resolve));
    while (ts.eatPunct(','));
  }
  return insn;
}

/** Output bytes of one pass. */
class Output {
  bytes = new Uint8Array(4096);
  length = 0;
  push(b: number): void {
    if (this.length === this.bytes.length) {
      if (this.length >= MAX_OUTPUT) throw new AsmError(`output would exceed ${MAX_OUTPUT / (1024 * 1024)} MiB`);
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = b;
  }
  pushAll(list: ArrayLike<number>): void {
    for (let i = 0; i < list.length; i++) this.push(list[i]);
  }
}

function layout(statements: Statement[], origin: number, startBits: 16 | 32): AssembleResult {
  let previous = new Map<string, number>();
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const current = new Map<string, number>();
    const errors: AsmError[] = [];
    const out = new Output();
    let bits = startBits;
    let grew = false;
    let unknown = false;
    let line = 0;
    const lookup = (name: string) => current.get(name) ?? previous.get(name);
    const ctx: EvalContext = { lookup, here: 0, origin, unknown: false };
    const value = (e: Expr): Value => {
      ctx.unknown = false;
      ctx.unknownName = undefined;
      const v = evaluate(e, ctx);
      if (ctx.unknown) {
        unknown = true;
        if (pass > 0 && !defined(ctx.unknownName!)) errors.push(new AsmError(`undefined symbol '${ctx.unknownName}'`).atLine(line));
      }
      return { v, known: !ctx.unknown };
    };
    // Symbols exist once any pass has defined them.
    const defined = (name: string) => current.has(name) || previous.has(name);
    const range = (msg: string): void => void errors.push(new AsmError(msg).atLine(line));

    const emit = (body: Body): void => {
      ctx.here = origin + out.length;
      switch (body.k) {
        case 'none':
          return;
        case 'bits':
          bits = body.bits;
          return;
        case 'equ':
          current.set(body.name, value(body.value).v);
          return;
        case 'align': {
          const to = value(body.to).v;
          if (to <= 0 || (to & (to - 1)) !== 0) return range(`align ${to} is not a power of two`);
          const fill = body.fill ? value(body.fill).v : 0x90;
          while ((origin + out.length) % to) out.push(fill);
          return;
        }
        case 'data':
          for (const item of body.items) {
            if (typeof item === 'string') {
              const padded = Math.ceil(item.length / body.unit) * body.unit;
              for (let i = 0; i < padded; i++) out.push(i < item.length ? item.charCodeAt(i) & 0xff : 0);
            } else {
              const v = value(item).v;
              const limit = 2 ** (8 * body.unit);
              if (v < -limit / 2 || v >= limit) range(`value ${v} does not fit in ${body.unit * 8} bits`);
              for (let i = 0; i < body.unit; i++) out.push(Math.floor(v / 2 ** (8 * i)) & 0xff);
            }
          }
          return;
        case 'times': {
          const count = value(body.count).v;
          if (count < 0) return range(`times count ${count} is negative (the code before it is too long?)`);
          const start = out.length;
          if (count > 0) emit(body.body);
          const once = out.bytes.slice(start, out.length);
          if (repeatable(body.body)) for (let i = 1; i < count; i++) out.pushAll(once);
          else for (let i = 1; i < count; i++) emit(body.body);
          return;
        }
        case 'insn': {
          if (!body.insn.mnemonic) return out.pushAll(body.insn.prefixes);
          const r = encodeInstruction(body.insn, bits, ctx.here, value);
          grew ||= r.grew;
          if (r.rangeError) range(r.rangeError);
          out.pushAll(r.bytes);
          return;
        }
      }
    };

    for (const st of statements) {
      line = st.line;
      try {
        if (st.label) current.set(st.label, origin + out.length);
        emit(st.body);
      } catch (e) {
        if (!(e instanceof AsmError)) throw e;
        throw e.atLine(st.line);
      }
    }
    const stable = !grew && sameValues(current, previous) && (pass > 0 || !unknown);
    if (stable) {
      if (errors.length) throw errors[0];
      return { bytes: out.bytes.slice(0, out.length), labels: Object.fromEntries(current) };
    }
    previous = current;
  }
  throw new AsmError(`labels did not settle after ${MAX_PASSES} passes`);
}

/** Data made only of constants gives the same bytes every time: repeat them instead of re-encoding. */
function repeatable(body: Body): boolean {
  return body.k === 'data' && body.items.every((item) => typeof item === 'string' || isConstant(item));
}

function sameValues(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
