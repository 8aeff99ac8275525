/**
 * Saving and restoring a device's plain fields by name (STYLE: named, versioned state). Numbers, booleans
 * and strings are copied; typed arrays are copied into the live array, which must have the same length.
 * A field that is missing or of another type is a clear error, never a silently half-loaded device.
 */

type Fields = Record<string, unknown>;

export function saveFields(source: object, fields: readonly string[]): Fields {
  const out: Fields = {};
  const from = source as Fields;
  for (const field of fields) {
    const value = from[field];
    if (value === undefined) throw new Error(`saveFields: no field ${field}`);
    out[field] = ArrayBuffer.isView(value) ? (value as unknown as Uint8Array).slice() : value;
  }
  return out;
}

export function loadFields(device: string, target: object, state: unknown, fields: readonly string[]): void {
  if (!state || typeof state !== 'object') throw new Error(`${device}: state record is missing`);
  const from = state as Fields;
  const into = target as unknown as Fields;
  for (const field of fields) {
    const value = from[field];
    const current = into[field];
    if (ArrayBuffer.isView(current)) {
      const live = current as unknown as Uint8Array;
      const saved = value as Uint8Array;
      if (!ArrayBuffer.isView(value) || saved.constructor !== live.constructor || saved.length !== live.length) {
        throw new Error(`${device}: state field ${field} is not a ${live.constructor.name}(${live.length})`);
      }
      live.set(saved);
    } else {
      if (typeof value !== typeof current) throw new Error(`${device}: state field ${field} is missing or of the wrong type`);
      into[field] = value;
    }
  }
}
