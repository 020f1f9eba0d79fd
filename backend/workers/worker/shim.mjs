// shim.mjs: runs a Go program built with GOOS=js GOARCH=wasm as a Cloudflare
// Worker (an ES module worker), from github.com/cachekit-io/cachekit-go/backend/workers/worker.
//
// Bundle it with the stock wasm_exec.js of the Go that built the program
// ($(go env GOROOT)/lib/wasm/wasm_exec.js) and the program as app.wasm. The Go
// program calls worker.Serve(handler), which hands the handler to this shim.
//
// One Go instance per isolate: it boots on the first request (Workers allow
// no I/O or timers at global scope) and keeps its memory across requests. The
// Worker's string bindings (vars and secrets) become its environment, so
// os.Getenv("CACHEKIT_API_KEY") reads a secret. Requests enter Go one at a
// time: Go's scheduler would otherwise run one request's goroutines inside
// another request's callbacks, and workerd ties each fetch and stream to the
// request that was running when it was created. If the program exits or fails
// to boot, the next request boots a fresh instance.
import "./wasm_exec.js";
import app from "./app.wasm";

let booting = null; // Promise of the Go handler, once booting has begun
let queue = Promise.resolve(); // requests enter Go one at a time

function boot(env) {
  if (booting !== null) return booting;
  const mine = new Promise((resolve, reject) => {
    const go = new globalThis.Go();
    go.argv = ["app.wasm"];
    go.env = {};
    for (const [k, v] of Object.entries(env || {})) {
      if (typeof v === "string") go.env[k] = v;
    }
    globalThis.__cachekitGoServe = resolve; // worker.Serve calls it
    const gone = (err) => {
      if (booting === mine) booting = null; // the next request boots anew
      reject(err);
    };
    WebAssembly.instantiate(app, go.importObject)
      .then((inst) => go.run(inst))
      .then(() => gone(new Error("the Go program exited")), gone);
  });
  mine.catch(() => {});
  booting = mine;
  return mine;
}

export default {
  async fetch(request, env) {
    const handler = await boot(env);
    const turn = queue.then(() => new Promise((resolve, reject) => handler(request, resolve, reject)));
    queue = turn.catch(() => {});
    return turn;
  },
};
