/** A payment failure code explained for the customer, with what they can do about it. */
export interface FailureExplanation {
  explanation: string;
  customer_action: string;
}

const explanations: Record<string, FailureExplanation> = {
  card_expired: {
    explanation: 'The card on file has expired, so the bank declined the charge.',
    customer_action: 'Update the card details with the secure payment link.',
  },
  insufficient_funds: {
    explanation: 'The bank declined the charge because the account did not have enough funds at the time.',
    customer_action: 'Make sure funds are available or use another card; we can retry the payment.',
  },
  card_declined: {
    explanation: 'The bank declined the charge without giving a specific reason.',
    customer_action: 'Contact the bank or use another card with the secure payment link.',
  },
  do_not_honor: {
    explanation: 'The bank declined the charge ("do not honor"), usually because of a block on the card.',
    customer_action: 'Contact the bank to lift the block, or use another card.',
  },
  incorrect_cvc: {
    explanation: 'The security code (CVC) stored with the card did not match.',
    customer_action: 'Re-enter the card details with the secure payment link.',
  },
  authentication_required: {
    explanation:
      'The bank asked for extra authentication (3-D Secure) that could not happen on an automatic charge.',
    customer_action: 'Confirm the payment with the secure payment link.',
  },
  lost_or_stolen_card: {
    explanation: 'The card was reported lost or stolen, so the bank declined the charge.',
    customer_action: 'Add a new card with the secure payment link.',
  },
  processing_error: {
    explanation: 'A temporary error at the payment processor stopped the charge.',
    customer_action: 'Nothing is wrong with the card; we can retry the payment.',
  },
};

/** Explains a stored `failure_reason` code in words; unknown codes get a generic explanation. */
export function explainFailure(code: string | null): FailureExplanation | null {
  if (code === null) return null;
  return (
    explanations[code] ?? {
      explanation: `The payment was declined (${code.replaceAll('_', ' ')}).`,
      customer_action: 'Update the payment method with the secure payment link, or retry the payment.',
    }
  );
}
