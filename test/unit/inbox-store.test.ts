import { createMemoryInbox, type InboxStore } from '../../src/index.js';
import { describeInboxStoreContract } from './inbox-contract.js';

const clock = { time: Date.UTC(2025, 6, 15, 8) };
// Each test has its own store; a pair shares one, as two processes would share a database.
describeInboxStoreContract('createMemoryInbox', {
  create: () => createMemoryInbox({ now: () => clock.time }),
  pair: () => {
    const store: InboxStore = createMemoryInbox({ now: () => clock.time });
    return [store, store];
  },
  now: () => clock.time,
  wait: async (ms) => {
    clock.time += ms;
  },
});
