/** co86's x86 assembler (NASM-like Intel syntax): used by the BIOS to build its ROM and by tests. */
export { assemble, type AssembleOptions, type AssembleResult } from './assembler.js';
export { AsmError } from './lexer.js';
