/** A `.wasm` file imported as a webpack `asset/resource`: the import is its URL. */
declare module '*.wasm' {
  const url: string;
  export default url;
}
