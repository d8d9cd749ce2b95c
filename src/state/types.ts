// TypeScript shape of the parts of Mesos's GET /master/state that mesos-dns reads. Every field
// is optional on the wire: validation (mesos/validate-state.ts) checks what generation relies on.

export interface MesosLabel {
  key: string;
  value?: string;
}

export interface MesosLabels {
  labels?: MesosLabel[];
}

export interface MesosIPAddress {
  ip_address?: string;
  protocol?: string;
}

export interface MesosNetworkInfo {
  ip_addresses?: MesosIPAddress[];
  /** Mesos 0.25 form, kept by mesos-dns for compatibility. */
  ip_address?: string;
  name?: string;
}

export interface MesosTaskStatus {
  state: string;
  timestamp: number;
  /** Set by Mesos-native health checks only; absent when the task has none (or no result yet). */
  healthy?: boolean;
  labels?: MesosLabel[];
  container_status?: { network_infos?: MesosNetworkInfo[] };
}

export interface MesosDiscoveryPort {
  number: number;
  name?: string;
  protocol?: string;
  labels?: MesosLabels;
}

export interface MesosDiscoveryInfo {
  visibility?: string;
  name?: string;
  version?: string;
  location?: string;
  environment?: string;
  labels?: MesosLabels;
  ports?: { ports?: MesosDiscoveryPort[] };
}

export interface MesosTask {
  id: string;
  name: string;
  framework_id: string;
  slave_id: string;
  state: string;
  statuses?: MesosTaskStatus[];
  /** `ports` is Mesos's range text, e.g. "[31000-31001, 31005-31005]". */
  resources?: { ports?: string; cpus?: number; mem?: number; disk?: number };
  discovery?: MesosDiscoveryInfo;
  labels?: MesosLabel[];
}

export interface MesosFramework {
  id: string;
  name: string;
  /** libprocess UPID, e.g. "scheduler-1a2b@10.0.0.5:43210". */
  pid?: string;
  hostname?: string;
  active?: boolean;
  tasks?: MesosTask[];
  completed_tasks?: MesosTask[];
}

export interface MesosAgent {
  id: string;
  hostname: string;
  /** e.g. "slave(1)@10.0.0.7:5051" */
  pid?: string;
  active?: boolean;
}

export interface MesosState {
  version?: string;
  /** UPID of the leading master, e.g. "master@10.0.0.1:5050". */
  leader?: string;
  leader_info?: {
    id?: string;
    ip?: number;
    port?: number;
    hostname?: string;
    address?: { ip?: string; hostname?: string; port?: number };
  };
  hostname?: string;
  pid?: string;
  frameworks?: MesosFramework[];
  slaves?: MesosAgent[];
}

/**
 * A framework whose running tasks may be read one at a time: the load worker parses each task
 * from the state's bytes only when generation reaches it (mesos/state-split.ts), so the
 * state's whole tree never exists. Such a list can be iterated once. Every MesosFramework is one.
 */
export interface LazyMesosFramework extends Omit<MesosFramework, 'tasks'> {
  tasks?: Iterable<MesosTask>;
}

/** A state whose frameworks' tasks may be read one at a time (LazyMesosFramework). */
export interface LazyMesosState extends Omit<MesosState, 'frameworks'> {
  frameworks?: LazyMesosFramework[];
}
