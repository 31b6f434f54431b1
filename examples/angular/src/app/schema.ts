/** The app's tables (the same declaration the sync server is started with). */
export const schema = {
  todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } },
} as const;

export interface Todo {
  id: string;
  title: string;
  done: number;
}
