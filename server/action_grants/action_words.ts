// An action in words, with the group's name, in the reader's language ("Post messages in Weekend Hiking as you").
import { isMessageKey, type Translate } from '../http/index.ts';

export function describeAction(action: string, group: string, t: Translate): string {
  const key = `action.${action}`;
  return isMessageKey(key) ? t(key, { group }) : `${action} (${group})`;
}
