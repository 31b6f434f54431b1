/**
 * One dialled connection of the transport, and the words and frames it is made of: why the
 * transport ended it, how that reads in an error, and its `hello`.
 */
import type { Subscription } from 'rxjs';
import { PROTOCOL_VERSION, type Hello } from '../protocol/index.js';
import type { HelloInfo } from './types.js';

/** Why the transport itself ended a connection (null: the peer or the network ended it). */
export type Ending = 'disconnect' | 'auth' | 'heartbeat' | 'connect_timeout' | 'handshake' | null;

/** One dialled connection. */
export interface Session {
  ending: Ending;
  handshake: Subscription | null;
  /** The server the replica synced with, as hello() said (null: none yet). */
  serverId: string | null;
}

/** The `hello` of a connection (the token only when `token()` gave one). */
export function helloFrame(info: HelloInfo, token: string | null | undefined): Hello {
  const hello: Hello = { type: 'hello', protocol: PROTOCOL_VERSION, client_id: info.client_id, last_lsn: info.last_lsn };
  if (info.schema_version !== undefined) hello.schema_version = info.schema_version;
  if (info.scopes !== undefined) hello.scopes = info.scopes;
  if (token !== undefined) hello.token = token;
  return hello;
}

/** What a connection error says about an ending the transport chose (or none). */
export function describeEnding(ending: Ending): string {
  switch (ending) {
    case 'heartbeat':
      return 'no frame from the server within the heartbeat timeout: connection closed';
    case 'connect_timeout':
      return 'no welcome within the connect timeout: connection closed';
    default:
      return 'connection closed';
  }
}
