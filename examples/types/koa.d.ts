// The part of Koa's API the Koa example uses, so that the examples type-check here.
// In your project, install `@types/koa` instead of copying this file.
declare module 'koa' {
  import type { IncomingMessage, Server, ServerResponse } from 'node:http';

  interface Context {
    req: IncomingMessage;
    res: ServerResponse;
    path: string;
    respond?: boolean;
  }

  type Middleware = (ctx: Context, next: () => Promise<void>) => unknown;

  export default class Koa {
    use(middleware: Middleware): this;
    listen(port: number, callback?: () => void): Server;
  }
}
