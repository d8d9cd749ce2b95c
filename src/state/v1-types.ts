// TypeScript shape of the parts of the Mesos v1 operator API (POST /api/v1, SUBSCRIBE) that the
// server reads, as protobuf's JSON mapping writes them: include/mesos/v1/master/master.proto
// (Event, Response.GetState/GetAgents/GetFrameworks/GetTasks/GetMaster) and
// include/mesos/v1/mesos.proto (Task, TaskStatus, AgentInfo, FrameworkInfo, Resource, Labels,
// DiscoveryInfo, NetworkInfo). Ids are `{"value": …}` messages, enums their names as strings.
// Every field is optional on the wire: conversion (mesos/v1-state.ts) checks what it relies on.

export interface V1Id {
  value?: string;
}

export interface V1Label {
  key?: string;
  value?: string;
}

export interface V1Labels {
  labels?: V1Label[];
}

export interface V1Range {
  begin?: number;
  end?: number;
}

/** mesos.proto Resource: `type` is "SCALAR" | "RANGES" | "SET" | "TEXT". */
export interface V1Resource {
  name?: string;
  type?: string;
  scalar?: { value?: number };
  ranges?: { range?: V1Range[] };
  set?: { item?: string[] };
  role?: string;
}

export interface V1IPAddress {
  /** "IPv4" | "IPv6" */
  protocol?: string;
  ip_address?: string;
}

export interface V1NetworkInfo {
  ip_addresses?: V1IPAddress[];
  name?: string;
  groups?: string[];
  labels?: V1Labels;
}

export interface V1ContainerStatus {
  container_id?: V1Id;
  network_infos?: V1NetworkInfo[];
  executor_pid?: number;
}

export interface V1TaskStatus {
  task_id?: V1Id;
  /** TaskState name, e.g. "TASK_RUNNING". */
  state?: string;
  message?: string;
  source?: string;
  reason?: string;
  agent_id?: V1Id;
  executor_id?: V1Id;
  /** Seconds since the epoch (double). */
  timestamp?: number;
  uuid?: string;
  healthy?: boolean;
  labels?: V1Labels;
  container_status?: V1ContainerStatus;
}

export interface V1DiscoveryPort {
  number?: number;
  name?: string;
  protocol?: string;
  visibility?: string;
  labels?: V1Labels;
}

export interface V1DiscoveryInfo {
  visibility?: string;
  name?: string;
  environment?: string;
  location?: string;
  version?: string;
  ports?: { ports?: V1DiscoveryPort[] };
  labels?: V1Labels;
}

export interface V1Task {
  name?: string;
  task_id?: V1Id;
  framework_id?: V1Id;
  executor_id?: V1Id;
  agent_id?: V1Id;
  state?: string;
  resources?: V1Resource[];
  statuses?: V1TaskStatus[];
  status_update_state?: string;
  status_update_uuid?: string;
  labels?: V1Labels;
  discovery?: V1DiscoveryInfo;
  container?: unknown;
  user?: string;
}

/** TimeInfo. */
export interface V1Time {
  nanoseconds?: number;
}

export interface V1AgentInfo {
  hostname?: string;
  port?: number;
  id?: V1Id;
  resources?: V1Resource[];
  attributes?: unknown[];
  domain?: unknown;
}

/** master.proto Response.GetAgents.Agent. */
export interface V1Agent {
  agent_info?: V1AgentInfo;
  active?: boolean;
  deactivated?: boolean;
  version?: string;
  /** e.g. "slave(1)@10.0.0.7:5051" */
  pid?: string;
  registered_time?: V1Time;
  reregistered_time?: V1Time;
  total_resources?: V1Resource[];
  allocated_resources?: V1Resource[];
  offered_resources?: V1Resource[];
  capabilities?: { type?: string }[];
}

export interface V1FrameworkInfo {
  user?: string;
  name?: string;
  id?: V1Id;
  failover_timeout?: number;
  checkpoint?: boolean;
  role?: string;
  roles?: string[];
  hostname?: string;
  principal?: string;
  webui_url?: string;
  capabilities?: { type?: string }[];
  labels?: V1Labels;
}

/** master.proto Response.GetFrameworks.Framework: no scheduler pid (see the v0 endpoints). */
export interface V1Framework {
  framework_info?: V1FrameworkInfo;
  active?: boolean;
  connected?: boolean;
  recovered?: boolean;
  registered_time?: V1Time;
  reregistered_time?: V1Time;
  unregistered_time?: V1Time;
  allocated_resources?: V1Resource[];
  offered_resources?: V1Resource[];
}

export interface V1GetState {
  get_tasks?: {
    tasks?: V1Task[];
    unreachable_tasks?: V1Task[];
    completed_tasks?: V1Task[];
    orphan_tasks?: V1Task[];
  };
  get_executors?: unknown;
  get_frameworks?: { frameworks?: V1Framework[]; completed_frameworks?: V1Framework[] };
  get_agents?: { agents?: V1Agent[]; recovered_agents?: V1AgentInfo[] };
}

export interface V1MasterInfo {
  id?: string;
  ip?: number;
  port?: number;
  /** "master@10.0.0.1:5050" */
  pid?: string;
  hostname?: string;
  version?: string;
  address?: { hostname?: string; ip?: string; port?: number };
}

/** master.proto Event.Type names. */
export type V1EventType =
  | 'SUBSCRIBED'
  | 'TASK_ADDED'
  | 'TASK_UPDATED'
  | 'AGENT_ADDED'
  | 'AGENT_REMOVED'
  | 'FRAMEWORK_ADDED'
  | 'FRAMEWORK_UPDATED'
  | 'FRAMEWORK_REMOVED'
  | 'HEARTBEAT'
  | 'UNKNOWN';

export const V1_EVENT_TYPES: readonly V1EventType[] = [
  'SUBSCRIBED',
  'TASK_ADDED',
  'TASK_UPDATED',
  'AGENT_ADDED',
  'AGENT_REMOVED',
  'FRAMEWORK_ADDED',
  'FRAMEWORK_UPDATED',
  'FRAMEWORK_REMOVED',
  'HEARTBEAT',
  'UNKNOWN',
];

/** master.proto Event. */
export interface V1Event {
  type?: string;
  subscribed?: { get_state?: V1GetState; heartbeat_interval_seconds?: number };
  task_added?: { task?: V1Task };
  task_updated?: { framework_id?: V1Id; status?: V1TaskStatus; state?: string };
  agent_added?: { agent?: V1Agent };
  agent_removed?: { agent_id?: V1Id };
  framework_added?: { framework?: V1Framework };
  framework_updated?: { framework?: V1Framework };
  framework_removed?: { framework_info?: V1FrameworkInfo };
}

/** The v0 /master/state-summary frameworks entry: where a scheduler's pid is still found. */
export interface SummaryFramework {
  id?: string;
  name?: string;
  pid?: string;
  hostname?: string;
}

export interface StateSummary {
  hostname?: string;
  frameworks?: SummaryFramework[];
}

/**
 * mesos.proto TaskState values after which a task never runs again: the master moves it to
 * completed tasks and the stream sends no more for it.
 */
export const TERMINAL_TASK_STATES: ReadonlySet<string> = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);
