export * from './notice.types';
export * from './webhook-signature';
export * from './notify.adapter';
export * from './memory-notice.ledger';
export { buildRequest, readAnswer, type ChannelRequest, type ChannelAnswer } from './channel-requests';
export * from './file-notice.ledger';
