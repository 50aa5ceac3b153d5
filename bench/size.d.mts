/** Minified and gzipped bytes of `dist/<entry>.js` bundled with `external` left out. */
export function measure(
  entry: string,
  external: readonly string[],
): Promise<{ minified: number; gzipped: number }>;
/** Gzipped bytes of an entry's own code: zod and the optional peers left out. */
export function ownCodeSize(entry: string): Promise<number>;
