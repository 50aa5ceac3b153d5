import type { InboxStore } from './inbox-store.js';

/** The entry of the embedded store, imported by name so that the core imports nothing of Node. */
const SQLITE_ENTRY = 'uanataca-webhooks/sqlite';

/**
 * The default store of `inbox: true`: `createSqliteInbox()` from `uanataca-webhooks/sqlite`,
 * loaded the first time it is used, since the core must run where there is no SQLite.
 *
 * @internal
 */
export function createDefaultInbox(): InboxStore {
  let loaded: Promise<InboxStore> | undefined;
  const store = (): Promise<InboxStore> => {
    // The comments keep webpack and Vite from trying to resolve the entry at build time.
    loaded ??= (
      import(/* webpackIgnore: true */ /* @vite-ignore */ SQLITE_ENTRY) as Promise<{
        createSqliteInbox(): InboxStore;
      }>
    ).then(
      (module) => module.createSqliteInbox(),
      (error: unknown) => {
        // Not cached: the next operation tries again (and fails again, saying why).
        loaded = undefined;
        throw error;
      },
    );
    return loaded;
  };
  return {
    add: async (entry) => (await store()).add(entry),
    lease: async (owner, limit, leaseMs) => (await store()).lease(owner, limit, leaseMs),
    renew: async (id, owner, leaseMs) => (await store()).renew(id, owner, leaseMs),
    settle: async (id, owner, outcome) => (await store()).settle(id, owner, outcome),
    get: async (id) => (await store()).get(id),
    list: async (filter) => (await store()).list(filter),
    replay: async (id, fields) => (await store()).replay(id, fields),
    purge: async (filter) => (await store()).purge(filter),
    stats: async () => (await store()).stats(),
    close: async () => {
      if (loaded !== undefined) await (await loaded).close?.();
    },
  };
}
