/**
 * Constant expressions of the assembler: C-like precedence over 32-bit values, with labels, `$` (the
 * current statement's address) and `$$` (the origin). Inside memory operands, register names are
 * leaves too (`[bx+si+label*2]`); `linearize` splits such a tree into registers and a constant part.
 */
import { AsmError, Tok, TokenStream, stringValue } from './lexer.js';
import { REGISTERS, type Register } from './registers.js';

export type Expr =
  | { k: 'num'; v: number }
  | { k: 'sym'; name: string }
  | { k: 'here' }
  | { k: 'origin' }
  | { k: 'reg'; reg: Register }
  | { k: 'un'; op: string; a: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr };

/** What evaluation needs from the assembler. */
export interface EvalContext {
  /** A symbol's value, or undefined when it is not (yet) known. */
  lookup(name: string): number | undefined;
  here: number;
  origin: number;
  /** Set to true by evaluate() when an unknown symbol was met (its value was taken as 0). */
  unknown: boolean;
  /** The first unknown symbol met, for the final pass's error. */
  unknownName?: string;
}

/** Turns a name as written into its full name (local `.x` labels hang under the last global label). */
export type NameResolver = (name: string) => string;

/** Deeper nesting than this is not a real program; stop before the JS stack does. */
const MAX_NESTING = 64;

const BINARY_LEVELS: readonly (readonly string[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

export function parseExpr(ts: TokenStream, resolve: NameResolver, allowRegisters = false): Expr {
  return parseLevel(ts, resolve, allowRegisters, 0);
}

function parseLevel(ts: TokenStream, resolve: NameResolver, regs: boolean, level: number): Expr {
  if (level === BINARY_LEVELS.length) return parseUnary(ts, resolve, regs);
  let left = parseLevel(ts, resolve, regs, level + 1);
  for (;;) {
    const t = ts.peek();
    if (t.kind !== Tok.Punct || !BINARY_LEVELS[level].includes(t.text)) return left;
    ts.next();
    const right = parseLevel(ts, resolve, regs, level + 1);
    left = { k: 'bin', op: t.text, a: left, b: right };
  }
}

function parseUnary(ts: TokenStream, resolve: NameResolver, regs: boolean): Expr {
  const t = ts.peek();
  if (t.kind === Tok.Punct && (t.text === '-' || t.text === '+' || t.text === '~')) {
    ts.next();
    if (++ts.depth > MAX_NESTING) throw new AsmError('expression nested too deeply');
    const a = parseUnary(ts, resolve, regs);
    ts.depth--;
    return t.text === '+' ? a : { k: 'un', op: t.text, a };
  }
  return parsePrimary(ts, resolve, regs);
}

function parsePrimary(ts: TokenStream, resolve: NameResolver, regs: boolean): Expr {
  const t = ts.next();
  switch (t.kind) {
    case Tok.Number:
      return { k: 'num', v: t.value };
    case Tok.String:
      return { k: 'num', v: stringValue(t.text) };
    case Tok.Ident: {
      const reg = REGISTERS.get(t.text.toLowerCase());
      if (reg) {
        if (regs && (reg.kind === 'r16' || reg.kind === 'r32')) return { k: 'reg', reg };
        throw new AsmError(`register ${t.text} cannot be used in this expression`);
      }
      return { k: 'sym', name: resolve(t.text) };
    }
    case Tok.Punct:
      if (t.text === '$') return { k: 'here' };
      if (t.text === '$$') return { k: 'origin' };
      if (t.text === '(') {
        if (++ts.depth > MAX_NESTING) throw new AsmError('expression nested too deeply');
        const e = parseLevel(ts, resolve, regs, 0);
        ts.expectPunct(')');
        ts.depth--;
        return e;
      }
      break;
    default:
      break;
  }
  ts.pos--;
  throw new AsmError(`expected a value ${ts.describeNext()}`);
}

/** Evaluates a constant expression. Unknown symbols count as 0 and set ctx.unknown. */
export function evaluate(e: Expr, ctx: EvalContext): number {
  switch (e.k) {
    case 'num':
      return e.v;
    case 'here':
      return ctx.here;
    case 'origin':
      return ctx.origin;
    case 'sym': {
      const v = ctx.lookup(e.name);
      if (v !== undefined) return v;
      ctx.unknown = true;
      ctx.unknownName ??= e.name;
      return 0;
    }
    case 'reg':
      throw new AsmError(`register ${e.reg.name} is only allowed inside [ ]`);
    case 'un': {
      const a = evaluate(e.a, ctx);
      return e.op === '-' ? -a : ~a;
    }
    case 'bin': {
      const a = evaluate(e.a, ctx);
      const b = evaluate(e.b, ctx);
      switch (e.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
        case '%':
          if (b === 0) {
            if (ctx.unknown) return 0; // a forward reference still counted as 0: decided in a later pass
            throw new AsmError('division by zero');
          }
          return e.op === '/' ? Math.trunc(a / b) : a % b;
        case '<<':
          return b >= 32 ? 0 : (a << b) >>> 0;
        case '>>':
          return b >= 32 ? 0 : Math.floor(a / 2 ** b);
        case '&':
          return (a & b) >>> 0;
        case '|':
          return (a | b) >>> 0;
        case '^':
          return (a ^ b) >>> 0;
      }
    }
  }
  throw new AsmError('bad expression');
}

/** True when the expression names no symbol and no `$`: its value never changes between passes. */
export function isConstant(e: Expr): boolean {
  switch (e.k) {
    case 'num':
      return true;
    case 'un':
      return isConstant(e.a);
    case 'bin':
      return isConstant(e.a) && isConstant(e.b);
    default:
      return false;
  }
}

/** A memory operand's address as written: registers with scale factors plus a constant part. */
export interface LinearAddress {
  regs: { reg: Register; scale: number }[];
  /** The constant part (displacement), or undefined when there is none. */
  disp: Expr | undefined;
}

/** Splits `[bx+si+8]`, `[eax*4+ebx-label]` into registers and displacement; rejects what no ModRM can express. */
export function linearize(e: Expr): LinearAddress {
  const out: LinearAddress = { regs: [], disp: undefined };
  const addConst = (c: Expr, sign: number) => {
    const term: Expr = sign < 0 ? { k: 'un', op: '-', a: c } : c;
    out.disp = out.disp ? { k: 'bin', op: '+', a: out.disp, b: term } : term;
  };
  const walk = (node: Expr, sign: number) => {
    if (!hasRegister(node)) return addConst(node, sign);
    if (node.k === 'reg') {
      if (sign < 0) throw new AsmError(`a register cannot be subtracted in an address (${node.reg.name})`);
      return void out.regs.push({ reg: node.reg, scale: 1 });
    }
    if (node.k === 'bin' && (node.op === '+' || node.op === '-')) {
      walk(node.a, sign);
      walk(node.b, node.op === '-' ? -sign : sign);
      return;
    }
    if (node.k === 'bin' && node.op === '*') {
      const [reg, factor] = node.a.k === 'reg' ? [node.a, node.b] : [node.b, node.a];
      if (reg.k === 'reg' && !hasRegister(factor) && isConstant(factor) && sign > 0) {
        const scale = evaluate(factor, { lookup: () => undefined, here: 0, origin: 0, unknown: false });
        return void out.regs.push({ reg: reg.reg, scale });
      }
    }
    throw new AsmError('this address is not base + index*scale + displacement');
  };
  walk(e, 1);
  return out;
}

function hasRegister(e: Expr): boolean {
  if (e.k === 'reg') return true;
  if (e.k === 'un') return hasRegister(e.a);
  if (e.k === 'bin') return hasRegister(e.a) || hasRegister(e.b);
  return false;
}
