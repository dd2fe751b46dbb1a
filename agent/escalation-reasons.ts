/** Why a conversation went to a human (docs/product.md, "Escalation"): an enumeration, never free text only. */
export const escalationReasons = [
  'connector_failure',
  'low_confidence',
  'policy_requires_human',
  'approval_required',
  'customer_requested',
  'security_sensitive',
  'negative_sentiment',
  'loop_detected',
  'injection_suspected',
] as const;

export type EscalationReason = (typeof escalationReasons)[number];
