import closeWithGrace from 'close-with-grace';
import { loadGatewayConfig } from './config';
import { buildServer } from './server';

const config = loadGatewayConfig();
const server = await buildServer({ config });

// On SIGTERM/SIGINT: stop accepting (new requests get 503), finish in-flight ones, close queue and database.
closeWithGrace({ delay: 20_000 }, async ({ signal, err }) => {
  if (err) server.log.error({ err }, 'shutting down after an error');
  else server.log.info({ signal }, 'shutting down');
  await server.close();
});

await server.listen({ port: config.PORT, host: config.HOST });
