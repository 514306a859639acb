import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 in front of a real server (Postgres, a gateway), for faults a test cannot
 * cause in the server itself without disturbing others who share it:
 * - `stall()`: the server's bytes stop reaching the client (a client that does not read);
 * - `cut()`: every relayed connection is reset and new ones are refused (the server is unreachable);
 * - `resume()` ends either.
 */
export class TcpRelay {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private stalled = false;
  private refusing = false;

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host?: string; port: number }): Promise<TcpRelay> {
    const server = createServer();
    const relay = new TcpRelay(server, { host: target.host ?? '127.0.0.1', port: target.port });
    server.on('connection', (client) => relay.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** http://127.0.0.1:<port> */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open relayed connections. */
  get connections(): number {
    return this.pairs.size;
  }

  stall(): void {
    this.stalled = true;
    for (const { client, upstream } of this.pairs) {
      upstream.unpipe(client);
      upstream.pause();
    }
  }

  cut(): void {
    this.refusing = true;
    for (const { client, upstream } of [...this.pairs]) {
      client.resetAndDestroy();
      upstream.destroy();
    }
  }

  resume(): void {
    this.refusing = false;
    if (!this.stalled) return;
    this.stalled = false;
    for (const { client, upstream } of this.pairs) upstream.pipe(client);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    client.pipe(upstream);
    if (this.stalled) upstream.pause();
    else upstream.pipe(client);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  }
}
