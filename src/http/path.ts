import { InvalidOptionsError } from '../errors.js';
import type { AuthOptions } from './auth.js';

/**
 * Builds the test of which request targets a middleware mounted at `path` answers: the path
 * itself (with or without a trailing slash, any query), and `<path>/<one segment>` when a
 * token is configured, since the token may travel as the last path segment. Without `path`,
 * every target matches.
 *
 * @internal
 */
export function createPathMatcher(
  path: string | undefined,
  token: AuthOptions['token'],
): (target: string) => boolean {
  if (path === undefined) return () => true;
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new InvalidOptionsError('path must start with "/"');
  }
  const tokenSegment = typeof token === 'string' || (Array.isArray(token) && token.length > 0);
  const base = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const prefix = base === '/' ? '/' : `${base}/`;
  return (target) => {
    const question = target.indexOf('?');
    const pathname = question === -1 ? target : target.slice(0, question);
    if (pathname === base || pathname === prefix) return true;
    if (!tokenSegment || !pathname.startsWith(prefix)) return false;
    const rest = pathname.slice(prefix.length);
    return rest !== '' && !rest.includes('/');
  };
}
