import { createOpenAI } from '@ai-sdk/openai';
import { createLlmReasoner } from '../agent/reasoner/llm/llm-reasoner.ts';
import type { Reasoner } from '../agent/reasoner/reasoner.ts';

/** The reasoner settings every entry point shares (config/load.ts `reasonerSettings`). */
export interface ReasonerSettings {
  REASONER: 'local' | 'llm';
  OPENAI_API_KEY?: string | undefined;
  OPENAI_BASE_URL?: string | undefined;
  OPENAI_MODEL?: string | undefined;
}

/**
 * The LLM reasoner through an OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp), or
 * undefined for the local reasoner (the composition root's default).
 */
export function configuredReasoner(settings: ReasonerSettings): Reasoner | undefined {
  if (settings.REASONER !== 'llm') return undefined;
  return createLlmReasoner({
    model: createOpenAI({
      apiKey: settings.OPENAI_API_KEY ?? 'not-needed',
      ...(settings.OPENAI_BASE_URL ? { baseURL: settings.OPENAI_BASE_URL } : {}),
    }).chat(settings.OPENAI_MODEL ?? 'gpt-4o-mini'),
  });
}
