import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  certificateSchema,
  envelopeSchema,
  legacySchema,
  safeParseWebhook,
  webhookPayloadSchema,
} from '../../src/index.js';

const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
const FIXTURES = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, body: JSON.parse(readFileSync(join(fixturesDir, name), 'utf8')) }));

describe('exported schemas', () => {
  it.each(FIXTURES.map(({ name, body }) => [name, body]))(
    'webhookPayloadSchema accepts %s, keeping unknown fields',
    (_, body) => {
      const result = webhookPayloadSchema.safeParse({ ...body, extra: { kept: true } });
      expect(result.success).toBe(true);
      expect(result.data).toMatchObject({ extra: { kept: true } });
    },
  );

  it('fit inside a schema written with the classic zod API', () => {
    const envelope = FIXTURES.find(({ name }) => name.startsWith('videoid-3'))!.body;
    const stored = z.object({ receivedAt: z.iso.datetime(), body: envelopeSchema });
    expect(stored.parse({ receivedAt: '2025-07-15T08:45:02Z', body: envelope }).body).toEqual(
      envelope,
    );
    const wrong = stored.safeParse({ receivedAt: '2025-07-15T08:45:02Z', body: { request: 1 } });
    expect(wrong.success).toBe(false);
    expect(wrong.error?.issues.map((issue) => issue.path.join('.'))).toContain('body.request');
  });

  it('say what they expected, in English, for every kind of mistake', () => {
    const cases: [z.core.$ZodType, unknown][] = [
      [envelopeSchema, 'not an object'],
      [envelopeSchema, { request: { status: 3, pk: -1 }, sent_at: '20250715084502' }],
      [envelopeSchema, { request: { status: ' ', pk: 'abc' }, sent_at: true }],
      [envelopeSchema, { request: { status: 'X' }, sent_at: '1', certificates: {} }],
      [legacySchema, { status: 'X', request: 2 ** 60, date: 5 }],
      [certificateSchema, { status: 'VALID', serial_number: 7 }],
      [webhookPayloadSchema, 42],
    ];
    for (const [schema, value] of cases) {
      const result = z.safeParse(schema, value);
      expect(result.success).toBe(false);
      for (const issue of result.error!.issues) {
        expect(issue.message).not.toBe('Invalid input');
        expect(issue.message).toMatch(/^[A-Z]/);
      }
    }
  });

  it('bound the certificates a notification lists', () => {
    const envelope = FIXTURES.find(({ name }) => name.startsWith('classic-3'))!.body;
    const certificates = Array.from({ length: 101 }, () => envelope.certificates[0]);
    const result = envelopeSchema.safeParse({ ...envelope, certificates });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['certificates'],
        message: 'A notification lists at most 100 certificates',
      }),
    ]);
    const parsed = safeParseWebhook({ ...envelope, certificates });
    expect(parsed.success).toBe(false);
  });
});
