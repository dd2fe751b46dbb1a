import { randomInt } from 'node:crypto';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { AgentDependencies } from '../dependencies.ts';
import type { SupportStateUpdate, SupportStateValue } from '../state.ts';
import type { TurnInput } from '../turn-input.ts';
import { emit, say } from './toolkit.ts';

const codeTtlMinutes = 10;
const maxAttempts = 5;

const newCode = (): string => String(randomInt(0, 1_000_000)).padStart(6, '0');
const mask = (email: string): string => email.replace(/^(.)[^@]*(@.*)$/, '$1•••$2');
const emailShape = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

/** The email address this message gave, if the reasoner found one that is an address at all. */
function emailIn(state: SupportStateValue): string | null {
  const email = state.understanding?.slots.email?.trim();
  return email && emailShape.test(email) ? email : null;
}

/** A message that names an address to change to, not the account's own. */
const changeWords = /\b(new|change|changing|update|updating|replace|switch|instead)\b/i;

/** Whether the message carried a one-time code (masked, or six digits typed while none was out). */
const looksLikeCode = (state: SupportStateValue): boolean =>
  state.codeHashes.length > 0 || /(?<![\d-])\d{6}(?![\d-])/.test(state.message);

/**
 * Email verification for account actions: a one-time code (expiring, limited attempts) is sent to the
 * address on file — never to an address the customer types in — and the conversation is verified
 * when the customer gives it back. The answer never reveals whether an address is on file. The code
 * reaches this node only as a hash: the stored message has it masked (db/one-time-codes.ts).
 *
 * It also proves a new address the customer wants on file: a code sent there must come back.
 */
export async function verify(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
): Promise<SupportStateUpdate> {
  const awaiting = state.awaiting;
  if (state.input?.kind === 'verify_email' || state.input?.kind === 'verify_code')
    return pressed(state, deps, config, state.input);
  if (awaiting?.kind === 'verification_code') return checkCode(state, deps, config, awaiting.contactId);
  if (awaiting?.kind === 'new_address_code') return checkNewAddressCode(state, deps, config, awaiting.email);
  if (awaiting?.kind === 'verification_email') {
    const email = emailIn(state);
    // Asked for an address, but the customer is known now (a mail whose sender passed aligned DMARC):
    // the code goes to the address on file, as it would have without the question.
    if (!email && state.customer)
      return sendCode(state, deps, config, state.customer.contactId, state.customer.email);
    if (!email) {
      // A reasoner reads a bare answer as the slot it asked for ("123456" as the email): only an
      // address is one. A code typed before any was sent is told so, never answered "I've sent a code".
      const prompt = looksLikeCode(state)
        ? "I haven't sent you a code yet: I first need the email address on your Lumen Cloud account. What's your email address?"
        : "I need the email address on your Lumen Cloud account to send you a verification code. What's your email address?";
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
  // The request itself may carry the address ("please verify me, my email is …"): the code goes out
  // now, to the address on file, rather than asking for what was just said. Not an address the
  // customer wants to change to: that one is proven later, after the account holder.
  const given = emailIn(state);
  if (given && !changeWords.test(state.message)) {
    const contact = await deps.customers.byEmail(given);
    return sendCode(state, deps, config, contact?.contactId ?? '', given);
  }
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

/**
 * A verification form was submitted (never classified text): an email asks for a code — at the
 * address on file, if the address is one — and a code is checked against the code outstanding.
 */
async function pressed(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
  input: Extract<TurnInput, { kind: 'verify_email' | 'verify_code' }>,
): Promise<SupportStateUpdate> {
  const awaiting = state.awaiting;
  if (input.kind === 'verify_code') {
    if (awaiting?.kind === 'verification_code') return checkCode(state, deps, config, awaiting.contactId);
    if (awaiting?.kind === 'new_address_code')
      return checkNewAddressCode(state, deps, config, awaiting.email);
    const text = "I'm not waiting for a code from you right now, so I haven't checked that one.";
    return { transcript: [await say(deps, state, config, text)], next: 'finish' };
  }
  if (state.customer?.verified) {
    const text = 'Your account is already verified — there is no need for a code.';
    return { transcript: [await say(deps, state, config, text)], next: 'finish' };
  }
  // A known but unverified customer gets the code at the address on file, whatever was typed.
  if (state.customer) return sendCode(state, deps, config, state.customer.contactId, state.customer.email);
  const contact = await deps.customers.byEmail(input.email);
  return sendCode(state, deps, config, contact?.contactId ?? '', input.email);
}

async function sendCode(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
  contactId: string,
  email: string,
): Promise<SupportStateUpdate> {
  if (contactId) {
    const code = newCode();
    const codeId = await deps.store.createVerificationCode(
      state.conversationId,
      contactId,
      code,
      new Date(deps.now().getTime() + codeTtlMinutes * 60_000),
    );
    // The code goes to the address on file (the outbox looks it up from the contact), never to a typed-in address.
    await deps.outbox.enqueue({
      contactId,
      verified: false,
      conversationId: state.conversationId,
      template: 'verification_code',
      variables: { code, expires_minutes: codeTtlMinutes },
      idempotencyKey: `${state.conversationId}:verification:${codeId}`,
    });
  }
  const text = `To keep your account safe, I've sent a 6-digit code to the email address on file${state.customer ? ` (${mask(email)})` : ' if it matches an account'}. Please type the code here — it's valid for ${codeTtlMinutes} minutes.`;
  emit(config, { type: 'verification-request', email: mask(email) });
  return {
    transcript: [await say(deps, state, config, text)],
    awaiting: { kind: 'verification_code', contactId, email },
    status: 'waiting_customer',
    next: 'finish',
  };
}

/**
 * Sends a code to an address the customer wants on file (the old address is not enough: whoever asks
 * for the change must also control the new mailbox). Called by the plan node for a procedure that
 * asks for the proof.
 */
export async function sendNewAddressCode(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
  email: string,
  prompt: string,
): Promise<SupportStateUpdate> {
  const customer = state.customer!;
  const code = newCode();
  const codeId = await deps.store.createVerificationCode(
    state.conversationId,
    customer.contactId,
    code,
    new Date(deps.now().getTime() + codeTtlMinutes * 60_000),
    { kind: 'new_address', email },
  );
  await deps.outbox.enqueue({
    contactId: customer.contactId,
    verified: customer.verified,
    conversationId: state.conversationId,
    template: 'verification_code',
    variables: { code, expires_minutes: codeTtlMinutes },
    to: email,
    idempotencyKey: `${state.conversationId}:new-address:${codeId}`,
  });
  const text = `${prompt} It's valid for ${codeTtlMinutes} minutes.`;
  emit(config, { type: 'verification-request', email: mask(email) });
  return {
    transcript: [await say(deps, state, config, text)],
    awaiting: { kind: 'new_address_code', email },
    status: 'waiting_customer',
    next: 'finish',
  };
}

/** A code that failed too often, or expired: a person verifies the customer another way. */
function failedCheck(result: 'locked' | 'expired', what: string): SupportStateUpdate {
  return {
    decision: {
      kind: 'escalate',
      reason: 'security_sensitive',
      priority: 'high',
      text:
        result === 'locked'
          ? "That code didn't match too many times, so for your security I've passed this to a colleague who will verify you another way."
          : 'That code has expired. For your security I have passed this to a colleague who will verify you another way.',
      summary: `${what} failed (${result}).`,
    },
    next: 'escalate',
  };
}

/**
 * Checks the codes this message carried (their hashes) against the conversation's open code of the
 * purpose. A message without a code is not an attempt: the customer is asked for the code again.
 */
function checkMessageCodes(
  state: SupportStateValue,
  deps: AgentDependencies,
  purpose: 'identity' | 'new_address',
): ReturnType<AgentDependencies['store']['checkVerificationCode']> {
  if (state.codeHashes.length === 0) return Promise.resolve({ result: 'wrong' });
  return deps.store.checkVerificationCode(
    state.conversationId,
    state.codeHashes,
    deps.now(),
    maxAttempts,
    purpose,
  );
}

async function checkCode(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
  contactId: string,
): Promise<SupportStateUpdate> {
  if (!contactId) return checkCodeForNobody(state, deps, config);
  const check = await checkMessageCodes(state, deps, 'identity');
  if (check.result === 'ok' && contactId) {
    const profile = await deps.customers.profile(contactId);
    if (profile) {
      await deps.store.markVerified(
        state.conversationId,
        contactId,
        profile.accountId,
        state.session.channel,
        deps.now(),
      );
      const entry = await say(deps, state, config, 'Thanks — you are verified.');
      return {
        customer: { ...profile, verified: true, verifiedBy: 'email_code' },
        transcript: [entry],
        awaiting: null,
        // Verified before asking for anything (the chat's "Verify my email"): nothing to carry on with.
        ...(state.intent ? { next: 'plan' } : { status: 'open' as const, next: 'finish' }),
      };
    }
  }
  if (check.result === 'locked' || check.result === 'expired')
    return failedCheck(check.result, 'Email verification');
  const prompt = "That code doesn't match. Please check the latest email from us and type the 6-digit code.";
  emit(config, { type: 'verification-request', email: '' });
  return { transcript: [await say(deps, state, config, prompt)], status: 'waiting_customer', next: 'finish' };
}

/**
 * A code typed after asking for one at an address no contact has: no code was sent, so none can
 * match — but it is answered exactly as a wrong code for a real address is, counted in the state and
 * locked after as many attempts, so neither the replies nor the lockout tell whether the address is
 * on file, and the customer does not loop.
 */
async function checkCodeForNobody(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
): Promise<SupportStateUpdate> {
  const awaiting = state.awaiting?.kind === 'verification_code' ? state.awaiting : null;
  const prompt = "That code doesn't match. Please check the latest email from us and type the 6-digit code.";
  // As for a real address, a message without a code is not an attempt. (With no code row nothing
  // masks the digits: a six-digit number in the message is the attempt.)
  if (!looksLikeCode(state) || !awaiting) {
    emit(config, { type: 'verification-request', email: '' });
    return {
      transcript: [await say(deps, state, config, prompt)],
      status: 'waiting_customer',
      next: 'finish',
    };
  }
  const attempts = (awaiting.attempts ?? 0) + 1;
  if (attempts >= maxAttempts) return { ...failedCheck('locked', 'Email verification'), awaiting: null };
  emit(config, { type: 'verification-request', email: '' });
  return {
    transcript: [await say(deps, state, config, prompt)],
    awaiting: { ...awaiting, attempts },
    status: 'waiting_customer',
    next: 'finish',
  };
}

async function checkNewAddressCode(
  state: SupportStateValue,
  deps: AgentDependencies,
  config: LangGraphRunnableConfig,
  email: string,
): Promise<SupportStateUpdate> {
  const check = await checkMessageCodes(state, deps, 'new_address');
  if (check.result === 'ok' && check.email?.toLowerCase() === email.toLowerCase()) {
    const entry = await say(deps, state, config, `Thanks — that confirms ${email} is yours.`);
    return {
      transcript: [entry],
      provenAddresses: [...state.provenAddresses, email.toLowerCase()],
      awaiting: null,
      next: 'plan',
    };
  }
  if (check.result === 'locked' || check.result === 'expired')
    return failedCheck(check.result, `Proving the new address ${email}`);
  const prompt = `That code doesn't match. Please type the 6-digit code we sent to ${email}.`;
  emit(config, { type: 'verification-request', email: '' });
  return { transcript: [await say(deps, state, config, prompt)], status: 'waiting_customer', next: 'finish' };
}
