/** The machine a run happened on, read at run time, for RESULTS.md. */
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from 'node:os';

export interface MachineDescription {
  os: string;
  cpuModel: string;
  logicalCores: number;
  availableParallelism: number;
  memoryGiB: number;
  node: string;
  openssl: string;
  /** 1-minute load average when the run started: other work on the machine skews the numbers. */
  loadAverage1m: number;
}

export function describeMachine(): MachineDescription {
  const list = cpus();
  return {
    os: `${osType()} ${release()} (${process.arch})`,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    logicalCores: list.length,
    availableParallelism: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    openssl: process.versions.openssl ?? 'unknown',
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
