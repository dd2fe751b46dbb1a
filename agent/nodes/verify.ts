import { createHash, randomInt } from 'node:crypto';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { AgentDependencies } from '../dependencies.ts';
import type { SupportStateUpdate, SupportStateValue } from '../state.ts';
import { emit, say } from './toolkit.ts';

const codeTtlMinutes = 10;
const maxAttempts = 5;

export const hashCode = (conversationId: string, code: string): string =>
  createHash('sha256').update(`${conversationId}:${code}`).digest('hex');

/**
 * Email verification for account actions: a one-time code (expiring, limited attempts) is sent to the
 * address on file — never to an address the customer types in — and the conversation is verified
 * when the customer gives it back. The answer never reveals whether an address is on file.
 */
export async function verify(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
): Promise<SupportStateUpdate> {
  const awaiting = state.awaiting;
  if (awaiting?.kind === 'verification_code') return checkCode(state, deps, config, awaiting.contactId);
  if (awaiting?.kind === 'verification_email') {
    const email = state.understanding?.slots.email;
    if (!email) {
      const prompt =
        "I need the email address on your Lumen Cloud account to send you a verification code. What's your email address?";
      emit(config, { type: 'slot-request', slot: 'email', prompt });
      return {
        transcript: [await say(deps, state, config, prompt)],
        status: 'waiting_customer',
        next: 'finish',
      };
    }
    const contact = await deps.customers.byEmail(email);
    return sendCode(state, deps, config, contact?.contactId ?? '', email);
  }
  if (state.customer) return sendCode(state, deps, config, state.customer.contactId, state.customer.email);
  const prompt =
    "To do that on your account I first need to verify it's you. What's the email address on your Lumen Cloud account?";
  emit(config, { type: 'slot-request', slot: 'email', prompt });
  return {
    transcript: [await say(deps, state, config, prompt)],
    awaiting: { kind: 'verification_email' },
    status: 'waiting_customer',
    next: 'finish',
  };
}

async function sendCode(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
  contactId: string,
  email: string,
): Promise<SupportStateUpdate> {
  if (contactId) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await deps.store.createVerificationCode(
      state.conversationId,
      contactId,
      hashCode(state.conversationId, code),
      new Date(deps.now().getTime() + codeTtlMinutes * 60_000),
    );
    // The code goes to the address on file (the outbox looks it up from the contact), never to a typed-in address.
    await deps.outbox.enqueue({
      contactId,
      verified: false,
      conversationId: state.conversationId,
      template: 'verification_code',
      variables: { code, expires_minutes: codeTtlMinutes },
      idempotencyKey: `${state.conversationId}:verification:${hashCode(state.conversationId, code).slice(0, 16)}`,
    });
  }
  const masked = email.replace(/^(.)[^@]*(@.*)$/, '$1•••$2');
  const text = `To keep your account safe, I've sent a 6-digit code to the email address on file${state.customer ? ` (${masked})` : ' if it matches an account'}. Please type the code here — it's valid for ${codeTtlMinutes} minutes.`;
  emit(config, { type: 'verification-request', email: masked });
  return {
    transcript: [await say(deps, state, config, text)],
    awaiting: { kind: 'verification_code', contactId, email },
    status: 'waiting_customer',
    next: 'finish',
  };
}

async function checkCode(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
  contactId: string,
): Promise<SupportStateUpdate> {
  const code = state.message.match(/\b\d{6}\b/)?.[0];
  const check = code
    ? await deps.store.checkVerificationCode(
        state.conversationId,
        hashCode(state.conversationId, code),
        deps.now(),
        maxAttempts,
      )
    : { result: 'wrong' as const };
  if (check.result === 'ok' && contactId) {
    const profile = await deps.customers.profile(contactId);
    if (profile) {
      await deps.store.markVerified(state.conversationId, contactId, profile.accountId);
      const entry = await say(deps, state, config, 'Thanks — you are verified.');
      return { customer: { ...profile, verified: true }, transcript: [entry], awaiting: null, next: 'plan' };
    }
  }
  if (check.result === 'locked' || check.result === 'expired') {
    return {
      decision: {
        kind: 'escalate',
        reason: 'security_sensitive',
        priority: 'high',
        text:
          check.result === 'locked'
            ? "That code didn't match too many times, so for your security I've passed this to a colleague who will verify you another way."
            : 'That code has expired. For your security I have passed this to a colleague who will verify you another way.',
        summary: `Email verification failed (${check.result}).`,
      },
      next: 'escalate',
    };
  }
  const prompt = "That code doesn't match. Please check the latest email from us and type the 6-digit code.";
  emit(config, { type: 'verification-request', email: '' });
  return { transcript: [await say(deps, state, config, prompt)], status: 'waiting_customer', next: 'finish' };
}
