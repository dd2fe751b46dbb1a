import { z } from 'zod';
import { defineTemplate } from './render.ts';

/** A reply in a conversation the customer started by email (the assistant's or a human's). */
export const conversationReply = defineTemplate({
  name: 'conversation_reply',
  description: 'A reply to the customer in an email conversation.',
  // The reply goes to the contact's address on file — the address that wrote in.
  allowUnverified: true,
  variables: z.object({
    paragraphs: z.array(z.string().min(1).max(8000)).min(1).max(20),
    author: z.string().min(1).max(200),
    subject: z.string().max(300).default('Your support request'),
    /** The signed "How did we do?" page of this conversation, once it is answered or resolved. */
    rateUrl: z.url({ protocol: /^https?$/ }).optional(),
  }),
  render: (v) => ({
    subject: v.subject.toLowerCase().startsWith('re:') ? v.subject : `Re: ${v.subject}`,
    blocks: [
      ...v.paragraphs.map((text) => ({ kind: 'paragraph' as const, text })),
      { kind: 'paragraph' as const, text: `— ${v.author}` },
      ...(v.rateUrl
        ? [{ kind: 'link' as const, label: 'How did we do? Rate this conversation', url: v.rateUrl }]
        : []),
    ],
  }),
});
