// Who runs next: at most `maxParallel` runs at once, each holding its GPUs exclusively, in strict
// FIFO order — a run that waits for GPUs is not overtaken by smaller ones behind it, so no run starves.
// A run that pins GPUs (accelerate's gpu_ids) waits in the same queue for exactly those.
// Attempts adopted from a stopped runner are still running on the GPUs they had: they claim exactly
// those, ahead of everything else, so that no new run is put on a GPU that is still busy.

interface Waiter { gpus: number; exact?: number[]; adopted?: boolean; resolve(gpus: number[] | undefined): void }

export class Scheduler {
  private running = 0;
  private free: number[];
  private queue: Waiter[] = [];
  private held: boolean;

  /**
   * `gpus`: the GPU indices of the machine, or undefined when it has none (CPU-only runs).
   * `held`: nothing is handed out until start() — so that every claim of an adopted attempt is in first.
   */
  constructor(private maxParallel: number, private gpus: number[] | undefined, o: { held?: boolean } = {}) {
    this.free = [...(gpus ?? [])];
    this.held = !!o.held;
  }

  /**
   * Resolves with the GPUs reserved for the run (undefined without an inventory): `gpus` of them, or
   * exactly the listed ones (pinned). Throws if it can never fit.
   */
  acquire(gpus: number | number[]): Promise<number[] | undefined> {
    const exact = Array.isArray(gpus) ? gpus : undefined;
    const count = exact ? exact.length : gpus as number;
    if (this.gpus && exact) {
      const missing = exact.filter((g) => !this.gpus!.includes(g));
      if (missing.length) throw new Error(`pins GPU${missing.length > 1 ? 's' : ''} ${missing.join(',')} (launcher.gpu_ids) but this machine's GPUs are ${this.gpus.join(',') || 'none'}`);
    } else if (this.gpus && count > this.gpus.length) {
      throw new Error(`needs ${count} GPUs but this machine has ${this.gpus.length}`);
    }
    return new Promise((resolve) => {
      this.queue.push({ gpus: count, exact: this.gpus ? exact : undefined, resolve });
      this.pump();
    });
  }

  /** Claims these very GPUs (those of the inventory), ahead of every other waiter. */
  reclaim(gpus: number[] | undefined): Promise<number[] | undefined> {
    const exact = this.gpus ? (gpus ?? []).filter((g) => this.gpus!.includes(g)) : undefined;
    return new Promise((resolve) => {
      const firstOrdinary = this.queue.findIndex((w) => !w.adopted);
      this.queue.splice(firstOrdinary < 0 ? this.queue.length : firstOrdinary, 0, { gpus: exact?.length ?? 0, exact, adopted: true, resolve });
      this.pump();
    });
  }

  start(): void {
    this.held = false;
    this.pump();
  }

  release(gpus: number[] | undefined): void {
    this.running--;
    if (gpus) {
      this.free.push(...gpus);
      this.free.sort((a, b) => a - b);
    }
    this.pump();
  }

  get active(): number { return this.running; }
  get waiting(): number { return this.queue.length; }

  private pump(): void {
    while (!this.held && this.queue.length) {
      const head = this.queue[0];
      // An adopted attempt is already running: it counts, but never waits for a slot.
      if (!head.adopted && this.running >= this.maxParallel) return;
      let got: number[] | undefined;
      if (!this.gpus) got = undefined;
      else if (head.exact) {
        if (!head.exact.every((g) => this.free.includes(g))) return; // strict FIFO: wait for the head
        this.free = this.free.filter((g) => !head.exact!.includes(g));
        got = head.exact;
      } else {
        if (head.gpus > this.free.length) return;
        got = this.free.splice(0, head.gpus);
      }
      this.queue.shift();
      this.running++;
      head.resolve(got);
    }
  }
}
