// Wraps a store so that every call yields to the event loop first, as a call to a database server would.
// With it, two requests in one process interleave between oidc-provider's read and its consume.
import type { Collection, Doc, Store } from '../../server/store/index.ts';

const tick = () => new Promise<void>((resolve) => { setImmediate(resolve); });

export function withLatency(store: Store): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop !== 'collection') {
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return <T extends Doc>(spec: Parameters<Store['collection']>[0]): Collection<T> => {
        const inner = target.collection<T>(spec);
        return new Proxy(inner, {
          get(col, method) {
            const value = Reflect.get(col, method, col);
            if (typeof value !== 'function') return value;
            return async (...args: unknown[]) => {
              await tick();
              return value.apply(col, args);
            };
          },
        });
      };
    },
  });
}
