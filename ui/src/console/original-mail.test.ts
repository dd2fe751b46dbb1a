import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { OriginalMailDetails, originalMailOf } from './original-mail.tsx';

const mail = (email: unknown) => ({ channel: 'email', email });

describe('originalMailOf', () => {
  it('offers the whole mail of a customer email whose new text was cut from it', () => {
    expect(originalMailOf('customer', mail({ full_text: 'Yes.\n\n> Old?' }), 'Yes.')).toEqual({
      text: 'Yes.\n\n> Old?',
      truncated: false,
    });
    expect(
      originalMailOf('customer', mail({ full_text: 'x', full_text_truncated: true }), 'y')?.truncated,
    ).toBe(true);
  });

  it('offers nothing for chat, our replies, mail stored without an original, or nothing cut', () => {
    expect(originalMailOf('customer', { channel: 'chat', email: { full_text: 'a' } }, 'b')).toBeNull();
    expect(originalMailOf('agent', mail({ full_text: 'a' }), 'b')).toBeNull();
    expect(originalMailOf('customer', { channel: 'email' }, 'b')).toBeNull();
    expect(originalMailOf('customer', mail({ full_text: 42 }), 'b')).toBeNull();
    expect(originalMailOf('customer', mail({ full_text: 'same' }), 'same')).toBeNull();
  });
});

describe('OriginalMailDetails', () => {
  it('renders the original as escaped text in a closed disclosure', () => {
    const html = renderToStaticMarkup(
      createElement(OriginalMailDetails, {
        role: 'customer',
        metadata: mail({ full_text: 'Yes.\n<script>x()</script>' }),
        shown: 'Yes.',
      }),
    );
    expect(html).toBe(
      '<details class="original-mail"><summary>Whole mail as received</summary><pre>Yes.\n&lt;script&gt;x()&lt;/script&gt;</pre></details>',
    );
  });
});
