export { Groups, GroupInputError, type Group } from './groups.ts';
