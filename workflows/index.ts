export * from './ping';
export * from './case';
