// The ready handshake (vscode-dvc's BaseWebview waits on a Deferred resolved by the webview's first
// message): nothing is posted to a webview before its script says `ready`, since a message posted
// earlier is lost. Pure, for tests.

export class MessageGate<T> {
  private queue: T[] = [];
  private open = false;

  constructor(private readonly send: (message: T) => void) {}

  get isOpen(): boolean { return this.open; }

  /** Sends now if the webview is ready, else when it is. */
  post(message: T): void {
    if (this.open) this.send(message);
    else this.queue.push(message);
  }

  /** The webview said ready: `first` (the init), then whatever waited. */
  ready(first: T): void {
    this.open = true;
    const waiting = this.queue;
    this.queue = [];
    this.send(first);
    for (const m of waiting) this.send(m);
  }

  /**
   * The webview is gone (hidden without retainContextWhenHidden, or reloading): hold messages until
   * it is ready again, then send them after its new init. (Panels post no updates meanwhile: the
   * new init carries their data.)
   */
  close(): void {
    this.open = false;
  }
}
