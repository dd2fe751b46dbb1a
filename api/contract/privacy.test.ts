import { describe, expectTypeOf, it } from 'vitest';
import type * as owner from '../../conversations/privacy.ts';
import type * as admin from './admin.ts';

describe('the privacy part of the admin contract', () => {
  it('is conversations/privacy.ts’s export document and erasure result, field for field', () => {
    expectTypeOf<admin.PrivacyExport>().toEqualTypeOf<owner.PrivacyExport>();
    expectTypeOf<admin.ErasureResult>().toEqualTypeOf<owner.ErasureResult>();
  });
});
