import type { ListQuery, Operation } from '@ferry/core';
import { useEffect, useState } from 'react';
import { useFerry } from './FerryProvider.ts';

/**
 * The ops `client.list(query)` returns, kept current: `undefined` until the
 * first answer. A broadcast change that may touch the list (an op of the
 * query's lane and user, whatever its status) asks again, one `list` at a
 * time: changes that come while one is on its way make one more after it,
 * so a burst of changes costs two requests, not one per change. The query is
 * compared by value, so an inline object literal is fine. Stops listening
 * on unmount.
 */
export function useOps(query: ListQuery = {}): Operation[] | undefined {
  const client = useFerry();
  // Only the known fields, in a fixed order: the same query is the same key.
  const { status, lane, user, limit } = query;
  const key = JSON.stringify({ status, lane, user, limit });
  const [state, setState] = useState<{ key: string; ops: Operation[] | undefined }>({ key, ops: undefined });
  useEffect(() => {
    const wanted = JSON.parse(key) as ListQuery;
    let live = true;
    let running = false;
    let again = false;
    const load = (): void => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      again = false;
      client.list(wanted).then(
        (ops) => {
          running = false;
          if (!live) return;
          if (again) load();
          else setState({ key, ops });
        },
        () => {
          running = false;
          if (live && again) load();
        },
      );
    };
    const off = client.subscribe((change) => {
      if (wanted.lane !== undefined && change.op.lane !== wanted.lane) return;
      if (wanted.user !== undefined && change.op.user !== wanted.user) return;
      load();
    });
    load();
    return () => {
      live = false;
      off();
    };
  }, [client, key]);
  return state.key === key ? state.ops : undefined;
}
