// Put in front of packages/server/README.md's first example when consumer.ts runs it: the two
// functions the example leaves to the app. A GET answers how many times the handler ran for a POST.
// The example that follows this prelude in the same file calls what it declares.
// oxlint-disable no-unused-vars
let runs = 0;
const sessionUser = (req: Request): string | null => req.headers.get('x-user');
const app = async (req: Request, sql?: { query(text: string): Promise<unknown> }): Promise<Response> => {
  if (req.method === 'GET') return Response.json({ runs });
  // The key's transaction: a write through it commits with the stored answer.
  await sql?.query('SELECT 1');
  runs++;
  return Response.json({ run: runs, got: await req.json() }, { status: 201 });
};
