/**
 * Tokens of one source line of the text assembler (NASM-like Intel syntax). Comments start at `;`.
 * Numbers: decimal, `0x1F`, `1Fh`, `0b101`, `101b`, `0o17`, `17o`/`17q`, with `_` separators.
 */

export const enum Tok {
  Ident,
  Number,
  String,
  /** Punctuation and operators: , : [ ] ( ) + - * / % << >> & | ^ ~ $ $$ */
  Punct,
  End,
}

export interface Token {
  kind: Tok;
  /** Identifier text as written, punctuation text, or the string's contents. */
  text: string;
  value: number;
  /** Column (0-based) in the line, for messages. */
  col: number;
}

/** An assembly error; `line` (1-based) is filled in by the assembler and starts the message. */
export class AsmError extends Error {
  line = 0;
  constructor(readonly detail: string) {
    super(detail);
  }
  /** The same error, told as happening on `line`. */
  atLine(line: number): AsmError {
    const e = new AsmError(this.detail);
    e.line = line;
    e.message = `line ${line}: ${this.detail}`;
    return e;
  }
}

const TWO_CHAR = new Set(['<<', '>>', '$$']);
const ONE_CHAR = ',:[]()+-*/%&|^~$';

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '.' || c === '?' || c === '@';
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9') || c === '$' || c === '#';
}

export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ';') break;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"' || c === '`') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new AsmError(`unterminated string starting at column ${i + 1}`);
      tokens.push({ kind: Tok.String, text: line.slice(i + 1, end), value: 0, col: start });
      i = end + 1;
      continue;
    }
    if (c >= '0' && c <= '9') {
      while (i < line.length && isIdentPart(line[i])) i++;
      const text = line.slice(start, i);
      tokens.push({ kind: Tok.Number, text, value: parseNumber(text), col: start });
      continue;
    }
    if (isIdentStart(c)) {
      while (i < line.length && isIdentPart(line[i])) i++;
      tokens.push({ kind: Tok.Ident, text: line.slice(start, i), value: 0, col: start });
      continue;
    }
    const two = line.slice(i, i + 2);
    if (TWO_CHAR.has(two)) {
      tokens.push({ kind: Tok.Punct, text: two, value: 0, col: start });
      i += 2;
      continue;
    }
    if (ONE_CHAR.includes(c)) {
      tokens.push({ kind: Tok.Punct, text: c, value: 0, col: start });
      i++;
      continue;
    }
    throw new AsmError(`unexpected character '${c}' at column ${i + 1}`);
  }
  tokens.push({ kind: Tok.End, text: '', value: 0, col: line.length });
  return tokens;
}

function parseNumber(raw: string): number {
  const text = raw.replace(/_/g, '').toLowerCase();
  let digits: string;
  let radix: number;
  if (/^0x[0-9a-f]+$/.test(text)) [digits, radix] = [text.slice(2), 16];
  else if (/^0b[01]+$/.test(text)) [digits, radix] = [text.slice(2), 2];
  else if (/^0o[0-7]+$/.test(text)) [digits, radix] = [text.slice(2), 8];
  else if (/^[0-9][0-9a-f]*h$/.test(text)) [digits, radix] = [text.slice(0, -1), 16];
  else if (/^[01]+b$/.test(text)) [digits, radix] = [text.slice(0, -1), 2];
  else if (/^[0-7]+[oq]$/.test(text)) [digits, radix] = [text.slice(0, -1), 8];
  else if (/^[0-9]+d?$/.test(text)) [digits, radix] = [text.replace(/d$/, ''), 10];
  else throw new AsmError(`bad number '${raw}'`);
  const value = parseInt(digits, radix);
  if (value > 0xffffffff) throw new AsmError(`number '${raw}' does not fit in 32 bits`);
  return value;
}

/** A string used as a number: its bytes little-endian, as NASM does ('AB' = 0x4241). */
export function stringValue(text: string): number {
  if (text.length > 4) throw new AsmError(`character constant '${text}' is longer than 4 bytes`);
  let value = 0;
  for (let i = text.length - 1; i >= 0; i--) value = value * 256 + (text.charCodeAt(i) & 0xff);
  return value;
}

/** A cursor over one line's tokens. */
export class TokenStream {
  pos = 0;
  /** Parenthesis/unary nesting of the expression being parsed. */
  depth = 0;
  constructor(readonly tokens: Token[]) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }

  next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  atEnd(): boolean {
    return this.peek().kind === Tok.End;
  }

  isPunct(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === Tok.Punct && t.text === text;
  }

  /** True (and consumed) when the next token is the punctuation `text`. */
  eatPunct(text: string): boolean {
    if (!this.isPunct(text)) return false;
    this.pos++;
    return true;
  }

  expectPunct(text: string): void {
    if (!this.eatPunct(text)) throw new AsmError(`expected '${text}' ${this.describeNext()}`);
  }

  /** True when the next token is the identifier `word` (case-insensitive). */
  isWord(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === Tok.Ident && t.text.toLowerCase() === word;
  }

  eatWord(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.pos++;
    return true;
  }

  describeNext(): string {
    const t = this.peek();
    return t.kind === Tok.End ? 'at the end of the line' : `before '${t.kind === Tok.String ? JSON.stringify(t.text) : t.text}' (column ${t.col + 1})`;
  }
}
