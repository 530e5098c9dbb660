// Who runs next: at most `maxParallel` runs at once, each holding its GPUs exclusively, in strict
// FIFO order — a run that waits for GPUs is not overtaken by smaller ones behind it, so no run starves.

interface Waiter { gpus: number; resolve(gpus: number[] | undefined): void }

export class Scheduler {
  private running = 0;
  private free: number[];
  private queue: Waiter[] = [];

  /** `gpus`: the GPU indices of the machine, or undefined when it has none (CPU-only runs). */
  constructor(private maxParallel: number, private gpus: number[] | undefined) {
    this.free = [...(gpus ?? [])];
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
    while (this.queue.length && this.running < this.maxParallel) {
      const head = this.queue[0];
      const need = this.gpus ? head.gpus : 0;
      if (need > this.free.length) return; // strict FIFO: wait for the head
      this.queue.shift();
      this.running++;
      head.resolve(this.gpus ? this.free.splice(0, need) : undefined);
    }
  }
}
