/**
 * Marks a `ReceiveContext` built by one of the package's adapters. Such a context computes
 * `headers` and `clientIp` when first read and keeps them, so the router reads them only
 * when a handler does (most never do); a caller's context is copied at once instead, so
 * that it may reuse its object. `Symbol.for`, so that an adapter and a router from two copies
 * of the package (ESM and CommonJS) still understand each other.
 *
 * @internal
 */
export const ADAPTER_CONTEXT: unique symbol = Symbol.for(
  'uanataca-webhooks.adapterContext',
) as never;

/**
 * A `ReceiveContext` that may carry the {@link ADAPTER_CONTEXT} mark.
 *
 * @internal
 */
export interface MarkedContext {
  readonly [ADAPTER_CONTEXT]?: boolean | undefined;
}
