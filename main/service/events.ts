/** The core's event stream (ApiEvent): hosts subscribe and forward to their renderer(s). */
import type { ApiEvent } from '../api';

export type EventListener = (event: ApiEvent) => void;

export class EventHub {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ApiEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // One broken subscriber (a closed window, a dropped connection) must not stop the others.
      }
    }
  }
}
