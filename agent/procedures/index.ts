import type { Intent } from '../intents.ts';
import { accountAccessProcedure } from './account-access.ts';
import { updateContactProcedure } from './account-update-contact.ts';
import { cancelSubscriptionProcedure } from './billing-cancel-subscription.ts';
import { changePlanProcedure } from './billing-change-plan.ts';
import { duplicateChargeProcedure } from './billing-duplicate-charge.ts';
import { invoiceCopyProcedure } from './billing-invoice-copy.ts';
import { paymentFailedProcedure } from './billing-payment-failed.ts';
import { refundRequestProcedure } from './billing-refund-request.ts';
import { bookCallProcedure } from './calendar-book-call.ts';
import { cancelCallProcedure } from './calendar-cancel-call.ts';
import { rescheduleCallProcedure } from './calendar-reschedule-call.ts';
import { humanRequestProcedure } from './human-request.ts';
import { kbQuestionProcedure } from './kb-question.ts';
import { otherProcedure } from './other.ts';
import { privacyRequestProcedure } from './privacy-data-request.ts';
import type { Procedure } from './procedure.ts';
import { reportBugProcedure } from './ticket-report-bug.ts';
import { ticketStatusProcedure } from './ticket-status.ts';

/** Every procedure by intent. Adding one is a new file and a line here; the graph does not change. */
export const procedures: Record<Intent, Procedure> = Object.fromEntries(
  [
    duplicateChargeProcedure,
    refundRequestProcedure,
    invoiceCopyProcedure,
    paymentFailedProcedure,
    changePlanProcedure,
    cancelSubscriptionProcedure,
    bookCallProcedure,
    rescheduleCallProcedure,
    cancelCallProcedure,
    reportBugProcedure,
    ticketStatusProcedure,
    updateContactProcedure,
    accountAccessProcedure,
    privacyRequestProcedure,
    kbQuestionProcedure,
    humanRequestProcedure,
    otherProcedure,
  ].map((procedure) => [procedure.intent, procedure]),
) as Record<Intent, Procedure>;
