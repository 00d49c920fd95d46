export * from './event-driven-microservice';
export * from './event-store';
export * from './event-source';
export * from './source-mappers';
export * from './handler';
