/** How a {@link createBatcher} groups its calls. @internal */
export interface BatchLimits {
  /** The most items one run gets. */
  readonly maxBatch: number;
  /** The most runs at once; calls arriving meanwhile wait, and go together in the next one. */
  readonly maxInFlight: number;
}

interface Waiting<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Groups the calls that arrive together into one run of `run`, which answers each item in
 * order (a rejection rejects them all): while `maxInFlight` runs are under way, calls queue,
 * and the next run takes them all (up to `maxBatch`). Under light load a call runs at once,
 * alone; under heavy load one commit serves many calls.
 *
 * @internal
 */
export function createBatcher<I, O>(
  run: (items: I[]) => Promise<O[]>,
  limits: BatchLimits,
): (item: I) => Promise<O> {
  const queue: Waiting<I, O>[] = [];
  let inFlight = 0;

  const flush = (): void => {
    while (inFlight < limits.maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, limits.maxBatch);
      inFlight += 1;
      run(batch.map((waiting) => waiting.item))
        .then(
          (results) => {
            batch.forEach((waiting, index) => {
              waiting.resolve(results[index]!);
            });
          },
          (error: unknown) => {
            for (const waiting of batch) waiting.reject(error);
          },
        )
        .finally(() => {
          inFlight -= 1;
          flush();
        });
    }
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      // After the current tick, so that calls made in one go share a run.
      queueMicrotask(flush);
    });
}
