import EmailReplyParser from 'email-reply-parser';

/** What the agent reads of a mail, and how it was found. */
export interface ReplyText {
  /** The new text of the reply; never empty for a mail with any text. */
  text: string;
  /** True when anything was removed: quoted history, a forward, a signature, a greeting, a disclaimer. */
  quoteRemoved: boolean;
  /**
   * `reply`: the parser found new text. `whole`: it found none (a reply that is all quote, a bare
   * forward), so the agent reads the mail's unquoted lines, or all of it when every line is quoted.
   */
  extraction: 'reply' | 'whole';
}

/**
 * The parser's regular expressions run over the whole text (email-reply-parser uses RE2 only when
 * installed, and it is not), so a longer body is cut first: the new part of a reply is at the top.
 */
export const maxParsedCharacters = 50_000;

// Forward introductions email-reply-parser does not know (Gmail, Thunderbird, Apple Mail; en/de/fr).
const forwardMarkers = [
  /^-{5,} ?(Forwarded message|Forwarded Message|Weitergeleitete Nachricht|Message transféré) ?-{5,}$/i,
  /^(Begin forwarded message|Anfang der weitergeleiteten Nachricht|Début du message réexpédié) ?:$/i,
];

// Sign-offs email-reply-parser does not know ("Regards", "Cheers", "Cordialement" it does).
const signOff =
  /^(thanks|thank you|many thanks|thanks again|best|all the best|kind regards|viele grüße|beste grüße|liebe grüße|mit freundlichen grüßen|freundliche grüße|vielen dank|danke|merci|merci beaucoup|bien à vous|bien cordialement)[\s,.!]*$/i;

const greeting =
  /^(hi|hello|hey|dear|good (morning|afternoon|evening)|hallo|guten (morgen|tag|abend)|liebes?|lieber|sehr geehrte[rs]?|bonjour|bonsoir|salut|cher|chère|madame|monsieur)\b[^.?!:;]{0,40}[,!]?$/i;

/** A legal disclaimer: it claims confidentiality and addresses a reader it was not meant for. */
const isDisclaimer = (paragraph: string): boolean =>
  paragraph.length > 80 &&
  /confidential|privileged|vertraulich|confidentiel/i.test(paragraph) &&
  /intended|recipient|addressee|in error|empfänger|irrtümlich|destinataire|par erreur/i.test(paragraph);

/**
 * Line-level normalisation before parsing: CRLF, non-breaking spaces and trailing blanks (HTML
 * clients leave them; "-- " keeps its space), and a quote header wrapped inside its address — Gmail's
 * plain text breaks "… Support <" / "support@lumen.example> wrote:" over two lines.
 */
function normalise(body: string): string {
  const lines = body
    .slice(0, maxParsedCharacters)
    .replace(/\r\n?/g, '\n')
    .replace(/\u00a0/g, ' ')
    .split('\n')
    .map((line) => (line === '-- ' ? line : line.trimEnd()));
  const joined: string[] = [];
  for (const line of lines) {
    const previous = joined.at(-1);
    if (previous?.endsWith('<') && /^\S+@\S+>/.test(line)) joined[joined.length - 1] = previous + line;
    else joined.push(line);
  }
  return joined.join('\n');
}

/**
 * An Outlook header block that names no address ("From: Lumen Cloud" / "Sent: Monday"): the parser
 * knows only "From: Name <address>". A "From:" line counts when "Sent:" or "Date:" (or their
 * German and French forms) follows within four lines.
 */
const isBareHeaderBlock = (lines: string[], index: number): boolean =>
  /^(From|Von|De) ?:\s.+$/.test(lines[index]!) &&
  lines.slice(index + 1, index + 5).some((line) => /^(Sent|Date|Gesendet|Datum|Envoyé) ?:\s/.test(line));

/** The text above the first forward introduction or address-less Outlook header block. */
function beforeUnparsedQuotes(text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex(
    (line, index) =>
      forwardMarkers.some((marker) => marker.test(line.trim())) || isBareHeaderBlock(lines, index),
  );
  return start < 0 ? text : lines.slice(0, start).join('\n');
}

type Fragment = ReturnType<ReturnType<EmailReplyParser['read']>['getFragments']>[number];

/**
 * A fragment the parser hid as a signature although it opens with a sentence of five words or more
 * ("Sent from the contact page at 9:40, but nobody answered."): the library takes any line starting
 * "Sent from" for a phone's signature. Signature lines are short and unpunctuated ("Sent from my
 * iPhone", "Best regards,", "-- ").
 */
const isSentenceTakenForSignature = (fragment: Fragment): boolean => {
  const firstLine = fragment.getContent().trim().split('\n')[0]!.trim();
  return (
    fragment.isSignature() &&
    !fragment.isQuoted() &&
    /[.?!]$/.test(firstLine) &&
    firstLine.split(/\s+/).length >= 5
  );
};

/**
 * The new part according to email-reply-parser: its visible fragments above the first quoted
 * fragment (a top-posted reply), else all its visible fragments (a reply below or between quotes).
 */
function parsedReply(text: string): string {
  const fragments = new EmailReplyParser().read(text).getFragments();
  const firstQuote = fragments.findIndex((fragment) => fragment.isQuoted());
  const visible = (list: typeof fragments) => {
    let text = '';
    let gap = false;
    for (const fragment of list) {
      const content = fragment.getContent().trim();
      if (fragment.isHidden() && !isSentenceTakenForSignature(fragment)) gap = true;
      else if (content) {
        // Text on both sides of a removed quote stays two paragraphs; neighbouring text stays one.
        text += text ? `${gap ? '\n\n' : '\n'}${content}` : content;
        gap = false;
      }
    }
    return text;
  };
  return visible(firstQuote < 0 ? fragments : fragments.slice(0, firstQuote)) || visible(fragments);
}

/** Drops a greeting-only first line, trailing legal disclaimers and a trailing sign-off with its name. */
function withoutCourtesies(text: string): string {
  const paragraphs = text.split(/\n\s*\n/);
  while (paragraphs.length > 1 && isDisclaimer(paragraphs.at(-1)!)) paragraphs.pop();
  const lines = paragraphs.join('\n\n').split('\n');
  if (lines.length > 1 && greeting.test(lines[0]!.trim())) lines.shift();
  // A sign-off is followed by at most two short name lines ("Thanks,\nMaya Lindqvist\nBrightpath").
  const tail = lines.findLastIndex((line) => signOff.test(line.trim()));
  const nameLines = lines.slice(tail + 1);
  if (
    tail > 0 &&
    nameLines.length <= 2 &&
    nameLines.every((line) => line.trim().length <= 40 && !/[.?!:]$/.test(line.trim()))
  ) {
    lines.splice(tail);
  }
  return lines.join('\n').trim();
}

/**
 * What the customer wrote this time, for the agent: quoted history (`>` lines, "On … wrote:" and its
 * translations, Outlook's "-----Original Message-----" and "From: … Sent: …" blocks), signatures
 * ("-- ", "Sent from my iPhone", "Regards"), forwarded blocks, a greeting-only line, a trailing
 * sign-off and legal disclaimers removed. Quotes and signatures are email-reply-parser's; forwards,
 * courtesies and disclaimers are ours. When that leaves nothing, the unquoted lines of the mail, or
 * the whole mail: never an empty message for a mail with any text.
 */
export function extractReplyText(body: string): ReplyText {
  const whole = body.replace(/\r\n?/g, '\n').trim();
  const reply = withoutCourtesies(parsedReply(beforeUnparsedQuotes(normalise(body))));
  if (reply) return { text: reply, quoteRemoved: reply !== whole, extraction: 'reply' };
  const unquoted = whole
    .split('\n')
    .filter((line) => !/^\s*>/.test(line))
    .join('\n')
    .trim();
  return {
    text: unquoted || whole,
    quoteRemoved: unquoted !== '' && unquoted !== whole,
    extraction: 'whole',
  };
}
