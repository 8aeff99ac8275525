import { startRelay } from '../relay/index.js';
import { numberOption, parseArgs, UsageError } from './args.js';

/** `co86 relay [--port N] [--host ADDR]`: runs until interrupted. */
export async function relay(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['port', 'host', 'static'], flags: [] });
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const server = await startRelay({
    port: numberOption(args, 'port', Number(process.env.PORT ?? 8086), 0, 65535),
    host: args.values.get('host') ?? '0.0.0.0',
    staticDir: args.values.get('static'),
    log: (line) => process.stderr.write(`relay: ${line}\n`),
  });
  process.stdout.write(`co86 relay listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
