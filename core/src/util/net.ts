// Free TCP ports for the rendezvous of multi-process launchers (accelerate, torchrun).
import * as net from 'node:net';

/** A port the kernel says is free now (bind to 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Ports handed to running attempts: the kernel may hand a just-closed port out again, and an attempt
 * binds its port only when its launcher gets that far — so two parallel attempts could otherwise
 * be given the same one. A port is held until its attempt ends.
 */
export class PortPool {
  private held = new Set<number>();

  async take(): Promise<number> {
    for (;;) {
      const p = await freePort();
      if (!this.held.has(p)) { this.held.add(p); return p; }
    }
  }

  release(port: number | undefined): void {
    if (port !== undefined) this.held.delete(port);
  }
}
