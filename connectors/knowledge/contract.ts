import { z } from 'zod';
import { defineContract } from '../core/contract.ts';

const passageSchema = z.object({
  article_slug: z.string(),
  title: z.string(),
  heading_path: z.array(z.string()),
  content: z.string(),
  url: z.string().nullable(),
  score: z.number(),
  vector_score: z.number().optional(),
  text_score: z.number().optional(),
});

const citationSchema = z.object({ slug: z.string(), title: z.string(), url: z.string().nullable() });

const searchInput = z.strictObject({
  query: z.string().trim().min(1).max(1000),
  limit: z.number().int().min(1).max(10).optional(),
  tags: z.array(z.string().min(1)).max(20).optional(),
});

const articleSchema = z.object({
  slug: z.string(),
  title: z.string(),
  url: z.string().nullable(),
  category: z.string().nullable(),
  tags: z.array(z.string()),
  updated_at: z.string(),
  body: z.string(),
});

const answerOutput = z.object({
  answerable: z.boolean(),
  confidence: z.number().min(0).max(1),
  passages: z.array(
    z.object({
      slug: z.string(),
      title: z.string(),
      url: z.string().nullable(),
      heading: z.string(),
      content: z.string(),
    }),
  ),
  citations: z.array(citationSchema),
});

/** The knowledge contract (connector id `knowledge`): reads open to unverified customers. */
export const knowledge = {
  search: defineContract({
    connector: 'knowledge',
    name: 'search',
    description: 'Search the help center; returns cited passages (title, heading path, url).',
    effect: 'read',
    input: searchInput,
    output: z.object({ passages: z.array(passageSchema) }),
    cacheable: true,
    allowUnverified: true,
  }),
  getArticle: defineContract({
    connector: 'knowledge',
    name: 'get_article',
    description: 'Read one help-center article by slug.',
    effect: 'read',
    input: z.strictObject({ slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/) }),
    output: articleSchema,
    cacheable: true,
    allowUnverified: true,
  }),
  answer: defineContract({
    connector: 'knowledge',
    name: 'answer',
    description:
      'Answer a question from the help center with citations, or say it cannot (below the confidence threshold).',
    effect: 'read',
    input: z.strictObject({ question: z.string().trim().min(1).max(2000) }),
    output: answerOutput,
    cacheable: true,
    allowUnverified: true,
  }),
};
