export { Groups, GroupInputError, type Group } from './groups.ts';
export { Messages, MessageInputError, viewMessage, type Message, type MessageView } from './messages.ts';
export { AuditLog, type AuditEntry } from './audit.ts';
export { GrantCheck, ForbiddenError, GROUP_MESSAGES, type Caller, type Operation, type Permission, type GroupMessagesDetail } from './grant_check.ts';
export { socialApi, type GroupAppActions } from './api.ts';
export { socialPages } from './pages.ts';
