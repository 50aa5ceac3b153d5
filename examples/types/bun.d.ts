// The part of Bun's API the Bun example uses, so that the examples type-check here.
// In your project, install `@types/bun` instead of copying this file.
declare namespace Bun {
  type Handler = (request: Request, server: Server) => Response | Promise<Response>;

  interface Server {
    readonly url: URL;
    readonly port: number;
  }

  const env: Record<string, string | undefined>;

  function serve(options: {
    port?: number;
    hostname?: string;
    routes?: Record<string, Handler>;
    fetch: Handler;
  }): Server;
}
