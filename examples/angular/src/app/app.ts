import { AsyncPipe } from '@angular/common';
import { Component, signal } from '@angular/core';
import { injectLiveQuery, injectSyncClient, injectSyncStatus } from 'rx-sync-worker/angular';
import type { Todo } from './schema';

@Component({
  selector: 'app-root',
  imports: [AsyncPipe],
  templateUrl: './app.html',
})
export class App {
  private readonly client = injectSyncClient();
  /** Signals: the status and a live query. */
  protected readonly status = injectSyncStatus();
  protected readonly todos = injectLiveQuery<Todo>('SELECT id, title, done FROM todos ORDER BY title');
  /** The same status as an Observable, for the async pipe. */
  protected readonly status$ = this.client.status$;
  protected readonly title = signal('');

  protected async add(): Promise<void> {
    const title = this.title().trim();
    if (!title) return;
    this.title.set('');
    await this.client.insert('todos', { id: crypto.randomUUID(), title, done: 0 });
  }
}
