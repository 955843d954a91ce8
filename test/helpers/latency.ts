// Wraps a store so that every call yields to the event loop first, as a call to a database server would.
// With it, two requests in one process interleave between oidc-provider's read and its consume.
import type { Store } from '../../server/store/index.ts';
import { beforeEveryCall } from './store_calls.ts';

const tick = () => new Promise<void>((resolve) => { setImmediate(resolve); });

export function withLatency(store: Store): Store {
  return beforeEveryCall(store, tick);
}
