import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkDeclaredLength,
  createBodyCollector,
  DEFAULT_MAX_BODY_BYTES,
  utf8ByteLength,
} from '../../src/http/body.js';
import { type ParsedBodyState, takeParsedBody } from '../../src/http/parsed-body.js';
import { InvalidJsonError, InvalidOptionsError, PayloadTooLargeError } from '../../src/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

describe('checkDeclaredLength', () => {
  it('lets a declared length up to the limit through', () => {
    expect(() => checkDeclaredLength('100', 100)).not.toThrow();
    expect(() => checkDeclaredLength('0', 100)).not.toThrow();
    expect(() => checkDeclaredLength(' 100 ', 100)).not.toThrow();
    expect(() => checkDeclaredLength('0000100', 100)).not.toThrow();
  });

  it('refuses one byte over the limit', () => {
    expect(() => checkDeclaredLength('101', 100)).toThrow(PayloadTooLargeError);
    expect(() =>
      checkDeclaredLength(String(DEFAULT_MAX_BODY_BYTES + 1), DEFAULT_MAX_BODY_BYTES),
    ).toThrow(PayloadTooLargeError);
    expect(() => checkDeclaredLength('99999999999999999999999', 100)).toThrow(PayloadTooLargeError);
  });

  it('leaves lengths it cannot read to the streaming limit', () => {
    for (const value of [undefined, null, '', 'abc', '1e9', '-1000', '10, 10', '0x1000']) {
      expect(() => checkDeclaredLength(value, 100)).not.toThrow();
    }
  });

  it('defaults to 1 MiB', () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBe(1_048_576);
  });
});

describe('createBodyCollector', () => {
  it('collects up to exactly the limit', () => {
    const collector = createBodyCollector(10);
    collector.push(encoder.encode('01234'));
    collector.push('56789');
    expect(decoder.decode(collector.result())).toBe('0123456789');
  });

  it('refuses the byte one over the limit', () => {
    const collector = createBodyCollector(10);
    collector.push(encoder.encode('0123456789'));
    let error: unknown;
    try {
      collector.push(new Uint8Array(1));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).limit).toBe(10);
  });

  it('refuses a single chunk over the limit', () => {
    expect(() => createBodyCollector(4).push(new Uint8Array(5))).toThrow(PayloadTooLargeError);
  });

  it('counts strings in UTF-8 bytes, not characters', () => {
    const collector = createBodyCollector(4);
    collector.push('éé');
    expect(collector.result().byteLength).toBe(4);
    expect(() => createBodyCollector(3).push('éé')).toThrow(PayloadTooLargeError);
  });

  it('returns an empty body when nothing came', () => {
    expect(createBodyCollector(1).result().byteLength).toBe(0);
  });

  it('joins any chunks in order, refusing exactly when the total passes the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 400 }),
        (chunks, limit) => {
          const collector = createBodyCollector(limit);
          const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
          let refused = false;
          try {
            for (const chunk of chunks) collector.push(chunk);
          } catch (error) {
            expect(error).toBeInstanceOf(PayloadTooLargeError);
            refused = true;
          }
          expect(refused).toBe(total > limit);
          if (!refused)
            expect(collector.result()).toEqual(Uint8Array.from(chunks.flatMap((c) => [...c])));
        },
      ),
    );
  });
});

describe('utf8ByteLength', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['é', 2],
    ['€', 3],
    ['😀', 4],
    ['\ud800', 3],
    ['\udc00x', 4],
    ['\ud83d\ud83d', 6],
  ])('%j takes %i bytes', (text, bytes) => {
    expect(utf8ByteLength(text)).toBe(bytes);
  });

  it('agrees with TextEncoder on any string, lone surrogates included', () => {
    const units = fc.string({
      unit: fc.oneof(
        fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
        fc.constantFrom('\ud83d', '\ude00', '😀'),
      ),
    });
    fc.assert(
      fc.property(units, (text) => {
        expect(utf8ByteLength(text)).toBe(encoder.encode(text).byteLength);
      }),
    );
  });
});

describe('takeParsedBody', () => {
  const state = (overrides: Partial<ParsedBodyState>): ParsedBodyState => ({
    consumed: true,
    body: undefined,
    contentType: 'application/json',
    contentLength: undefined,
    ...overrides,
  });
  const FORM = 'application/x-www-form-urlencoded; charset=utf-8';

  it('prefers the raw bytes a platform kept to the parsed body, and measures them', () => {
    const raw = new TextEncoder().encode('{"a": 1}');
    expect(takeParsedBody(state({ body: { a: 1 }, rawBody: raw }), 100)).toBe(raw);
    expect(takeParsedBody(state({ body: { a: 1 }, rawBody: '{"a":1}' }), 100)).toBe('{"a":1}');
    expect(() => takeParsedBody(state({ body: { a: 1 }, rawBody: raw }), 4)).toThrow(
      PayloadTooLargeError,
    );
    // Something else under that name is not a body: the parsed value is used.
    expect(takeParsedBody(state({ body: { a: 1 }, rawBody: { a: 1 } }), 100)).toEqual({ a: 1 });
  });

  it('leaves an unread stream to the caller', () => {
    expect(takeParsedBody(state({ consumed: false, body: { a: 1 } }), 100)).toBeUndefined();
  });

  it('sees an empty body in what a parser made of it', () => {
    expect(takeParsedBody(state({ body: {}, contentLength: '0' }), 100)).toBe('');
    expect(takeParsedBody(state({ body: null }), 100)).toBe('');
    expect(takeParsedBody(state({ body: undefined, contentLength: '0' }), 100)).toBe('');
  });

  it('reports a stream read by something that left no body as a server mistake', () => {
    expect(() => takeParsedBody(state({ body: undefined }), 100)).toThrow(InvalidOptionsError);
    expect(() => takeParsedBody(state({ body: undefined }), 100)).toThrow(/already read/);
  });

  it('keeps text and bytes, up to exactly the limit in UTF-8 bytes', () => {
    expect(takeParsedBody(state({ body: 'éé' }), 4)).toBe('éé');
    expect(() => takeParsedBody(state({ body: 'éé' }), 3)).toThrow(PayloadTooLargeError);
    const bytes = new Uint8Array(8);
    expect(takeParsedBody(state({ body: bytes }), 8)).toBe(bytes);
    expect(() => takeParsedBody(state({ body: bytes }), 7)).toThrow(PayloadTooLargeError);
    expect(() => takeParsedBody(state({ body: new ArrayBuffer(8) }), 7)).toThrow(
      PayloadTooLargeError,
    );
  });

  it('keeps what a JSON parser made, measured as JSON', () => {
    const body = { request: { status: 'VIDEOREVIEW', pk: 1 }, note: 'é' };
    const size = encoder.encode(JSON.stringify(body)).byteLength;
    expect(takeParsedBody(state({ body }), size)).toBe(body);
    expect(() => takeParsedBody(state({ body }), size - 1)).toThrow(PayloadTooLargeError);
    // A JSON parser's result, even when the sender called it a form.
    expect(takeParsedBody(state({ body, contentType: FORM }), size)).toBe(body);
  });

  it('reads back a JSON text that a form parser kept as one field', () => {
    const text = '{"status":"ISSUED","request":1}';
    expect(takeParsedBody(state({ body: { [text]: '' }, contentType: FORM }), 100)).toBe(text);
    expect(takeParsedBody(state({ body: { [text]: '' }, contentType: undefined }), 100)).toBe(text);
    expect(() =>
      takeParsedBody(state({ body: { [text]: '' }, contentType: FORM }), text.length - 1),
    ).toThrow(PayloadTooLargeError);
    expect(takeParsedBody(state({ body: { 'not json': '' }, contentType: FORM }), 100)).toBe(
      'not json',
    );
  });

  it('refuses other form fields with 400, and keeps objects that only look like them', () => {
    for (const body of [{}, { a: 'b' }, { '{"a":"x': '', 'y"}': '' }, { a: ['1', '2'] }]) {
      expect(() => takeParsedBody(state({ body, contentType: FORM }), 100)).toThrow(
        InvalidJsonError,
      );
    }
    const json = { status: 'ISSUED' };
    expect(takeParsedBody(state({ body: json, contentType: 'application/json' }), 100)).toBe(json);
    const nested = { a: { b: '' } };
    expect(takeParsedBody(state({ body: nested, contentType: FORM }), 100)).toBe(nested);
  });

  it('turns other parsed values into text', () => {
    expect(takeParsedBody(state({ body: 42 }), 100)).toBe('42');
    expect(takeParsedBody(state({ body: true }), 100)).toBe('true');
  });
});
