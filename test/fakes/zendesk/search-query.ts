import type { FakeStatus, FakeTicket, FakeUser } from './objects.ts';

/**
 * The part of Zendesk's search syntax (https://support.zendesk.com/hc/en-us/articles/4408886879258)
 * the fake understands: `type:ticket`, `ticket_type:`, `status` with `:` `<` `>` `<=` `>=` (statuses
 * are ordered new < open < pending < hold < solved < closed), `priority:`, `tags:` (or `tag:`),
 * `requester:` (an email), `email:` (users), and bare words, which match the subject or description
 * (users: name or email). Terms are ANDed.
 */
const statusOrder: FakeStatus[] = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];

interface Term {
  key: string | null;
  operator: ':' | '<' | '>' | '<=' | '>=';
  value: string;
}

export function parseQuery(query: string): Term[] {
  const tokens = query.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
  return tokens.map((token) => {
    const match = /^([a-z_]+)(<=|>=|:|<|>)(.+)$/i.exec(token);
    if (!match) return { key: null, operator: ':', value: unquote(token).toLowerCase() };
    return {
      key: match[1]!.toLowerCase(),
      operator: match[2] as Term['operator'],
      value: unquote(match[3]!).toLowerCase(),
    };
  });
}

const unquote = (value: string) => value.replace(/^"(.*)"$/, '$1');

function compareStatus(status: FakeStatus, term: Term): boolean {
  const have = statusOrder.indexOf(status);
  const want = statusOrder.indexOf(term.value as FakeStatus);
  if (want < 0) return false;
  switch (term.operator) {
    case '<':
      return have < want;
    case '>':
      return have > want;
    case '<=':
      return have <= want;
    case '>=':
      return have >= want;
    default:
      return have === want;
  }
}

/** The search's object type: `type:ticket` or `type:user`; null when the query names none. */
export const searchType = (terms: Term[]) => terms.find((term) => term.key === 'type')?.value ?? null;

export function ticketMatches(ticket: FakeTicket, terms: Term[], users: Map<number, FakeUser>): boolean {
  const text = `${ticket.subject}\n${ticket.comments[0]?.body ?? ''}`.toLowerCase();
  return terms.every((term) => {
    switch (term.key) {
      case 'type':
        return term.value === 'ticket';
      case 'ticket_type':
        return ticket.type === term.value;
      case 'status':
        return compareStatus(ticket.status, term);
      case 'priority':
        return ticket.priority === term.value;
      case 'tags':
      case 'tag':
        return ticket.tags.includes(term.value);
      case 'requester':
        return users.get(ticket.requester_id)?.email.toLowerCase() === term.value;
      case null:
        return text.includes(term.value);
      default:
        return false;
    }
  });
}

export function userMatches(user: FakeUser, terms: Term[]): boolean {
  return terms.every((term) => {
    if (term.key === 'email') return user.email.toLowerCase() === term.value;
    if (term.key === 'role') return user.role === term.value;
    if (term.key === null) return `${user.name} ${user.email}`.toLowerCase().includes(term.value);
    return term.key === 'type' && term.value === 'user';
  });
}
