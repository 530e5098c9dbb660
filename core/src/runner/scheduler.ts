// Who runs next: at most `maxParallel` runs at once, each holding its GPUs exclusively, in strict
// FIFO order — a run that waits for GPUs is not overtaken by smaller ones behind it, so no run starves.
// Attempts adopted from a stopped runner are still running on the GPUs they had: they claim exactly
// those, ahead of everything else, so that no new run is put on a GPU that is still busy.

interface Waiter { gpus: number; exact?: number[]; resolve(gpus: number[] | undefined): void }

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

  /** Resolves with the GPUs reserved for the run (undefined without an inventory). Throws if it can never fit. */
  acquire(gpus: number): Promise<number[] | undefined> {
    if (this.gpus && gpus > this.gpus.length) {
      throw new Error(`needs ${gpus} GPUs but this machine has ${this.gpus.length}`);
    }
    return new Promise((resolve) => {
      this.queue.push({ gpus, resolve });
      this.pump();
    });
  }

  /** Claims these very GPUs (those of the inventory), ahead of every other waiter. */
  reclaim(gpus: number[] | undefined): Promise<number[] | undefined> {
    const exact = this.gpus ? (gpus ?? []).filter((g) => this.gpus!.includes(g)) : undefined;
    return new Promise((resolve) => {
      const firstOrdinary = this.queue.findIndex((w) => !w.exact);
      this.queue.splice(firstOrdinary < 0 ? this.queue.length : firstOrdinary, 0, { gpus: exact?.length ?? 0, exact, resolve });
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
      if (!head.exact && this.running >= this.maxParallel) return;
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
