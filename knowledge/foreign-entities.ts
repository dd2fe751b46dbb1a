/**
 * Well-known third-party products, companies and technologies (lower case, one word). When a
 * question names one that the help center never mentions, it is very likely about something we do
 * not document ("reset my github password", "is there a jira integration"): answer support then
 * asks for more confidence before it answers. Names the help center does mention (Slack, Segment,
 * HubSpot…) are not foreign: the check only applies to words the index does not hold.
 *
 * A generic list by category, not the labeled questions' words; everyday English words that are
 * also brands (branch, notion, square, teams…) are left out so they never count as foreign.
 */
export const foreignEntities: ReadonlySet<string> = new Set(
  [
    // Analytics, product and marketing tools.
    'amplitude appsflyer fullstory heap hotjar logrocket matomo metabase mixpanel pendo posthog looker',
    'tableau powerbi klaviyo mailchimp sendgrid mailgun brevo',
    // CRM, support and work tools.
    'intercom zendesk freshdesk freshworks pipedrive zoho salesforce hubspot airtable asana clickup',
    'trello jira confluence atlassian basecamp calendly bamboohr gusto quickbooks xero',
    // Developer tools and infrastructure.
    'github gitlab bitbucket circleci jenkins docker kubernetes terraform ansible heroku vercel netlify',
    'cloudflare supabase firebase mongodb mysql postgres postgresql redshift elasticsearch kafka airflow',
    'dbt grafana datadog splunk sentry algolia twilio okta auth0 graphql npm',
    // Languages and frameworks.
    'python java kotlin rust ruby rails django flask laravel react angular vue nextjs flutter',
    // Platforms, devices and consumer services.
    'android ios iphone ipad macos linux windows chrome firefox safari apple microsoft amazon azure',
    'google gmail outlook icloud onedrive dropbox youtube netflix spotify roku facebook instagram',
    'whatsapp telegram tiktok snapchat twitter linkedin reddit discord skype zoom slack uber ebay etsy',
    // Commerce and payments.
    'shopify woocommerce magento wix squarespace webflow wordpress godaddy stripe paypal braintree',
    'venmo coinbase bitcoin',
    // AI assistants.
    'chatgpt openai copilot',
    // Compliance regimes we do not document.
    'hipaa',
  ]
    .join(' ')
    .split(' '),
);
