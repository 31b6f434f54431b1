/**
 * The messages tabs exchange over their BroadcastChannel, decoded with io-ts at the boundary.
 * A `request` / `answer` / `event` carries one main <-> worker protocol message in `msg`, which
 * its receiver decodes in turn (the leader's host, a follower's RpcClient).
 *
 *   ping    any waiting tab -> the lock holder: "who leads?"
 *   leader  the lock holder -> all: its tab id, owner epoch, whether its engine is ready
 *   request follower -> leader (`to`): a client message (init, change_recorded, query, ...)
 *   answer  leader -> one follower (`to`): the answer to its request
 *   event   leader -> all followers: status, errors, changes_processed (`except`: its writer)
 */
import * as t from 'io-ts';
import { Count, strict, strictPartial } from '../protocol/primitives.js';

const TabId = t.string;

export const PingEnvelope = strict({ rsw: t.literal(1), kind: t.literal('ping'), from: TabId }, 'PingEnvelope');
export const LeaderEnvelope = strict({ rsw: t.literal(1), kind: t.literal('leader'), from: TabId, epoch: Count, ready: t.boolean }, 'LeaderEnvelope');
export const RequestEnvelope = strict({ rsw: t.literal(1), kind: t.literal('request'), from: TabId, to: TabId, msg: t.unknown }, 'RequestEnvelope');
export const AnswerEnvelope = strict({ rsw: t.literal(1), kind: t.literal('answer'), from: TabId, to: TabId, msg: t.unknown }, 'AnswerEnvelope');
export const EventEnvelope = strictPartial({ rsw: t.literal(1), kind: t.literal('event'), from: TabId, msg: t.unknown }, { except: TabId }, 'EventEnvelope');

export const BusEnvelope = t.union([PingEnvelope, LeaderEnvelope, RequestEnvelope, AnswerEnvelope, EventEnvelope], 'BusEnvelope');
export type BusEnvelope = t.TypeOf<typeof BusEnvelope>;
