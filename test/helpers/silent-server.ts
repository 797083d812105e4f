import { createServer, type Socket } from 'node:net';

/** A TCP server on 127.0.0.1 that accepts connections and never answers: a command talking to it waits. */
export interface SilentServer {
  readonly url: string;
  /** Resolves once the first connection has arrived (the command is waiting on it). */
  readonly arrived: Promise<void>;
  close(): void;
}

export async function silentServer(): Promise<SilentServer> {
  const sockets: Socket[] = [];
  let connected!: () => void;
  const arrived = new Promise<void>((resolve) => (connected = resolve));
  const server = createServer((socket) => {
    sockets.push(socket);
    connected();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    arrived,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
