/** Where sql.js's wasm bytes come from when its URL serves none (kept apart from sqljs.ts so public types do not reach sql.js's). */
export type WasmFallback = () => Promise<ArrayBuffer | Uint8Array>;
