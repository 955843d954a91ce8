// In-process notice that work was queued: a worker in this process starts on it at once, while workers in other
// processes find it at their next poll.
export class Listeners {
  readonly #listeners = new Set<() => void>();

  add(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  tell(): void {
    for (const listener of this.#listeners) listener();
  }
}
