// Types for scripts/build-services.mjs, so the TypeScript tests can import it.
export function compactIanaTable(registry: Record<string, unknown>, packageVersion: string): string;
export function buildIanaServices(outFile: string): boolean;
