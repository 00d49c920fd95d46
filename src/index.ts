export * from './event-driven-microservice';
export * from './event-store';
export * from './event-source';
export * from './source-mappers';
export * from './handler';
export * from './cqrs-tables';
export * from './domain-event-publisher';
export * from './service-api';
