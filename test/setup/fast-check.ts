// Property tests run from one fixed seed, so that a failure seen once is seen again: a
// random seed per run once made `npm test` fail now and then with nothing to reproduce it
// from. FUZZ_SEED=<integer> runs them from another seed (`FUZZ_SEED=random` picks one).
// fast-check names the seed in every failure report; rerun with FUZZ_SEED set to it.
import fc from 'fast-check';

const DEFAULT_SEED = 20250715;

function seedFromEnvironment(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_SEED;
  if (value.trim() === 'random') return (Math.random() * 2 ** 32) | 0;
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 32) {
    throw new Error(`FUZZ_SEED must be a 32-bit integer or "random", not ${JSON.stringify(value)}`);
  }
  return seed | 0;
}

fc.configureGlobal({ seed: seedFromEnvironment(process.env.FUZZ_SEED) });
