export { WebhookSender, type DeliveryAttempt, type WebhookMessage, type WebhookTarget } from './webhooks.ts';
