/** Pure: the metrics counters after one engine event. */
import { addMetrics, type EngineMetrics } from '../log/metrics.js';
import type { EngineEvent } from './events.js';

/** The counters after `event`. Returns `m` itself when the event counts nothing. */
export function reduceMetrics(m: EngineMetrics, event: EngineEvent): EngineMetrics {
  switch (event.type) {
    case 'recorded':
      return addMetrics(m, { changesRecorded: event.count });
    case 'sent':
      return addMetrics(m, { changesSent: event.change_ids.length, framesSent: 1 });
    case 'acked':
      return addMetrics(m, { changesAcked: event.change_ids.length });
    case 'attempt':
      return addMetrics(m, { attempts: 1 });
    case 'failed':
      return addMetrics(m, { changesFailed: 1 });
    case 'batch_applied':
      return addMetrics(m, { batchesApplied: 1, changesApplied: event.applied, applyTimeMs: event.ms });
    case 'batch_skipped':
      return addMetrics(m, { batchesSkipped: 1 });
    case 'error':
      return addMetrics(m, { errors: 1 });
    case 'quarantined':
      return addMetrics(m, { changesQuarantined: event.change_ids.length });
    case 'rows_fetched':
      return addMetrics(m, { rowsFetched: event.count });
    case 'server_changed':
      return addMetrics(m, { serverResets: 1 });
    default:
      return m;
  }
}
