/**
 * The vendored offline example's API (offline-example/src/api.ts had it as msw handlers in the page's service
 * worker), as a real server's routes, mounted on the end-to-end test server: `GET /movies`, `GET /movies/:id` and
 * `POST /movies/:id`, answering as the mock did, without its 500 ms delays. The test server puts the POSTs, which
 * Ferry's worker sends, through its idempotency layer, so each is applied once. Four movies, not the mock's two:
 * one per scope of the scenario.
 */
import type { MountedApp } from '../../../e2e/server/TestServer.ts';

interface Movie {
  id: string;
  title: string;
  comment: string;
}

export const TITLES = ['Guardians of the Galaxy', 'Wall-E', 'Paddington', 'Spirited Away'];

/** A fresh movie list, every comment empty. */
export function moviesApi(): MountedApp {
  const movies: Movie[] = TITLES.map((title, i) => ({ id: String(i + 1), title, comment: '' }));
  return {
    prefix: '/movies',
    async handle(request) {
      const id = /^\/movies\/([^/]+)$/.exec(new URL(request.url).pathname)?.[1];
      if (id === undefined && request.method === 'GET')
        return Response.json({ ts: Date.now(), movies: movies.map(({ id, title }) => ({ id, title })) });
      const movie = movies.find((m) => m.id === id);
      if (!movie) return new Response(`Movie with id ${id} not found`, { status: 404 });
      if (request.method === 'GET') return Response.json({ ts: Date.now(), movie });
      const { comment } = (await request.json()) as { comment: string };
      movie.comment = comment.toUpperCase();
      return Response.json({ message: `Successfully updated movie ${id}` });
    },
  };
}
