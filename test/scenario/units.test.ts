import { describe, expect, it } from 'vitest';
import { checkDuration, checkSize, parseDuration, parseRedisMemory } from '../../src/scenario/units.ts';

describe('parseDuration', () => {
  it('reads every unit as integer microseconds', () => {
    expect(parseDuration('250us')).toBe(250);
    expect(parseDuration('250µs')).toBe(250);
    expect(parseDuration('10ms')).toBe(10_000);
    expect(parseDuration('1.5s')).toBe(1_500_000);
    expect(parseDuration('2m')).toBe(120_000_000);
    expect(parseDuration('1h')).toBe(3_600_000_000);
    expect(parseDuration('3000ns')).toBe(3);
  });

  it('is exact for decimals that binary floating point cannot represent', () => {
    expect(parseDuration('0.3s')).toBe(300_000);
    expect(parseDuration('0.1ms')).toBe(100);
    expect(parseDuration('.5s')).toBe(500_000);
    expect(parseDuration('1.s')).toBe(1_000_000);
  });

  it('accepts 0 without a unit, as a number or a string', () => {
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('0ms')).toBe(0);
  });

  it('refuses a bare non-zero number and says to add a unit', () => {
    expect(parseDuration(10)).toBeUndefined();
    expect(parseDuration('10')).toBeUndefined();
    const r = checkDuration(10);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/no unit: add one, e\.g\. 10ms/);
  });

  it('refuses negative values, unknown units, spaces and fractions of a microsecond', () => {
    expect(parseDuration('-1s')).toBeUndefined();
    expect(parseDuration(-5)).toBeUndefined();
    expect(parseDuration('10sec')).toBeUndefined();
    expect(parseDuration('10MS')).toBeUndefined();
    expect(parseDuration('5 ms')).toBeUndefined();
    expect(parseDuration('1.5us')).toBeUndefined();
    expect(parseDuration('1500ns')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
    expect(parseDuration('ms')).toBeUndefined();
    const r = checkDuration('10sec');
    expect(!r.ok && r.message).toMatch(/unknown unit 'sec'/);
    const upper = checkDuration('10MS');
    expect(!upper.ok && upper.message).toMatch(/lower case: 'ms'/);
  });

  it('gives whole nanoseconds at nanosecond resolution', () => {
    expect(checkDuration('1ns', 'ns')).toEqual({ ok: true, value: 1 });
    expect(checkDuration('1.5us', 'ns')).toEqual({ ok: true, value: 1500 });
    expect(checkDuration('0.5ns', 'ns').ok).toBe(false);
  });

  it('refuses values beyond the safe integer range', () => {
    expect(parseDuration('10000000000000h')).toBeUndefined();
  });
});

describe('parseRedisMemory', () => {
  it('reads plain bytes and every memtoull unit', () => {
    expect(parseRedisMemory('0')).toBe(0);
    expect(parseRedisMemory('4096')).toBe(4096);
    expect(parseRedisMemory('10b')).toBe(10);
    expect(parseRedisMemory('1k')).toBe(1000);
    expect(parseRedisMemory('1kb')).toBe(1024);
    expect(parseRedisMemory('1m')).toBe(1_000_000);
    expect(parseRedisMemory('1mb')).toBe(1_048_576);
    expect(parseRedisMemory('1g')).toBe(1_000_000_000);
    expect(parseRedisMemory('1gb')).toBe(1_073_741_824);
  });

  it('ignores the case of the unit', () => {
    expect(parseRedisMemory('16KB')).toBe(16384);
    expect(parseRedisMemory('1Mb')).toBe(1_048_576);
    expect(parseRedisMemory('2G')).toBe(2_000_000_000);
  });

  it('refuses what memtoull refuses: signs, fractions, spaces, unknown units', () => {
    for (const s of ['-1', '+1', '1.5mb', ' 1mb', '1mb ', '1 mb', '1tb', '1kib', '0x10', 'abc']) {
      expect(parseRedisMemory(s), s).toBeUndefined();
    }
  });

  it('refuses a unit without digits and the empty string (stricter than Redis, which reads 0)', () => {
    expect(parseRedisMemory('')).toBeUndefined();
    expect(parseRedisMemory('mb')).toBeUndefined();
  });

  it('refuses values beyond the safe integer range', () => {
    expect(parseRedisMemory('9007199254740992')).toBeUndefined();
    expect(parseRedisMemory('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseRedisMemory('100000000gb')).toBeUndefined();
  });
});

describe('checkSize', () => {
  it('accepts YAML integers as bytes and memtoull strings', () => {
    expect(checkSize(16384)).toEqual({ ok: true, value: 16384 });
    expect(checkSize('128kb')).toEqual({ ok: true, value: 131072 });
  });

  it('explains fractions, negative numbers, unknown units and wrong types', () => {
    const msg = (v: unknown): string => {
      const r = checkSize(v);
      return r.ok ? '' : r.message;
    };
    expect(msg(1.5)).toMatch(/whole number of bytes/);
    expect(msg(-1)).toMatch(/cannot be negative/);
    expect(msg('1.5mb')).toMatch(/sizes are whole numbers/);
    expect(msg('10tb')).toMatch(/unknown size unit 'tb'/);
    expect(msg(true)).toMatch(/expected a size like 16kb/);
  });
});
