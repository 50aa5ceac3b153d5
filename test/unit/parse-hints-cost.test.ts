import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWebhooks, parseWebhook, safeParseWebhook } from '../../src/index.js';
import { explainIssues } from '../../src/payload/explain.js';

// The hints of an error are looked for only once a body has been refused: a valid body, read on
// every delivery, must not pay for them.

vi.mock('../../src/payload/explain.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/payload/explain.js')>();
  return { ...actual, explainIssues: vi.fn(actual.explainIssues) };
});

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const fixtures = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => readFileSync(join(fixturesDir, name), 'utf8'));

afterEach(() => {
  vi.clearAllMocks();
  vi.restoreAllMocks();
});

describe('what an error costs a valid body', () => {
  it('explains no valid body, given as text, bytes or an object', () => {
    for (const text of fixtures) {
      parseWebhook(text);
      parseWebhook(new TextEncoder().encode(text), { timeZone: 'Europe/Madrid' });
      parseWebhook(JSON.parse(text));
    }
    expect(explainIssues).not.toHaveBeenCalled();
  });

  it('explains a refused body once', () => {
    expect(safeParseWebhook('{"eventType":"ISSUED"}').success).toBe(false);
    expect(explainIssues).toHaveBeenCalledTimes(1);
  });

  it('lists no time zone for a known zone, one never used before included', () => {
    const listed = vi.spyOn(Intl, 'supportedValuesOf');
    for (const timeZone of ['Asia/Kathmandu', 'America/St_Johns', 'Europe/Madrid']) {
      createWebhooks({ timeZone });
      for (const text of fixtures) parseWebhook(text, { timeZone });
    }
    expect(safeParseWebhook('{}', { timeZone: 'Australia/Lord_Howe' }).error?.code).toBe(
      'invalid_payload',
    );
    expect(listed).not.toHaveBeenCalled();
    expect(safeParseWebhook('{}', { timeZone: 'Madrid' }).error?.code).toBe('invalid_options');
    expect(listed).toHaveBeenCalledTimes(1);
  });
});
