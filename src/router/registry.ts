import { excerpt, HandlerError, InvalidOptionsError } from '../errors.js';
import type { DeliveryTrace } from '../observe/observer.js';
import type { WebhookEvent } from '../payload/event.js';
import type { HandlerContext } from './context.js';
import { type EventFor, type NameKind, readName, suggestName, type WebhookName } from './names.js';

/**
 * A function that handles notifications. It may be `async`; a throw or a rejection is a
 * failure. Its return value is ignored.
 *
 * Handlers must be idempotent: when one fails, the notification is processed again from the
 * first handler on its next delivery.
 */
export type WebhookHandler<E extends WebhookEvent = WebhookEvent> = (
  event: E,
  context: HandlerContext,
) => unknown;

/**
 * The handlers registered with `on`, and how a notification runs them.
 *
 * @internal
 */
export interface HandlerRegistry {
  /** Registers `handler` under `name`; returns the function that unregisters it. */
  on<const N extends WebhookName>(name: N, handler: WebhookHandler<EventFor<N>>): () => void;
  /**
   * Runs the handlers `event` matches, one after another in registration order, each awaited
   * when it returns a promise; rejects with `HandlerError` at the first failure.
   */
  run(event: WebhookEvent, context: HandlerContext, trace?: DeliveryTrace): Promise<void>;
}

/** A handler as registered by one call of `on`. */
interface Registration {
  readonly order: number;
  readonly handler: WebhookHandler;
  active: boolean;
}

const NO_HANDLERS: readonly Registration[] = [];

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function describeName(name: unknown): string {
  return typeof name === 'string' ? excerpt(name) : typeof name;
}

/** @internal */
export function createHandlerRegistry(): HandlerRegistry {
  // Lists are replaced, never mutated, so a delivery iterating one is unaffected by `on`.
  const lists: Record<NameKind, Map<string, readonly Registration[]>> = {
    status: new Map(),
    eventType: new Map(),
    wildcard: new Map(),
  };
  let registered = 0;

  const matching = (event: WebhookEvent): readonly Registration[] => {
    const byStatus = lists.status.get(event.status);
    const byEventType =
      event.eventType === undefined ? undefined : lists.eventType.get(event.eventType);
    const byWildcard = lists.wildcard.get('*');
    const found = [byStatus, byEventType, byWildcard].filter((list) => list !== undefined);
    // One list alone (the usual case) is used as it is; several are merged in order.
    if (found.length <= 1) return found[0] ?? NO_HANDLERS;
    return found.flat().sort((a, b) => a.order - b.order);
  };

  return {
    on(name, handler) {
      const names: readonly unknown[] = typeof name === 'string' ? [name] : name;
      if (!Array.isArray(names) || names.length === 0) {
        throw new InvalidOptionsError('on() needs a name or a non-empty array of names');
      }
      if (typeof handler !== 'function') {
        throw new InvalidOptionsError('on() needs a handler function');
      }
      const kinds = new Map<string, NameKind>();
      for (const one of names) {
        const read = readName(one);
        if (read === undefined) {
          const suggestion = typeof one === 'string' ? suggestName(one) : undefined;
          throw new InvalidOptionsError(
            `Unknown webhook name ${describeName(one)}: ${
              suggestion === undefined
                ? "use a documented request status, event type or '*'"
                : `did you mean '${suggestion}'?`
            }`,
          );
        }
        kinds.set(read.value, read.kind);
      }
      registered += 1;
      const registration: Registration = {
        order: registered,
        handler: handler as WebhookHandler,
        active: true,
      };
      for (const [one, kind] of kinds) {
        const map = lists[kind];
        map.set(one, [...(map.get(one) ?? []), registration]);
      }
      return () => {
        if (!registration.active) return;
        registration.active = false;
        for (const [one, kind] of kinds) {
          const map = lists[kind];
          const rest = (map.get(one) ?? []).filter((other) => other !== registration);
          if (rest.length === 0) map.delete(one);
          else map.set(one, rest);
        }
      };
    },

    async run(event, context, trace) {
      const list = matching(event);
      // A function registered under several names, matched through more than one, runs once.
      const ran = list.length > 1 ? new Set<WebhookHandler>() : undefined;
      const end = trace?.step('handlers');
      let index = 0;
      try {
        for (const { active, handler } of list) {
          if (!active || ran?.has(handler)) continue;
          ran?.add(handler);
          try {
            // Synchronous handlers cost no turn of the event loop.
            const result =
              trace === undefined
                ? handler(event, context)
                : trace.runHandler(index, () => handler(event, context));
            if (isThenable(result)) await result;
          } catch (cause) {
            throw new HandlerError(cause);
          }
          index += 1;
        }
      } catch (error) {
        end?.(error);
        throw error;
      }
      end?.();
    },
  };
}
