/** A change the conversation's state does not allow (the API answers 409), or that names nothing (404). */
export class ConversationStateError extends Error {
  override name = 'ConversationStateError';
  constructor(
    readonly code: 'conflict' | 'not_found',
    message: string,
  ) {
    super(message);
  }
}
