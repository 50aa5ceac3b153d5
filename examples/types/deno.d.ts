// The part of Deno's API the Deno example uses, so that the examples type-check here with
// tsc. Deno itself has these types built in: don't copy this file.
declare namespace Deno {
  interface ServeHandlerInfo {
    remoteAddr: { hostname: string; port: number };
  }

  const env: { get(key: string): string | undefined };

  function serve(
    options: { port?: number; hostname?: string },
    handler: (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>,
  ): { finished: Promise<void> };
}
