/**
 * Soft-float x87: the 80-bit extended format with true 64-bit significands, rounding and precision
 * control, and the x87's exception flags, NaN rules and condition codes. The FPU (register stack, tags,
 * stack faults, unmasked exception responses) builds on this.
 *
 * Calling convention: operands are passed as (se, hi, lo) triples; results land in the context's
 * se/hi/lo (and se2/hi2/lo2 for FXTRACT and FSINCOS); integer and f64 results are returned or left in
 * c.hi:c.lo as documented per function. Exception flags accumulate in c.flags; c.cc holds the condition codes the
 * last operation produced (C1 = rounded up for arithmetic).
 */
export * from './f80.js';
export { add, sub } from './add.js';
export { mul, div } from './muldiv.js';
export { sqrt } from './sqrt.js';
export { fprem, fprem1, remainder } from './rem.js';
export { roundToInt, toI16, toI32, toI64, fromI32, fromI64, fromF32, fromF64, toF32, toF64 } from './convert.js';
export { CC_EQUAL, CC_GREATER, CC_LESS, CC_UNORDERED, compare, eq, lt, le, examine } from './compare.js';
export { fabs, fchs, fxtract, fscale } from './scale.js';
export { loadBcd, storeBcd } from './bcd.js';
export { Constant, loadConstant, f2xm1, fyl2x, fyl2xp1, fpatan, fsin, fcos, fsincos, fptan } from './trans.js';
