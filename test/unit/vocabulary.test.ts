import { describe, expect, it } from 'vitest';
import {
  CERTIFICATE_STATUSES,
  EVENT_TYPES,
  normalizeCertificateStatus,
  normalizeEventType,
  normalizeStatus,
  REQUEST_STATUSES,
} from '../../src/index.js';

describe('vocabularies', () => {
  it('lists the documented values', () => {
    expect(REQUEST_STATUSES).toEqual([
      'CREATED',
      'VIDEOPENDING',
      'VIDEOREVIEW',
      'VIDEOINCOMPLETE',
      'VIDEOERROR',
      'ENROLLREADY',
      'ISSUED',
      'RENEWED',
      'CANCELLED',
    ]);
    expect(EVENT_TYPES).toHaveLength(9);
    expect(EVENT_TYPES).toContain('REQUEST_CANCELED');
    expect(CERTIFICATE_STATUSES).toEqual(['VALID', 'SUSPENDED', 'REVOKED']);
  });

  it('keeps request statuses and event types apart', () => {
    const statuses = new Set<string>(REQUEST_STATUSES);
    expect(EVENT_TYPES.filter((type) => statuses.has(type))).toEqual([]);
  });
});

describe('normalizers', () => {
  it.each(REQUEST_STATUSES)('keeps %s as it is', (status) => {
    expect(normalizeStatus(status)).toBe(status);
    expect(normalizeStatus(` ${status.toLowerCase()} `)).toBe(status);
  });

  it.each([
    ['CANCELED', 'CANCELLED'],
    ['canceled', 'CANCELLED'],
    ['Cancelled', 'CANCELLED'],
    ['RENOVATED', 'RENEWED'],
    ['video_review', 'VIDEOREVIEW'],
    ['Video-Pending', 'VIDEOPENDING'],
    ['enroll ready', 'ENROLLREADY'],
    ['\tissued\n', 'ISSUED'],
    ['suspended', 'SUSPENDED'],
    ['REQUEST_CANCELED', 'REQUEST_CANCELED'],
    ['', ''],
  ])('normalizeStatus(%j) is %j', (input, output) => {
    expect(normalizeStatus(input)).toBe(output);
  });

  it.each([
    ['REQUEST_CANCELLED', 'REQUEST_CANCELED'],
    ['request-cancelled', 'REQUEST_CANCELED'],
    ['request canceled', 'REQUEST_CANCELED'],
    ['videoid updated', 'VIDEOID_UPDATED'],
    ['VideoIdUpdated', 'VIDEOID_UPDATED'],
    ['certificate_reactivated', 'CERTIFICATE_REACTIVATED'],
    ['CANCELLED', 'CANCELLED'],
  ])('normalizeEventType(%j) is %j', (input, output) => {
    expect(normalizeEventType(input)).toBe(output);
  });

  it.each([
    ['ACTIVE', 'VALID'],
    ['active', 'VALID'],
    ['valid', 'VALID'],
    [' Revoked', 'REVOKED'],
    ['expired', 'EXPIRED'],
  ])('normalizeCertificateStatus(%j) is %j', (input, output) => {
    expect(normalizeCertificateStatus(input)).toBe(output);
  });

  it('maps each vocabulary only within itself', () => {
    expect(normalizeStatus('ACTIVE')).toBe('ACTIVE');
    expect(normalizeCertificateStatus('CANCELED')).toBe('CANCELED');
    expect(normalizeEventType('CANCELED')).toBe('CANCELED');
  });
});
