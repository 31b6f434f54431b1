/** Many tabs, one database (issue 13): leader election, relay, failover. */
export { tabChannel } from './tab-channel.js';
export { browserTabsRuntime } from './runtime.js';
export type { TabsOptions, TabsRuntime } from './options.js';
export type { TabRole } from './role-machine.js';
