import { InputError, UsageError } from './args.js';

const USAGE = `usage: co86 <command> [options]

commands:
  boot [--fda F] [--hda F] [--cdrom F] [--boot cdrom,hd,floppy] [--kernel F [--initrd F] [--append S]]
       [--mem MB] [--net ws://HOST:PORT/net/ROOM] [--mac MAC] [--until REGEX] [--until-screen REGEX]
       [--timeout S] [--screen] [--screenshot F.png] [--bios ROM] [--debugcon] [--clock realtime|deterministic]
                          boot a PC; COM1 on stdin/stdout (Ctrl+] quits when stdin is a terminal)
  conformance singlestep DIR    run SingleStepTests 80286 vectors; prints 'N passed, M failed'
  conformance testfloat DIR     run TestFloat x87 vectors; prints 'N passed, M failed'
  bench [--runs N]              benchmarks as JSON lines
  relay [--port N] [--host ADDR]  the virtual Ethernet switch and signalling server
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'boot':
        return await (await import('./boot.js')).boot(rest);
      case 'conformance':
        return await (await import('./conformance.js')).conformance(rest);
      case 'bench':
        return await (await import('./bench.js')).bench(rest);
      case 'relay':
        return await (await import('./relay.js')).relay(rest);
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`co86: ${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`co86: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`co86: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
}
