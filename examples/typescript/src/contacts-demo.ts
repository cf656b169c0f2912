// A typed client of the Contacts API against the mock: types from openapi-typescript,
// calls through openapi-fetch. list/search, create, PATCH with null, GET, DELETE and the
// 404 after it; `data` and `error` are typed per operation and status from openapi.yaml.
//
//   CONTACTS_API_URL=http://127.0.0.1:4010 CONTACTS_API_TOKEN=dev-token-org-a npm run demo
//
// The base URL has no /api/v1/crm suffix: the paths in the spec include it.
import createClient from "openapi-fetch";
import type { components, paths } from "../generated/schema.js";

type Contact = components["schemas"]["Contact"];

const baseUrl = process.env.CONTACTS_API_URL ?? "http://127.0.0.1:4010";
const token = process.env.CONTACTS_API_TOKEN ?? "dev-token-org-a";

// Bearer token. In a browser app on the same site you can rely on the session cookie
// `better-auth.session_token` instead: createClient({ baseUrl, credentials: "include" }).
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

function fail(what: string, detail: unknown): never {
  console.error(`${what}: ${JSON.stringify(detail)}`);
  process.exit(1);
}

function step(name: string, detail: string): void {
  console.log(`${name}: ${detail}`);
}

async function main(): Promise<void> {
  const list = await client.GET("/api/v1/crm/contacts", {
    params: { query: { search: "山田", limit: 5 } },
  });
  if (!list.data) fail("list", list.error);
  step("list", `search=山田 total=${list.data.total} first=${list.data.items[0]?.last_name ?? null}`);

  const created = await client.POST("/api/v1/crm/contacts", {
    body: {
      first_name: "Hanako",
      last_name: "Suzuki",
      email: "hanako.suzuki@example.com",
      phone: "03-1234-5678",
      position: "Engineer",
    },
  });
  if (!created.data) fail("create", created.error);
  const id = created.data.contact.id;
  step("create", `id=${id} phone=${created.data.contact.phone} location=${created.response.headers.get("Location")}`);

  // null clears an optional field; a field that is not sent is untouched.
  const patched = await client.PATCH("/api/v1/crm/contacts/{id}", {
    params: { path: { id } },
    body: { phone: null, position: "CTO" },
  });
  if (!patched.data) fail("patch", patched.error);
  const updated: Contact = patched.data.contact;
  if (updated.phone !== null || updated.position !== "CTO" || updated.email !== created.data.contact.email) {
    fail("patch: phone should be cleared and position set", updated);
  }
  step("patch", `phone=${updated.phone} position=${updated.position}`);

  const fetched = await client.GET("/api/v1/crm/contacts/{id}", { params: { path: { id } } });
  if (!fetched.data) fail("get", fetched.error);
  if (JSON.stringify(fetched.data.contact) !== JSON.stringify(updated)) fail("get", fetched.data);
  step("get", `id=${fetched.data.contact.id} updated_at=${fetched.data.contact.updated_at}`);

  const deleted = await client.DELETE("/api/v1/crm/contacts/{id}", { params: { path: { id } } });
  if (!deleted.data?.success) fail("delete", deleted.error);
  step("delete", "success=true");

  const gone = await client.GET("/api/v1/crm/contacts/{id}", { params: { path: { id } } });
  // `gone.error` is typed as the union of the documented error bodies (401 | 404).
  if (gone.response.status !== 404 || gone.error?.error.code !== "not_found") {
    fail("get after delete: expected a typed 404", { status: gone.response.status, body: gone.error });
  }
  step("get-after-delete", `${gone.response.status} ${gone.error.error.code}`);
  console.log("OK");
}

await main();
