/**
 * Signals next to the Observables. Both helpers run in an injection context and stop their
 * subscription when that context (component, service, app) is destroyed. A signal write marks the
 * templates that read it for change detection, zoneless or with zone.js alike.
 */
import { DestroyRef, inject, signal, type Signal } from '@angular/core';
import { type Observable } from 'rxjs';
import { INITIAL_STATUS, type SyncStatus } from '../client/create-sync-client.js';
import type { SyncError } from '../errors.js';
import { injectSyncClient } from './provide.js';

/** A signal of `source$`'s latest value (`initial` until the first one), unsubscribed on destroy. */
function fromObservable<T>(source$: Observable<T>, initial: T, onError?: (e: unknown) => void): Signal<T> {
  const value = signal(initial);
  const sub = source$.subscribe({ next: (v) => value.set(v), error: (e: unknown) => onError?.(e) });
  inject(DestroyRef).onDestroy(() => sub.unsubscribe());
  return value.asReadonly();
}

/** The client's status as a Signal (`connection`, `lsn`, `pending`, `lastError`, ...). */
export function injectSyncStatus(): Signal<SyncStatus> {
  return fromObservable(injectSyncClient().status$, INITIAL_STATUS);
}

/** A live query as a Signal of its rows (`[]` until the first result); re-runs when its tables change. */
export function injectLiveQuery<T = Record<string, unknown>>(sql: string, params: readonly (string | number | null)[] = []): Signal<T[]> {
  return fromObservable(injectSyncClient().query$<T>(sql, params), [] as T[]);
}

/** The latest error of `errors$` as a Signal (`null` until one comes). */
export function injectSyncError(): Signal<SyncError | null> {
  return fromObservable<SyncError | null>(injectSyncClient().errors$, null);
}
