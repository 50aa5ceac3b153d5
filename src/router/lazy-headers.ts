/**
 * The key under which an adapter passes, in the `ReceiveContext` it gives `receive`, a
 * function that copies the request's headers: the router calls it only when a handler reads
 * `context.headers`, which most never do. `Symbol.for`, so that an adapter and a router from
 * two copies of the package (ESM and CommonJS) still understand each other.
 *
 * @internal
 */
export const LAZY_HEADERS: unique symbol = Symbol.for('uanataca-webhooks.lazyHeaders') as never;

/**
 * A `ReceiveContext` with the adapters' lazy headers.
 *
 * @internal
 */
export interface LazyHeadersContext {
  readonly [LAZY_HEADERS]?: (() => Readonly<Record<string, string>>) | undefined;
}
