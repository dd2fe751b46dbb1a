import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import pg from 'pg';
import type { Database } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { seedDemoWorld } from '../../db/world/seed-demo.ts';
import { indexDemoArticles } from '../../knowledge/demo-articles.ts';
import type { Embedder } from '../../knowledge/embedder.ts';
import { sharedLocalEmbedder } from '../../knowledge/local-embedder.ts';
import { projectRoot } from './processes.ts';

/**
 * The help-center vectors, kept between runs in bench/out (git-ignored): embedding the 60 articles
 * takes 40-100 s on this machine, which is set-up, not what the bench measures, and the vectors are
 * the same for both targets and every run (same model, same text).
 */
const cacheFile = path.join(projectRoot, 'bench/out/api-embedding-cache.json');

async function cachedEmbedder(inner: Embedder): Promise<Embedder & { save(): Promise<void> }> {
  // Vectors as base64 float32: the model computes in float32, so nothing is lost, at a quarter of JSON's size.
  const stored = (await readFile(cacheFile, 'utf8')
    .then((text) => JSON.parse(text) as { model: string; vectors: Record<string, string> })
    .catch(() => null)) ?? { model: inner.model, vectors: {} };
  const vectors = stored.model === inner.model ? stored.vectors : {};
  let changed = false;
  const key = (text: string) => createHash('sha256').update(text).digest('base64url');
  const encode = (vector: number[]) => Buffer.from(new Float32Array(vector).buffer).toString('base64');
  const decode = (text: string) => {
    const bytes = Buffer.from(text, 'base64');
    return [...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)];
  };
  return {
    model: inner.model,
    dimensions: inner.dimensions,
    async embed(texts) {
      const missing = [...new Set(texts.filter((text) => !vectors[key(text)]))];
      if (missing.length) {
        const embedded = await inner.embed(missing);
        missing.forEach((text, index) => {
          vectors[key(text)] = encode(embedded[index]!);
        });
        changed = true;
      }
      return texts.map((text) => decode(vectors[key(text)]!));
    },
    async save() {
      if (!changed) return;
      await mkdir(path.dirname(cacheFile), { recursive: true });
      await writeFile(cacheFile, JSON.stringify({ model: inner.model, vectors }));
      changed = false;
    },
  };
}

const embedder = await cachedEmbedder(sharedLocalEmbedder());

/** The demo world and the demo help center, as `npm start` (embedded) or `npm run seed` (PostgreSQL) leave them. */
export async function seedAndIndex(database: Database): Promise<{ seedMs: number; indexMs: number }> {
  let started = performance.now();
  await migrateToLatest(database.pool);
  await seedDemoWorld(database.pool);
  const seedMs = performance.now() - started;
  started = performance.now();
  const report = await indexDemoArticles(database.pool, embedder);
  await embedder.save();
  // A fresh database: every article is new (written text-first, then embedded, it may count as updated).
  if (report.created.length + report.updated.length === 0)
    throw new Error('indexing the demo help center wrote no articles');
  return { seedMs, indexMs: performance.now() - started };
}

/** Emails of `count` contacts for verified customers: the demo edge-case customers first, then others. */
export async function customerEmails(database: Database, count: number): Promise<string[]> {
  const demo = Object.values(demoCustomers).map((customer) => customer.email);
  const { rows } = await database.pool.query<{ email: string }>(
    'SELECT email FROM contacts WHERE NOT (lower(email) = ANY($1)) ORDER BY id LIMIT $2',
    [demo.map((email) => email.toLowerCase()), count],
  );
  return [...demo, ...rows.map((row) => row.email)].slice(0, count);
}

/** What the company's backend would sign for its logged-in users (HS256, `email` claim, 1 h). */
export async function identityTokens(secret: string, emails: string[]): Promise<string[]> {
  const key = new TextEncoder().encode(secret);
  return Promise.all(
    emails.map((email) =>
      new SignJWT({ email })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(key),
    ),
  );
}

/** A fresh, random identity secret and vault master key for the run (never persisted). */
export function runSecrets(): { identitySecret: string; masterKey: string } {
  return {
    identitySecret: randomBytes(32).toString('base64url'),
    masterKey: `bench:${randomBytes(32).toString('base64')}`,
  };
}

/** A new database on the PostgreSQL server of `adminUrl`, dropped by `drop()`. */
export async function createBenchDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sb_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const vector = new pg.Client({ connectionString: url.toString() });
  await vector.connect();
  await vector.query('CREATE EXTENSION IF NOT EXISTS vector');
  await vector.end();
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** PIDs of the PostgreSQL backends connected to `database` (to read their CPU time). */
export async function backendPids(adminUrl: string, databaseUrl: string): Promise<number[]> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1',
      [name],
    );
    return rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

/**
 * An empty Redis database number on the server of `baseUrl` (the API has no key-prefix setting, so a
 * database of its own keeps the bench away from everyone else's keys). `flush()` empties it again.
 */
export async function claimRedisDatabase(
  baseUrl: string,
  candidates = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
): Promise<{ url: string; flush(): Promise<void> }> {
  for (const number of candidates) {
    const url = new URL(baseUrl);
    url.pathname = `/${number}`;
    const redis = new Redis(url.toString(), { maxRetriesPerRequest: 1 });
    try {
      if ((await redis.dbsize()) !== 0) continue;
      return {
        url: url.toString(),
        async flush() {
          const client = new Redis(url.toString(), { maxRetriesPerRequest: 1 });
          try {
            await client.flushdb();
          } finally {
            client.disconnect();
          }
        },
      };
    } finally {
      redis.disconnect();
    }
  }
  throw new Error(`no empty Redis database among ${candidates.join(', ')} on ${baseUrl}`);
}
