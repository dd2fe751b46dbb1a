import { ticketing } from '../../connectors/contracts.ts';
import { ask, mustRead, outputOf, type Procedure, writeAction } from './procedure.ts';

const urgent =
  /\b(down|outage|all (our|my) (data|dashboards)|production|data loss|lost data|nothing works|completely broken|urgent|critical|asap)\b/i;
const high =
  /\b(missing|not (loading|working|showing)|error|errors|fail(s|ed|ing)?|broken|crash(es|ed)?|wrong)\b/i;

/** Known incident linked if any, else a ticket with a severity; the reference emailed. */
export const reportBugProcedure: Procedure = {
  intent: 'ticket.report_bug',
  title: 'reporting a problem',
  verification: 'none',
  slots: {
    description: {
      prompt:
        "Sorry about that. Could you describe what's happening — what you did, what you expected, and what you see instead?",
    },
    email: { prompt: 'Which email address should our engineers reply to about this ticket?' },
  },
  async plan(context) {
    const description =
      context.slots.description ?? (context.message.split(/\s+/).length >= 6 ? context.message : undefined);
    if (!description) return ask(this, 'description');
    // An anonymous visitor can file a ticket: the engineers need an address to answer.
    if (!context.customer && !context.slots.email) return ask(this, 'email');
    const { data } = await mustRead(context, ticketing.searchIncidents, {
      query: description,
      only_open: true,
      limit: 1,
    });
    const incident = data.incidents[0];
    const priority = incident
      ? incident.severity === 'SEV1'
        ? 'urgent'
        : 'high'
      : urgent.test(description)
        ? 'urgent'
        : high.test(description)
          ? 'high'
          : 'normal';
    const subject = description.split(/[.!?\n]/)[0]!.slice(0, 120);
    const known = incident
      ? `This looks like a known issue our engineers are already working on: "${incident.title}" (${incident.id}) — ${incident.summary} `
      : '';
    return {
      kind: 'confirm',
      prompt: `${known}Shall I open a ${priority}-priority ticket${incident ? ` linked to ${incident.id} so you get updates` : ' for our engineers'}?`,
      actions: [
        writeAction(
          ticketing.createTicket,
          {
            subject,
            description,
            priority,
            category: 'bug',
            ...(context.customer ? {} : { requester_email: context.slots.email }),
          },
          `open a ${priority}-priority bug ticket: ${subject}`,
        ),
      ],
    };
  },
  complete(context, results) {
    const output = outputOf(results, ticketing.createTicket);
    const incident = output.incident;
    return {
      text: `I've opened ticket ${output.ticket_id}${incident ? `, linked to the known incident ${incident.id}` : ''}. Our engineers will follow up by email${context.customer ? ', and I have emailed you the reference' : ''}.`,
      ...(context.customer
        ? {
            email: {
              template: 'ticket_created',
              variables: {
                ticket_id: output.ticket_id,
                subject: output.subject.slice(0, 200),
                priority: results[0]!.action.input.priority,
                ...(incident ? { incident_title: incident.title.slice(0, 200) } : {}),
              },
            },
          }
        : {}),
    };
  },
};
