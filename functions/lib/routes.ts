import { problem, type HttpEvent, type HttpResult } from './http.ts';

export type Route = (event: HttpEvent) => Promise<HttpResult>;

/** A handler's routes, keyed by the route key API Gateway (or the local server) matched: `GET /act/{token}`. */
export type Routes = Readonly<Record<string, Route>>;

/**
 * The one dispatch every HTTP handler uses: the route was matched upstream (workflows/index.ts
 * declares it), so a handler never parses paths itself. A key no route serves is a 405.
 */
export function dispatch(routes: Routes, event: HttpEvent): Promise<HttpResult> {
  const route = Object.hasOwn(routes, event.routeKey) ? routes[event.routeKey] : undefined;
  if (!route) return Promise.resolve(problem(405, 'Method not allowed', 'This address does not accept that method.'));
  return route(event);
}
