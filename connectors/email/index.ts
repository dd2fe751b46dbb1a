export { createEmailConnector, type EmailConnectorOptions } from './connector.ts';
export { createEmailDispatcher, type EmailDispatcher } from './dispatcher.ts';
export { authenticateInboundEmail, type DnsResolver, type SmtpEnvelope } from './inbound/authenticate.ts';
export { type InboundParseResult, type ParsedInboundEmail, parseInboundEmail } from './inbound/parse.ts';
export { type InboundMailOptions, receiveInboundEmail } from './inbound/receive.ts';
export {
  createInboundSmtpServer,
  type InboundMessageEvent,
  type InboundSmtpServer,
} from './inbound/smtp-server.ts';
export { isAlignedDmarcPass, type MailAuthVerdict, mailAuthOf } from './inbound/verdict.ts';
export { checkReplyToken, mintMessageId, type ReplyTokenKeys, replyTokenKeysFrom } from './message-id.ts';
export type { SendEmailInput } from './send.ts';
export { emailTemplates, renderEmail, type TemplateName } from './templates/index.ts';
export {
  createEmailTransport,
  createFileTransport,
  createSmtpTransport,
  type EmailTransport,
  emlPathFor,
  type OutgoingEmail,
} from './transport.ts';
