export { Groups, GroupInputError, GROUP_ID, type Group } from './groups.ts';
export { Messages, MessageInputError, MAX_TEXT, viewMessage, type Message, type MessageView } from './messages.ts';
export { AuditLog, type AuditEntry } from './audit.ts';
export { GrantCheck, ForbiddenError, GROUP_MESSAGES, type Caller, type Operation, type Permission, type GroupMessagesDetail } from './grant_check.ts';
export { socialApiRoutes, type GroupAppActions } from './api.ts';
export { GROUP_ID_SCHEMA, MESSAGE_TEXT_SCHEMA, socialApiDescription, userSecurity } from './openapi.ts';
export { socialPages } from './pages.ts';
