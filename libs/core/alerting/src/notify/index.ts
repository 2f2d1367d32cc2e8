export * from './action-link';
export * from './notice-messages';
export * from './notice-policy';
export * from './first-notice.service';
export * from './digest-schedule';
export * from './sign-in-link';
