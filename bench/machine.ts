// Describes the machine a benchmark ran on, for the header of bench/results.md.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

export interface MachineInfo {
  readonly nproc: number;
  readonly cpu: string;
  readonly node: string;
  readonly dnsperf: string;
  readonly date: string;
  /** 1-minute load average when the run started: the machine is shared, others may be busy. */
  readonly load1: number;
}

export function cpuModel(cpuinfo: string): string {
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
}

export function machineInfo(dnsperfVersion: string): MachineInfo {
  let cpu = 'unknown';
  try {
    cpu = cpuModel(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    // not Linux: the model stays unknown
  }
  const nproc =
    Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()) || availableParallelism();
  return {
    nproc,
    cpu,
    node: process.version,
    dnsperf: dnsperfVersion,
    date: new Date().toISOString(),
    load1: loadavg()[0] ?? NaN,
  };
}

export function machineLines(m: MachineInfo): string[] {
  return [
    `- date: ${m.date}`,
    `- machine: ${m.nproc} CPUs (nproc), ${m.cpu}`,
    `- node ${m.node}, dnsperf ${m.dnsperf}`,
    `- 1-minute load average at the start: ${m.load1.toFixed(2)} (shared machine: other jobs may run)`,
  ];
}
