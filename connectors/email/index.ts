export { createEmailConnector, type EmailConnectorOptions } from './connector.ts';
export { createEmailDispatcher, type EmailDispatcher } from './dispatcher.ts';
export { type InboundParseResult, type ParsedInboundEmail, parseInboundEmail } from './inbound/parse.ts';
export {
  createInboundSmtpServer,
  type InboundMessageEvent,
  type InboundSmtpServer,
} from './inbound/smtp-server.ts';
export { type StoredInboundEmail, storeInboundEmail } from './inbound/store.ts';
export { messageIdFor } from './message-id.ts';
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
