import { describe, expect, it } from 'vitest';
import { loadEvalConfig } from './eval.ts';
import { ConfigError } from './load.ts';

describe('loadEvalConfig', () => {
  it('needs nothing for the embedded, local-reasoner default', () => {
    const config = loadEvalConfig({});
    expect(config).toMatchObject({ DATA_DIR: './.data' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.OPENAI_MODEL).toBeUndefined();
  });

  it('reads the OpenAI settings for the LLM reasoner and customer', () => {
    const config = loadEvalConfig({
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
      OPENAI_MODEL: 'llama3.1',
    });
    expect(config).toMatchObject({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', OPENAI_MODEL: 'llama3.1' });
  });

  it('fails in one line on a bad URL', () => {
    expect(() => loadEvalConfig({ OPENAI_BASE_URL: 'localhost:11434' })).toThrow(ConfigError);
    expect(() => loadEvalConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });
});
