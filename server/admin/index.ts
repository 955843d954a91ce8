export { AdminOperations, SeedError, type SeedFile, type SeedSummary, type GroupView } from './operations.ts';
export { adminApi } from './api.ts';
export { adminApiDescription } from './openapi.ts';
