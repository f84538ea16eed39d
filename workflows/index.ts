export * from './ping';
export * from './echo';
export * from './case';
