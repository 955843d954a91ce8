// Wraps a store so that something runs before every collection call: latency, or a test holding one call.
import type { Collection, Doc, Store } from '../../server/store/index.ts';

export type BeforeCall = (collection: string, method: string) => Promise<void>;

export function beforeEveryCall(store: Store, before: BeforeCall): Store {
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop !== 'collection') return typeof value === 'function' ? value.bind(target) : value;
      return <T extends Doc>(spec: Parameters<Store['collection']>[0]): Collection<T> => new Proxy(target.collection<T>(spec), {
        get(col, method) {
          const fn = Reflect.get(col, method, col);
          if (typeof fn !== 'function') return fn;
          return async (...args: unknown[]) => {
            await before(spec.name, String(method));
            return fn.apply(col, args);
          };
        },
      });
    },
  });
}
