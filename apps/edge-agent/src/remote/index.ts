export * from './disk-outbox';
export * from './remote-backend';
