// Matches a request path against a fixed route table: "{param}" segments capture one decoded
// path segment. Knows which methods a path allows, for 405 versus 404.

export interface Route<H> {
  /** e.g. "/v1/hosts/{host}/ports" */
  readonly path: string;
  /** HEAD is implied wherever GET is listed. */
  readonly methods: readonly string[];
  readonly handler: H;
}

interface CompiledRoute<H> {
  readonly segments: readonly (string | null)[];
  readonly methods: ReadonlySet<string>;
  readonly allow: string;
  readonly handler: H;
}

export type Match<H> =
  | { readonly kind: 'found'; readonly handler: H; readonly params: readonly string[] }
  | { readonly kind: 'method not allowed'; readonly allow: string }
  | { readonly kind: 'not found' }
  | { readonly kind: 'bad path'; readonly reason: string };

export class Router<H> {
  readonly #routes: CompiledRoute<H>[];

  constructor(routes: readonly Route<H>[]) {
    this.#routes = routes.map((route) => {
      const methods = new Set(route.methods);
      if (methods.has('GET')) methods.add('HEAD');
      return {
        segments: route.path
          .split('/')
          .slice(1)
          .map((s) => (s.startsWith('{') ? null : s)),
        methods,
        allow: [...methods].join(', '),
        handler: route.handler,
      };
    });
  }

  match(method: string, rawPath: string): Match<H> {
    // One trailing slash is tolerated ("/v1/version/"), as most HTTP routers do.
    const path = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
    const parts = path.split('/').slice(1);
    let allow: string | null = null;
    for (const route of this.#routes) {
      if (route.segments.length !== parts.length) continue;
      const params: string[] = [];
      let matched = true;
      for (let i = 0; i < parts.length; i++) {
        const want = route.segments[i];
        const got = parts[i] ?? '';
        if (want === null) {
          if (got === '') {
            matched = false;
            break;
          }
          let decoded: string;
          try {
            decoded = decodeURIComponent(got);
          } catch {
            return {
              kind: 'bad path',
              reason: `path segment "${got}" is not valid percent-encoding`,
            };
          }
          params.push(decoded);
        } else if (want !== got) {
          matched = false;
          break;
        }
      }
      if (!matched) continue;
      if (route.methods.has(method)) return { kind: 'found', handler: route.handler, params };
      allow ??= route.allow;
    }
    return allow === null ? { kind: 'not found' } : { kind: 'method not allowed', allow };
  }
}
