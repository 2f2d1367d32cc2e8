export { buildServer, type BuildOptions } from './server';
export { default as gatewayApp, type AppOptions } from './app';
export { loadGatewayConfig, GatewayConfigSchema, type GatewayConfig } from './config';
