/** Operands as written: registers, immediates (incl. jump targets), far pointers `seg:off`, memory `[...]`. */
import { type Expr, type LinearAddress, type NameResolver, linearize, parseExpr } from './expr.js';
import { AsmError, Tok, type TokenStream } from './lexer.js';
import { REGISTERS, type Register } from './registers.js';

/** Operand size in bytes as written with `byte`/`word`/`dword`; 0 when not written. */
export type SizeHint = 0 | 1 | 2 | 4;
/** `short`, `near` or `far` as written before a jump target or an indirect operand. */
export type Distance = '' | 'short' | 'near' | 'far';

export type Operand =
  | { k: 'reg'; reg: Register }
  | { k: 'imm'; expr: Expr; size: SizeHint; dist: Distance }
  | { k: 'ptr'; seg: Expr; off: Expr; size: SizeHint }
  | { k: 'mem'; size: SizeHint; dist: Distance; seg: Register | undefined; addr: LinearAddress };

const SIZE_WORDS: Record<string, SizeHint> = { byte: 1, word: 2, dword: 4 };

export function parseOperand(ts: TokenStream, resolve: NameResolver): Operand {
  let size: SizeHint = 0;
  let dist: Distance = '';
  for (;;) {
    const word = ts.peek().kind === Tok.Ident ? ts.peek().text.toLowerCase() : '';
    if (word in SIZE_WORDS && !ts.isPunct(':', 1)) {
      ts.next();
      size = SIZE_WORDS[word];
      ts.eatWord('ptr');
    } else if ((word === 'short' || word === 'near' || word === 'far') && !ts.isPunct(':', 1)) {
      ts.next();
      dist = word;
    } else break;
  }
  const t = ts.peek();
  if (ts.isPunct('[')) return parseMemory(ts, resolve, size, dist, undefined);
  if (t.kind === Tok.Ident) {
    const reg = REGISTERS.get(t.text.toLowerCase());
    if (reg) {
      ts.next();
      if (reg.kind === 'sreg' && ts.isPunct(':')) {
        ts.next();
        if (!ts.isPunct('[')) throw new AsmError(`expected '[' after the segment override ${reg.name}: ${ts.describeNext()}`);
        return parseMemory(ts, resolve, size, dist, reg);
      }
      if (size && size !== reg.size && reg.kind !== 'sreg') throw new AsmError(`register ${reg.name} is not ${sizeName(size)}-sized`);
      if (dist) throw new AsmError(`'${dist}' cannot qualify a register`);
      return { k: 'reg', reg };
    }
  }
  const expr = parseExpr(ts, resolve);
  if (ts.eatPunct(':')) {
    const off = parseExpr(ts, resolve);
    return { k: 'ptr', seg: expr, off, size };
  }
  return { k: 'imm', expr, size, dist };
}

function parseMemory(ts: TokenStream, resolve: NameResolver, size: SizeHint, dist: Distance, seg: Register | undefined): Operand {
  ts.expectPunct('[');
  const t = ts.peek();
  if (t.kind === Tok.Ident && ts.isPunct(':', 1)) {
    const reg = REGISTERS.get(t.text.toLowerCase());
    if (reg?.kind !== 'sreg') throw new AsmError(`'${t.text}' is not a segment register`);
    if (seg) throw new AsmError('two segment overrides on one operand');
    seg = reg;
    ts.next();
    ts.next();
  }
  const addr = linearize(parseExpr(ts, resolve, true));
  ts.expectPunct(']');
  return { k: 'mem', size, dist, seg, addr };
}

export function sizeName(size: number): string {
  return size === 1 ? 'byte' : size === 2 ? 'word' : size === 4 ? 'dword' : `${size}-byte`;
}
