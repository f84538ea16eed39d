export * from './probes/ping';
export * from './probes/echo';
export * from './case';
