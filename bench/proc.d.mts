// Types for bench/proc.mjs, so bench/interleaved.ts can import it.
export const CLOCK_TICKS: number;
export function rssBytes(pid: number): number;
export function cpuTicks(pid: number, withChildren?: boolean): number;
export function minorFaults(pid: number): number;
export function processTree(pid: number): number[];
export function sumOverTree(pid: number, valueOf: (pid: number) => number): number;
export function freePort(): Promise<number>;
export function accepts(port: number): Promise<boolean>;
