import { AppError, badRequest, toProblem } from '@emporium/errors';
import { describe, expect, it } from 'vitest';

describe('problem details (RFC 9457)', () => {
  it('exposes the code, title and detail of a 4xx', () => {
    expect(toProblem(badRequest('invalid_cursor', 'The cursor is not valid'), { instance: '/x', requestId: 'r1' })).toEqual({
      type: 'https://emporium.dev/problems/invalid_cursor',
      title: 'Bad Request',
      status: 400,
      code: 'invalid_cursor',
      detail: 'The cursor is not valid',
      instance: '/x',
      requestId: 'r1',
    });
  });

  it('says nothing internal for a 500: no code, no message, not even in the type', () => {
    const problem = toProblem(new AppError('ledger_mismatch_acct_42', 'account 42 is off by 3 cents', 500));
    expect(problem).toEqual({
      type: 'https://emporium.dev/problems/internal_error',
      title: 'Internal Server Error',
      status: 500,
      code: 'internal_error',
    });
    expect(JSON.stringify(problem)).not.toMatch(/ledger|42/);
  });

  it('keeps the stable code of a dependency failure (503) so the client knows to retry', () => {
    expect(toProblem(new AppError('upstream_unavailable', 'The catalog service is unavailable', 503))).toMatchObject({
      status: 503,
      code: 'upstream_unavailable',
    });
  });
});
