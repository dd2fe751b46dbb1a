import type { Procedure } from './procedure.ts';

/** 2FA resets and lockouts: always a human (security team), reason security_sensitive. */
export const accountAccessProcedure: Procedure = {
  intent: 'account.access',
  title: 'getting back into your account',
  verification: 'none',
  slots: {},
  async plan(context) {
    return {
      kind: 'escalate',
      reason: 'security_sensitive',
      priority: 'high',
      text: "For your security, two-factor resets and account lockouts are handled by our security team after they verify your identity — I can't do that myself. I've passed your request to them with the details; they'll contact you at your email address on file. If you only forgot your password, you can reset it yourself from the login page.",
      summary: `Account access request (2FA/lockout): "${context.message.slice(0, 200)}"`,
    };
  },
};
