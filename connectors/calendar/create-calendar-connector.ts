import { operationsOf } from '../core/contract.ts';
import type { ConnectorDefinition } from '../core/definition.ts';
import type { CalendarBackend } from './backend.ts';
import { calendar } from './contract.ts';
import { bookOperation } from './operations/book.ts';
import { cancelOperation } from './operations/cancel.ts';
import { findSlotsOperation } from './operations/find-slots.ts';
import { listBookingsOperation } from './operations/list-bookings.ts';
import { rescheduleOperation } from './operations/reschedule.ts';
import type { CalendarDependencies } from './operations/shared.ts';

/**
 * The `calendar` connector over a backend: the same operation names and schemas whichever calendar
 * holds the events (the canonical writes `calendar.book` / `reschedule` / `cancel` of docs/evals.md
 * are a contract).
 */
export function createCalendarConnector(
  dependencies: CalendarDependencies & { title: string; grantedScopes?: string[] },
): ConnectorDefinition {
  const { backend } = dependencies;
  return {
    id: 'calendar',
    title: dependencies.title,
    grantedScopes: dependencies.grantedScopes ?? [
      ...new Set([...backend.scopes.read, ...backend.scopes.write]),
    ],
    check: (signal) => backend.check(signal),
    operations: operationsOf(
      calendar,
      [
        findSlotsOperation(dependencies),
        listBookingsOperation(dependencies),
        bookOperation(dependencies),
        rescheduleOperation(dependencies),
        cancelOperation(dependencies),
      ],
      'calendar',
    ),
  };
}

export type { CalendarBackend };
