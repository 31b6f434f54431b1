import 'rx-sync-worker/worker-entry';
