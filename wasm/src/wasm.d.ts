/** A `.wasm` import: wrangler (workerd) hands it over as a compiled module. */
declare module "*.wasm" {
  const m: WebAssembly.Module;
  export default m;
}
