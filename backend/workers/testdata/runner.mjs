// runner.mjs: runs the module's js/wasm test binary (go test -c) inside
// workerd, one run per request, and answers with its output. The query's
// "arg" parameters are the test flags; the Worker's string bindings are the
// environment. The exit code is in the X-Exit-Code header. Test use only.
import "./wasm_exec.js";
import tests from "./tests.wasm";

export default {
  async fetch(request, env) {
    const args = new URL(request.url).searchParams.getAll("arg");
    const decoder = new TextDecoder();
    let out = "";
    // wasm_exec.js writes the program's stdout and stderr through
    // globalThis.fs.writeSync: collect them.
    globalThis.fs.writeSync = (fd, buf) => {
      out += decoder.decode(buf, { stream: true });
      return buf.length;
    };
    const go = new globalThis.Go();
    go.argv = ["workers.test", ...args];
    go.env = {};
    for (const [k, v] of Object.entries(env)) {
      if (typeof v === "string") go.env[k] = v;
    }
    let code = -1;
    go.exit = (c) => {
      code = c;
    };
    try {
      const inst = await WebAssembly.instantiate(tests, go.importObject);
      await go.run(inst);
    } catch (e) {
      out += "\nrunner: " + String(e) + "\n";
    }
    return new Response(out, { headers: { "x-exit-code": String(code) } });
  },
};
